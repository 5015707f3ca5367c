// The foreign-key join's parts: the value hash (MurmurHash3 x64 128, the
// published test vectors), the internal topics' formats, the topology it
// makes, and the answer a left value no longer held must not join.
// Its results against Kafka Streams: tests/conformance (fk-join, fk-left-join).
#include <gtest/gtest.h>

#include "brook/brook.h"
#include "brook/testing/topology_test_driver.h"

namespace brook {
namespace {

using S = std::string;
using OS = std::optional<S>;
using operators::FkInstruction;
using operators::FkResponse;
using operators::FkSubscription;
using operators::Hash128;

TEST(Murmur3, MatchesTheReferenceImplementation) {
  // From the reference implementation (also Python's mmh3.hash128, seed 0).
  EXPECT_EQ(operators::murmur3_128(""), (Hash128{0, 0}));
  EXPECT_EQ(operators::murmur3_128("hello"),
            (Hash128{0xcbd8a7b341bd9b02ULL, 0x5b1e906a48ae1d19ULL}));
  EXPECT_EQ(operators::murmur3_128("The quick brown fox jumps over the lazy dog"),
            (Hash128{0xe34bbc7bbc071b6cULL, 0x7a433ca9c49a9347ULL}));
  EXPECT_EQ(operators::murmur3_128("0123456789abcdef"),  // one block, no tail
            (Hash128{0x4be06d94cf4ad1a7ULL, 0x87c35b5c63a708daULL}));
  EXPECT_EQ(operators::murmur3_128("0123456789abcdefX"),  // a block and a 1-byte tail
            (Hash128{0xcdebd2acb570d6f7ULL, 0x8f72119782104b27ULL}));
}

TEST(ForeignKeyJoinFormats, SubscriptionsAndResponsesReadBackAsWritten) {
  FkSubscription<S> s{FkInstruction::kDeleteNoPropagate, Hash128{1, 0xfffffffffffffffeULL}, "key"};
  std::string bytes;
  Serde<FkSubscription<S>>::serialize(s, bytes);
  FkSubscription<S> back;
  ASSERT_TRUE(Serde<FkSubscription<S>>::deserialize(bytes.data(), bytes.size(), back));
  EXPECT_EQ(back.instruction, s.instruction);
  EXPECT_EQ(back.hash, s.hash);
  EXPECT_EQ(back.primary_key, "key");
  s.hash.reset();
  Serde<FkSubscription<S>>::serialize(s, bytes);
  ASSERT_TRUE(Serde<FkSubscription<S>>::deserialize(bytes.data(), bytes.size(), back));
  EXPECT_FALSE(back.hash);
  bytes[1] = 9;  // no such instruction
  EXPECT_FALSE(Serde<FkSubscription<S>>::deserialize(bytes.data(), bytes.size(), back));
  bytes[0] = 1;  // a later version
  EXPECT_FALSE(Serde<FkSubscription<S>>::deserialize(bytes.data(), bytes.size(), back));

  FkResponse<S> r{Hash128{7, 8}, S("")};
  Serde<FkResponse<S>>::serialize(r, bytes);
  FkResponse<S> rb;
  ASSERT_TRUE(Serde<FkResponse<S>>::deserialize(bytes.data(), bytes.size(), rb));
  EXPECT_EQ(rb.hash, r.hash);
  EXPECT_EQ(rb.foreign_value, OS(""));  // an empty value is a value
  r.foreign_value.reset();
  Serde<FkResponse<S>>::serialize(r, bytes);
  ASSERT_TRUE(Serde<FkResponse<S>>::deserialize(bytes.data(), bytes.size(), rb));
  EXPECT_FALSE(rb.foreign_value);
  EXPECT_FALSE(Serde<FkResponse<S>>::deserialize(bytes.data(), 5, rb));  // cut short
}

std::vector<S> values(TestOutputTopic<S, S>& out) {
  std::vector<S> v;
  while (!out.is_empty()) v.push_back(out.read_key_value().value);
  return v;
}

Topology fk_topology() {
  StreamsBuilder b;
  auto left = b.table<S, S>("left", Consumed{}, Materialized::as("left-store"));
  auto right = b.table<S, S>("right", Consumed{}, Materialized::as("right-store"));
  left.join(
          right, [](const S& v) { return v.substr(v.find(':') + 1); },
          [](const S& l, const S& r) { return l + "/" + r; }, Materialized::as("joined"),
          Named{"fk"})
      .to("out");
  return b.build();
}

TEST(ForeignKeyJoin, RunsAsTwoSubTopologiesJoinedByTheSubscriptionAndResponseTopics) {
  Topology t = fk_topology();
  std::vector<Topology::Subtopology> st = t.subtopologies();
  ASSERT_EQ(st.size(), 2u);
  // The left table's: it sends subscriptions and reads the answers.
  EXPECT_EQ(st[0].source_topics, std::vector<S>{"left"});
  EXPECT_EQ(st[0].internal_source_topics, std::vector<S>{"fk-response-repartition"});
  EXPECT_EQ(st[0].internal_sink_topics, std::vector<S>{"fk-subscription-repartition"});
  // The right table's: it keeps the subscriptions and answers them.
  EXPECT_EQ(st[1].source_topics, std::vector<S>{"right"});
  EXPECT_EQ(st[1].internal_source_topics, std::vector<S>{"fk-subscription-repartition"});
  EXPECT_EQ(st[1].internal_sink_topics, std::vector<S>{"fk-response-repartition"});
  EXPECT_NE(std::find(st[1].stores.begin(), st[1].stores.end(), "fk-subscription-store"),
            st[1].stores.end());
  EXPECT_NE(std::find(st[0].stores.begin(), st[0].stores.end(), "joined"), st[0].stores.end());
}

TEST(ForeignKeyJoin, AnAnswerForAValueTheKeyNoLongerHasIsDropped) {
  Topology t = fk_topology();
  StreamsConfig c;
  c.set("application.id", "fkapp").set("cache.max.bytes.buffering", "0");
  TopologyTestDriver driver(t, c);
  auto left = driver.create_input_topic<S, S>("left");
  auto right = driver.create_input_topic<S, S>("right");
  auto answers = driver.create_input_topic<S, FkResponse<S>>("fkapp-fk-response-repartition");
  auto out = driver.create_output_topic<S, S>("out");
  right.pipe_input("r1", "R1", 1);
  left.pipe_input("a", "A0:r1", 2);
  left.pipe_input("a", "A1:r1", 3);
  EXPECT_EQ(values(out), (std::vector<S>{"A0:r1/R1", "A1:r1/R1"}));
  // An answer sent for A0, arriving after A1 replaced it: dropped.
  answers.pipe_input("a", FkResponse<S>{operators::murmur3_128("A0:r1"), S("stale")}, 4);
  EXPECT_TRUE(out.is_empty());
  // One sent for the value the table holds: joined with it.
  answers.pipe_input("a", FkResponse<S>{operators::murmur3_128("A1:r1"), S("fresh")}, 5);
  EXPECT_EQ(values(out), (std::vector<S>{"A1:r1/fresh"}));
  // The result table is materialized under the name asked.
  EXPECT_TRUE(driver.raw_store_get("joined", "a"));
}

}  // namespace
}  // namespace brook
