// Internal topics on a real Apache Kafka: created through the Admin API with the
// topology's partition counts and a compacted changelog, existing ones checked,
// and a store restored from a changelog the broker has really compacted.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"
#include "tests/integration/sales_check.h"

namespace brook {
namespace {

using S = std::string;

class InternalTopicsOnRealKafka : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>(testing::TestKafka::Kind::kReal);
    app_ = kafka_->unique("topics");
    purchases_ = kafka_->unique("purchases");
    totals_ = kafka_->unique("totals");
    changelog_ = app_ + "-running-totals-store-changelog";
    repartition_ = app_ + "-running-totals-repartition";
    dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-topics")).string();
    testing::create_sales_topics(*kafka_, purchases_, totals_, 4);
    kafka::Conf conf;
    ASSERT_TRUE(kafka::make_conf({{"bootstrap.servers", kafka_->bootstrap_servers()}}, &conf));
    ASSERT_TRUE(kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &admin_));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  StreamsConfig config() {
    return kafka_->bounded_config(app_, dir_).set("commit.interval.ms", "100");
  }
  // Batch `seed` starts 10 minutes of event time after the one before: the
  // broker rolls a changelog segment by the records' timestamps.
  static int64_t start_of(uint64_t seed) { return testing::kSalesStartUs + seed * 600'000'000; }
  void generate(int64_t n, uint64_t seed) {
    std::atomic<bool> stop{false};
    demo::GeneratorStats stats;
    Status s = demo::generate(
        testing::generator_options(*kafka_, purchases_, n, seed, 0, start_of(seed)), stop, &stats);
    ASSERT_TRUE(s) << s.message();
  }
  std::map<S, int64_t> run(StreamsConfig c) {
    KafkaStreams streams(demo::build_running_totals(purchases_, totals_), c);
    Status s = streams.start();
    EXPECT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
    return streams.metrics();
  }
  S start_error() {
    KafkaStreams streams(demo::build_running_totals(purchases_, totals_), config());
    Status s = streams.start();
    EXPECT_FALSE(s);
    EXPECT_EQ(streams.state(), KafkaStreams::State::kError);
    return s.message();
  }
  std::map<S, S> configs_of(const S& topic) {
    std::map<S, std::map<S, S>> all;
    Status s = topic_configs(admin_.get(), {topic}, &all);
    EXPECT_TRUE(s) << s.message();
    return all[topic];
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  kafka::Handle admin_;
  S app_, purchases_, totals_, changelog_, repartition_, dir_;
};

TEST_F(InternalTopicsOnRealKafka, CreatesACompactedChangelogAndARepartitionTopicPerTask) {
  generate(200, 1);
  run(config());
  std::map<S, int> counts;
  ASSERT_TRUE(kafka::partition_counts(admin_.get(), {changelog_, repartition_}, &counts));
  EXPECT_EQ(counts[changelog_], 4);
  EXPECT_EQ(counts[repartition_], 4);
  EXPECT_EQ(configs_of(changelog_)["cleanup.policy"], "compact");
  EXPECT_EQ(configs_of(repartition_)["cleanup.policy"], "delete");
  EXPECT_EQ(configs_of(repartition_)["retention.ms"], "-1") << "kept until read, however old";
}

TEST_F(InternalTopicsOnRealKafka, FailsToStartNamingAChangelogWithOtherPartitions) {
  ASSERT_TRUE(kafka_->create_topic(changelog_, 3, {{"cleanup.policy", "compact"}}));
  S error = start_error();
  EXPECT_NE(error.find(changelog_), S::npos) << error;
  EXPECT_NE(error.find("3 partitions"), S::npos) << error;
}

TEST_F(InternalTopicsOnRealKafka, FailsToStartNamingAChangelogThatIsNotCompacted) {
  ASSERT_TRUE(kafka_->create_topic(changelog_, 4, {{"cleanup.policy", "delete"}}));
  S error = start_error();
  EXPECT_NE(error.find(changelog_), S::npos) << error;
  EXPECT_NE(error.find("cleanup.policy=delete"), S::npos) << error;
}

// The changelog is created beforehand with segments that roll every 100 ms (of
// record time) and a cleaner that compacts at once; with the record cache off, every partial
// rewrites its product's total, so compaction removes most of the changelog.
// A store rebuilt from scratch from what is left must hold the exact totals.
TEST_F(InternalTopicsOnRealKafka, RestoresAStoreFromAChangelogTheBrokerHasCompacted) {
  ASSERT_TRUE(kafka_->create_topic(changelog_, 4,
                                   {{"cleanup.policy", "compact"},
                                    {"segment.ms", "100"},
                                    {"min.cleanable.dirty.ratio", "0.001"},
                                    {"min.compaction.lag.ms", "0"}}));
  StreamsConfig c = config().set("cache.max.bytes.buffering", "0");
  for (uint64_t seed = 1; seed <= 6; ++seed) {  // several segments
    generate(500, seed);
    run(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto ends = [&] {
    int64_t sum = 0;
    for (int p = 0; p < 4; ++p) {
      int64_t low = 0, high = 0;
      EXPECT_TRUE(kafka::watermarks(admin_.get(), changelog_, p, &low, &high));
      sum += high;
    }
    return sum;
  };
  int64_t written = ends();
  int64_t left = written;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (left > written / 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    left = static_cast<int64_t>(kafka_->read_all(changelog_).size());
  }
  ASSERT_LE(left, written / 2) << "the broker did not compact the changelog";
  std::filesystem::remove_all(dir_);
  auto m = run(c);
  // What compaction left (the cleaner may have removed more since it was counted).
  EXPECT_GT(m["restore-records-total"], 0);
  EXPECT_LE(m["restore-records-total"], left);
  generate(300, 7);
  run(c);
  auto expected = testing::expected_totals(1, 500, 0, start_of(1));
  for (uint64_t seed = 2; seed <= 7; ++seed) {
    testing::add_totals(&expected,
                        testing::expected_totals(seed, seed == 7 ? 300 : 500, 0, start_of(seed)));
  }
  testing::expect_totals_equal(expected, testing::read_totals(*kafka_, totals_, false).latest);
}

}  // namespace
}  // namespace brook
