// Running totals end to end over the Kafka wire protocol: the local Kafka (or
// the broker in BROOK_TEST_BOOTSTRAP_SERVERS), real RocksDB stores, bounded runs
// of KafkaStreams in this process.
#include <gtest/gtest.h>

#include <filesystem>

#include "apps/running_totals/running_totals.h"
#include "apps/sales_generator/generator.h"
#include "apps/sales_generator/sales_model.h"
#include "tests/integration/test_kafka.h"

namespace brook::demo {
namespace {

constexpr int64_t kStartUs = 1669907853000000;

class RunningTotalsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    purchases_ = kafka_->unique("purchases");
    totals_ = kafka_->unique("totals");
    app_ = kafka_->unique("rt");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-it")).string();
    for (const auto& t :
         {purchases_, totals_, kafka_->unique("products"), kafka_->unique("inventories")}) {
      ASSERT_TRUE(kafka_->create_topic(t, 4));
    }
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  // Writes `n` purchases with the generator and adds them to the expectation.
  void generate(uint64_t seed, int64_t n) {
    GeneratorOptions o;
    o.bootstrap_servers = kafka_->bootstrap_servers();
    o.purchases_topic = purchases_;
    o.products_topic = kafka_->unique("products");
    o.inventories_topic = kafka_->unique("inventories");
    o.purchases = n;
    o.seed = seed;
    o.start_time_us = kStartUs;
    o.quiet = true;
    std::atomic<bool> stop{false};
    GeneratorStats stats;
    Status s = demo::generate(o, stop, &stats);
    ASSERT_TRUE(s) << s.message();
    // The same model, independently: what the totals must be.
    SalesModel model(seed, kStartUs);
    for (int64_t i = 0; i < n; ++i) {
      Purchase p = model.next_purchase(1000);
      RunningTotal& e = expected_[p.product_id];
      e.transactions += 1;
      e.quantities += p.quantity;
      e.sales.value += p.total_cents;
      e.event_time = std::max(e.event_time, SalesModel::format_time(p.time_us));
    }
  }

  // One bounded run of the app; returns its metrics.
  std::map<std::string, int64_t> run(const std::string& guarantee = "at_least_once") {
    StreamsConfig config = kafka_->bounded_config(app_, state_dir_);
    config.set("processing.guarantee", guarantee)
        .set("commit.interval.ms", "500")
        .set("consumer.heartbeat.interval.ms", "500");
    KafkaStreams streams(build_running_totals(purchases_, totals_, {}, combine_), config);
    Status s = streams.start();
    EXPECT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
    return streams.metrics();
  }

  void expect_exact_totals() {
    std::map<std::string, RunningTotal> latest;
    auto records = kafka_->read_all(totals_);
    // Per partition in offset order, the last record of a key is its latest total.
    std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
      return a.partition < b.partition || (a.partition == b.partition && a.offset < b.offset);
    });
    for (const auto& r : records) {
      ASSERT_TRUE(r.key && r.value);
      RunningTotal t;
      ASSERT_TRUE(Serde<RunningTotal>::deserialize(r.value->data(), r.value->size(), t))
          << *r.value;
      EXPECT_EQ(t.product_id, *r.key);
      latest[*r.key] = t;
    }
    ASSERT_EQ(latest.size(), expected_.size());
    for (const auto& [id, e] : expected_) {
      EXPECT_EQ(latest[id].transactions, e.transactions) << id;
      EXPECT_EQ(latest[id].quantities, e.quantities) << id;
      EXPECT_EQ(latest[id].sales.value, e.sales.value) << id;
      EXPECT_EQ(latest[id].event_time, e.event_time) << id;
    }
    output_records_ = records.size();
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  std::string purchases_, totals_, app_, state_dir_;
  std::map<std::string, RunningTotal> expected_;
  size_t output_records_ = 0;
  std::optional<Combine> combine_ = Combine{};  // as the app runs
};

// How many records a run that processed `n` new purchases must have read: each
// purchase once, plus at least one and at most one partial per purchase on the
// repartition topic (as many as there are purchases without combining).
void expect_reads(std::map<std::string, int64_t>& metrics, int64_t n) {
  EXPECT_GT(metrics["process-total"], n);
  EXPECT_LE(metrics["process-total"], 2 * n);
}

TEST_F(RunningTotalsIntegration, ComputesExactTotalsOverFourPartitions) {
  generate(11, 4000);
  auto m = run();
  expect_exact_totals();
  // Each task combines its purchases per product for 100 ms at a time: a run
  // that lasted ~4 s could repartition as many records as it read.
  EXPECT_LT(m["process-total"], 8000) << "purchases are combined before the repartition topic";
  expect_reads(m, 4000);
  // The record cache collapses updates per product between commits.
  EXPECT_LT(output_records_, 4000u);
  EXPECT_GE(output_records_, expected_.size());
}

TEST_F(RunningTotalsIntegration, ComputesExactTotalsWithEveryPurchaseRepartitioned) {
  combine_ = std::nullopt;
  generate(12, 4000);
  auto m = run();
  expect_exact_totals();
  EXPECT_EQ(m["process-total"], 8000)
      << "each purchase is read once from input, once repartitioned";
}

TEST_F(RunningTotalsIntegration, RestartResumesFromCommittedOffsetsWithStateIntact) {
  generate(21, 2000);
  run();
  generate(22, 1500);
  auto m = run();
  // Only the new purchases are processed after a restart (the old ones would
  // make it at least 3500).
  expect_reads(m, 1500);
  EXPECT_EQ(m["restore-records-total"], 0) << "the checkpoint says the local state is current";
  expect_exact_totals();
}

TEST_F(RunningTotalsIntegration, RebuildsStateFromTheChangelogWhenStateDirIsWiped) {
  generate(31, 2000);
  run();
  std::filesystem::remove_all(state_dir_);
  generate(32, 1000);
  auto m = run();
  EXPECT_GT(m["restore-records-total"], 0);
  expect_reads(m, 1000);
  expect_exact_totals();
}

TEST_F(RunningTotalsIntegration, SkipsAndCountsMalformedPurchases) {
  generate(41, 1000);
  const std::vector<std::optional<std::string>> bad = {
      std::string("{oops"),
      std::string(R"({"quantity":1,"total_purchase":1.00})"),
      std::string(R"({"product_id":"SC01","total_purchase":1.00})"),
      std::string(R"({"product_id":"SC01","quantity":1})"),
      std::string(R"({"product_id":"SC01","quantity":"two","total_purchase":1.00})"),
      std::string(""),
      std::nullopt,
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    ASSERT_TRUE(kafka_->produce(purchases_, static_cast<int32_t>(i % 4), std::nullopt, bad[i]));
  }
  generate(42, 1000);
  auto m = run();
  EXPECT_EQ(m["deserialization-errors-total"], static_cast<int64_t>(bad.size()));
  expect_exact_totals();
}

}  // namespace
}  // namespace brook::demo
