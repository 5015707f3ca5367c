#include "brook/topology.h"

#include <gtest/gtest.h>

#include "brook/streams_builder.h"
#include "brook/testing/topology_test_driver.h"

namespace brook {
namespace {

using S = std::string;

TEST(Topology, DescribesSubtopologiesWithStableGeneratedNames) {
  auto build = [] {
    StreamsBuilder b;
    b.stream<S, S>("purchases")
        .select_key([](const S&, const S& v) { return v; })
        .group_by_key()
        .count()
        .to_stream()
        .to("totals");
    return b.build();
  };
  Topology t = build();
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [purchases])\n"
      "      --> KSTREAM-KEY-SELECT-0000000001\n"
      "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000004\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "    Sink: KSTREAM-SINK-0000000004 (topic: "
      "KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"
      "      <-- KSTREAM-KEY-SELECT-0000000001\n"
      "   Sub-topology: 1\n"
      "    Source: KSTREAM-SOURCE-0000000005 (topics: "
      "[KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n"
      "      --> KSTREAM-AGGREGATE-0000000002\n"
      "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: "
      "[KSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
      "      --> KTABLE-TOSTREAM-0000000006\n"
      "      <-- KSTREAM-SOURCE-0000000005\n"
      "    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000007\n"
      "      <-- KSTREAM-AGGREGATE-0000000002\n"
      "    Sink: KSTREAM-SINK-0000000007 (topic: totals)\n"
      "      <-- KTABLE-TOSTREAM-0000000006\n";
  EXPECT_EQ(t.describe(), expected);
  EXPECT_EQ(build().describe(), t.describe()) << "same code, same names";
  auto subs = t.subtopologies();
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[1].stores, (std::vector<S>{"KSTREAM-AGGREGATE-STATE-STORE-0000000003"}));
}

TEST(Topology, RejectsUnknownParentsAndDuplicateNames) {
  Topology t;
  t.add_source<S, S>("src", {"in"});
  EXPECT_THROW((t.add_sink<S, S>("sink", "out", {"nope"})), TopologyError);
  EXPECT_THROW((t.add_source<S, S>("src", {"other"})), TopologyError);
  EXPECT_THROW((t.add_source<S, S>("empty", {})), TopologyError);
}

// A Processor API user: counts characters per key in its own store.
class CharCounter : public Processor<S, S, S, int64_t> {
 public:
  void init(ProcessorContext<S, int64_t>& ctx) override {
    ctx_ = &ctx;
    store_.emplace(ctx.key_value_store<S, int64_t>("chars"));
  }
  void process(const Record<S, S>& r) override {
    int64_t n = store_->get(r.key).value_or(0) + static_cast<int64_t>(r.value.size());
    store_->put(r.key, n);
    ctx_->forward(Record<S, int64_t>{r.key, n, r.timestamp, {}});
  }

 private:
  ProcessorContext<S, int64_t>* ctx_ = nullptr;
  std::optional<KeyValueStore<S, int64_t>> store_;
};

// in -> Counter (with its store "chars") -> out.
template <class Counter>
Topology char_counting(bool caching) {
  Topology t;
  t.add_source<S, S>("src", {"in"});
  t.add_processor<S, S, S, int64_t>("counter", [] { return std::make_unique<Counter>(); }, {"src"});
  t.add_state_store(Topology::StoreDef{"chars", true, true, caching}, {"counter"});
  t.add_sink<S, int64_t>("sink", "out", {"counter"});
  return t;
}

// Counts to a = 3 + 2, b = 1.
void pipe_chars(TopologyTestDriver& driver) {
  auto in = driver.create_input_topic<S, S>("in");
  in.pipe_input("a", "xyz", 1);
  in.pipe_input("a", "xy", 2);
  in.pipe_input("b", "x", 3);
}

TEST(ProcessorApi, RunsUserProcessorsWithTheirStores) {
  Topology t = char_counting<CharCounter>(false);
  TopologyTestDriver driver(t, {}, 3);
  pipe_chars(driver);
  auto out = driver.create_output_topic<S, int64_t>("out").read_key_values_to_map();
  EXPECT_EQ(out, (std::map<S, int64_t>{{"a", 5}, {"b", 1}}));
  EXPECT_EQ((driver.store_all<S, int64_t>("chars")), out);
}

// Stores an int64 as decimal text, where Serde<int64_t> writes 8 bytes.
struct DecimalSerde {
  static void serialize(int64_t v, std::string& out) { out = std::to_string(v); }
  static bool deserialize(const char* data, size_t size, int64_t& out) {
    if (size == 0) return false;
    out = std::stoll(std::string(data, size));
    return true;
  }
};

// The same count, folded in place through a cached store kept as decimal text.
class DecimalCharCounter : public Processor<S, S, S, int64_t> {
 public:
  void init(ProcessorContext<S, int64_t>& ctx) override {
    ctx_ = &ctx;
    store_.emplace(ctx.key_value_store<S, int64_t, Serde<S>, DecimalSerde>("chars"));
  }
  void process(const Record<S, S>& r) override {
    store_->update(r.key, [&](std::optional<int64_t> n) {
      return n.value_or(0) + static_cast<int64_t>(r.value.size());
    });
    ctx_->forward(Record<S, int64_t>{r.key, *store_->get(r.key), r.timestamp, {}});
  }

 private:
  ProcessorContext<S, int64_t>* ctx_ = nullptr;
  std::optional<KeyValueStore<S, int64_t, Serde<S>, DecimalSerde>> store_;
};

TEST(ProcessorApi, KeepsAStoreWithTheSerdesItIsOpenedWith) {
  Topology t = char_counting<DecimalCharCounter>(true);
  TopologyTestDriver driver(t, {}, 3);
  pipe_chars(driver);
  auto out = driver.create_output_topic<S, int64_t>("out").read_key_values_to_list();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].value, 5) << "the second update folds over the first";
  EXPECT_EQ(driver.raw_store_get("chars", "a"), "5") << "the store holds decimal text";
  EXPECT_EQ((driver.store_all<S, int64_t, Serde<S>, DecimalSerde>("chars")),
            (std::map<S, int64_t>{{"a", 5}, {"b", 1}}));
}

TEST(ProcessorApi, ReportsTypeMismatchesBetweenNodes) {
  Topology t;
  t.add_source<S, S>("src", {"in"}).add_sink<S, int64_t>("sink", "out", {"src"});
  EXPECT_THROW(TopologyTestDriver driver(t), TopologyError);
}

}  // namespace
}  // namespace brook
