// GlobalKTable end to end: the table's topic (with another partition count
// than the stream's, and no co-partitioning) restored whole before any record
// is processed, kept current while the instance runs, resumed from its
// checkpoint after a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "brook/brook.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using S = std::string;

class GlobalTableIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    table_ = kafka_->unique("global-products");
    in_ = kafka_->unique("global-in");
    out_ = kafka_->unique("global-out");
    app_ = kafka_->unique("global");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-global")).string();
    ASSERT_TRUE(kafka_->create_topic(table_, 3));
    ASSERT_TRUE(kafka_->create_topic(in_, 4));
    ASSERT_TRUE(kafka_->create_topic(out_, 2));
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  Topology topology() {
    StreamsBuilder b;
    auto products = b.global_table<S, S>(table_);
    // A purchase's value is "<product>:<quantity>"; it carries its product's name.
    b.stream<std::optional<S>, S>(in_)
        .left_join(
            products, [](const std::optional<S>&, const S& v) { return v.substr(0, v.find(':')); },
            [](const S& v, const std::optional<S>& name) { return v + "=" + name.value_or("?"); })
        .to(out_);
    return b.build();
  }
  void run() {
    StreamsConfig config = kafka_->bounded_config(app_, state_dir_);
    KafkaStreams streams(topology(), config);
    Status s = streams.start();
    ASSERT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
  }
  std::vector<std::string> outputs() {
    std::vector<std::string> v;
    for (const auto& r : kafka_->read_all(out_)) v.push_back(*r.value);
    std::sort(v.begin(), v.end());
    return v;
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  std::string table_, in_, out_, app_, state_dir_;
};

TEST_F(GlobalTableIntegration, EveryPartitionOfTheTableIsThereBeforeTheFirstRecord) {
  std::vector<std::pair<std::string, std::string>> products;
  for (int i = 0; i < 30; ++i)
    products.emplace_back("p" + std::to_string(i), "name" + std::to_string(i));
  ASSERT_TRUE(kafka_->produce_all(table_, products));
  ASSERT_TRUE(kafka_->produce(table_, -1, S("p7"), std::nullopt));  // deleted
  ASSERT_TRUE(kafka_->produce(table_, -1, S("p8"), S("renamed8")));
  std::vector<std::pair<std::string, std::string>> purchases;
  for (int i = 0; i < 40; ++i)
    purchases.emplace_back("k" + std::to_string(i), "p" + std::to_string(i) + ":1");
  ASSERT_TRUE(kafka_->produce_all(in_, purchases));
  run();
  std::vector<std::string> expected;
  for (int i = 0; i < 40; ++i) {
    std::string name = i >= 30 || i == 7 ? "?" : i == 8 ? "renamed8" : "name" + std::to_string(i);
    expected.push_back("p" + std::to_string(i) + ":1=" + name);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(outputs(), expected);
}

TEST_F(GlobalTableIntegration, ARestartResumesTheTableFromItsCheckpointAndSeesUpdates) {
  ASSERT_TRUE(kafka_->produce_all(table_, {{"a", "apple"}, {"b", "banana"}}));
  ASSERT_TRUE(kafka_->produce_all(in_, {{"k1", "a:1"}}));
  run();
  ASSERT_TRUE(std::filesystem::exists(state_dir_ + "/" + app_ + "/global/.checkpoint"));
  ASSERT_TRUE(kafka_->produce_all(table_, {{"a", "apricot"}, {"c", "cherry"}}));
  ASSERT_TRUE(kafka_->produce_all(in_, {{"k2", "a:1"}, {"k3", "b:1"}, {"k4", "c:1"}}));
  run();
  EXPECT_EQ(outputs(),
            (std::vector<std::string>{"a:1=apple", "a:1=apricot", "b:1=banana", "c:1=cherry"}));
}

TEST_F(GlobalTableIntegration, AMissingTableTopicFailsStartWithItsName) {
  StreamsBuilder b;
  auto t = b.global_table<S, S>(kafka_->unique("no-such-topic"));
  b.stream<S, S>(in_)
      .join(
          t, [](const S&, const S& v) { return v; }, [](const S& v, const S&) { return v; })
      .to(out_);
  KafkaStreams streams(b.build(), kafka_->bounded_config(app_, state_dir_));
  Status s = streams.start();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find(kafka_->unique("no-such-topic")), std::string::npos) << s.message();
}

// A stream joined with a table of another partition count, with no
// repartitioning between them, cannot run: start() says which topics and how
// many partitions each has.
TEST_F(GlobalTableIntegration, AJoinOfTopicsNotCoPartitionedFailsStartNamingThem) {
  StreamsBuilder b;
  auto table = b.table<S, S>(table_);  // 3 partitions
  b.stream<S, S>(in_)                  // 4 partitions
      .join(table, [](const S& v, const S& t) { return v + t; })
      .to(out_);
  KafkaStreams streams(b.build(), kafka_->bounded_config(app_, state_dir_));
  Status s = streams.start();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find(table_ + " (3 partitions)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(in_ + " (4 partitions)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("co-partitioned"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace brook
