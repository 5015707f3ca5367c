// Exactly-once (exactly_once_v2) over the Kafka wire protocol, on the embedded
// Kafka and on a real broker: what both can show. Crashes, fencing and
// restarts need real transactions: exactly_once_real_broker_test.cc; injected
// request errors need the embedded Kafka: embedded_faults_test.cc.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/sales_check.h"

namespace brook {
namespace {

using S = std::string;

class ExactlyOnceIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    app_ = kafka_->unique("eos");
    purchases_ = kafka_->unique("purchases");
    totals_ = kafka_->unique("totals");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-eos")).string();
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  StreamsConfig config() {
    StreamsConfig c = kafka_->bounded_config(app_, state_dir_);
    c.set("processing.guarantee", "exactly_once_v2").set("commit.interval.ms", "100");
    return c;
  }
  void generate(int64_t n, uint64_t seed) {
    std::atomic<bool> stop{false};
    demo::GeneratorStats stats;
    Status s =
        demo::generate(testing::generator_options(*kafka_, purchases_, n, seed), stop, &stats);
    ASSERT_TRUE(s) << s.message();
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  S app_, purchases_, totals_, state_dir_;
};

TEST_F(ExactlyOnceIntegration, RunningTotalsAreExactUnderExactlyOnce) {
  testing::create_sales_topics(*kafka_, purchases_, totals_, 4);
  generate(3000, 5);
  KafkaStreams streams(demo::build_running_totals(purchases_, totals_), config());
  ASSERT_TRUE(streams.start());
  ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
  EXPECT_GT(streams.metrics()["commit-total"], 1) << "several transactions committed";
  testing::TotalsSeen seen = testing::read_totals(*kafka_, totals_, /*read_committed=*/true);
  EXPECT_EQ(seen.not_growing, 0u);
  testing::expect_totals_equal(testing::expected_totals(5, 3000), seen.latest);
}

// An instance's threads subscribe together, so that a coordinator that waits
// for members before its first round (the embedded Kafka, ~3 s; a broker's
// group.initial.rebalance.delay.ms, 3 s by default) assigns them in one round.
// A broker that does not wait (the test broker, delay 0) completes a round per
// join: no client can merge those. Either way nothing is read twice, though the
// embedded Kafka drops offsets sent in a transaction.
TEST_F(ExactlyOnceIntegration, ThreadsOfAnInstanceJoinInOneRebalanceAndStayExact) {
  testing::create_sales_topics(*kafka_, purchases_, totals_, 8);
  generate(8000, 3);
  StreamsConfig c = config();
  c.set("num.stream.threads", "2");
  KafkaStreams streams(demo::build_running_totals(purchases_, totals_), c);
  ASSERT_TRUE(streams.start());
  ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
  auto m = streams.metrics();
  if (!kafka_->is_real_broker()) {
    EXPECT_EQ(m["rebalance-total"], 2) << "one round, both threads";
  }
  EXPECT_LE(m["process-total"], 2 * 8000) << "purchases read twice";
  testing::TotalsSeen seen = testing::read_totals(*kafka_, totals_, /*read_committed=*/true);
  EXPECT_EQ(seen.not_growing, 0u);
  testing::expect_totals_equal(testing::expected_totals(3, 8000), seen.latest);
}

}  // namespace
}  // namespace brook
