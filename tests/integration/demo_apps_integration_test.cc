// The windowed-sales, purchase-enrichment and restock-sales topologies end to
// end over the Kafka wire protocol (the embedded Kafka, or the broker in
// BROOK_TEST_BOOTSTRAP_SERVERS), with real RocksDB stores, under both
// guarantees: bounded runs of KafkaStreams in this process on the generator's
// data (product changes and deletions included), each output checked against
// an independent computation from the same model; then again over two runs
// (a restart), and over two runs with the state directory wiped between them
// (the stores rebuilt from their changelogs).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "apps/purchase_enrichment/purchase_enrichment.h"
#include "apps/restock_sales/restock_sales.h"
#include "apps/sales_generator/generator.h"
#include "apps/sales_generator/sales_model.h"
#include "apps/windowed_sales/windowed_sales.h"
#include "tests/integration/test_kafka.h"

namespace brook::demo {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kStartUs = 1669907853000000;
constexpr int64_t kGapUs = 50000;  // 50 ms of event time between purchases
constexpr int kChangesEvery = 40;

// What the generator wrote, replayed from the same model.
struct Sales {
  std::vector<Purchase> purchases;
  std::vector<Restock> restocks;
  // Per product, its price from each time on (nullopt: deleted), in order.
  std::map<std::string, std::vector<std::pair<int64_t, std::optional<int64_t>>>> prices;
};

enum class Restart { kNone, kKeepState, kWipeState };

class DemoAppsIntegration : public ::testing::TestWithParam<std::tuple<std::string, Restart>> {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    purchases_ = kafka_->unique("purchases");
    products_ = kafka_->unique("products");
    inventories_ = kafka_->unique("inventories");
    out_ = kafka_->unique("out");
    app_ = kafka_->unique("demo");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-demo")).string();
    for (const Product& p : products()) sales_.prices[p.id].emplace_back(0, p.price_cents);
  }
  // Products and inventories with another partition count than the
  // purchases: the re-keyed purchases take theirs.
  void create_topics() {
    ASSERT_TRUE(kafka_->create_topic(purchases_, purchase_partitions_));
    ASSERT_TRUE(kafka_->create_topic(products_, 3));
    ASSERT_TRUE(kafka_->create_topic(inventories_, 3));
    ASSERT_TRUE(kafka_->create_topic(out_, 4));
    created_ = true;
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  // Writes `n` purchases (and their restocks and product changes) with the
  // generator, continuing the event time of earlier calls; replays them.
  void generate(uint64_t seed, int64_t n) {
    if (!created_) create_topics();
    GeneratorOptions o;
    o.bootstrap_servers = kafka_->bootstrap_servers();
    o.purchases_topic = purchases_;
    o.products_topic = products_;
    o.inventories_topic = inventories_;
    o.purchases = n;
    o.seed = seed;
    o.start_time_us = next_start_us_;
    o.event_gap_us = kGapUs;
    o.product_changes_every = kChangesEvery;
    o.quiet = true;
    std::atomic<bool> stop{false};
    GeneratorStats stats;
    Status s = demo::generate(o, stop, &stats);
    ASSERT_TRUE(s) << s.message();
    SalesModel model(seed, next_start_us_);
    for (const Product& p : products()) {
      sales_.prices[p.id].emplace_back(next_start_us_ / 1000, p.price_cents);
    }
    for (int64_t i = 0; i < n; ++i) {
      Purchase p = model.next_purchase(kGapUs);
      sales_.purchases.push_back(p);
      ProductChange c;
      if (model.take_product_change(kChangesEvery, &c)) {
        sales_.prices[products()[c.index].id].emplace_back(
            c.time_us / 1000, c.deleted ? std::nullopt : std::optional<int64_t>(c.price_cents));
      }
      Restock r;
      if (model.take_restock(&r)) sales_.restocks.push_back(r);
      next_start_us_ = p.time_us + 1000000;
    }
  }

  // One bounded run of `topology`; returns its metrics.
  std::map<std::string, int64_t> run(Topology topology, int64_t max_task_idle_ms = 0) {
    StreamsConfig config = kafka_->bounded_config(app_, state_dir_);
    config.set("processing.guarantee", std::get<0>(GetParam()))
        .set("commit.interval.ms", "500")
        .set("max.task.idle.ms", std::to_string(max_task_idle_ms));
    KafkaStreams streams(std::move(topology), config);
    Status s = streams.start();
    EXPECT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
    return streams.metrics();
  }

  // Generates two batches and runs `make()` after each, or once after both,
  // as the test's restart parameter says.
  template <class Make>
  void generate_and_run(Make make, int64_t max_task_idle_ms = 0) {
    Restart restart = std::get<1>(GetParam());
    generate(31, 1500);
    if (restart != Restart::kNone) {
      run(make(), max_task_idle_ms);
      if (restart == Restart::kWipeState) std::filesystem::remove_all(state_dir_);
    }
    generate(32, 1500);
    metrics_ = run(make(), max_task_idle_ms);
  }

  std::vector<testing::ConsumedRecord> output() {
    auto records = kafka_->read_all(out_, /*read_committed=*/true);
    std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
      return a.partition < b.partition || (a.partition == b.partition && a.offset < b.offset);
    });
    return records;
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  std::string purchases_, products_, inventories_, out_, app_, state_dir_;
  Sales sales_;
  int64_t next_start_us_ = kStartUs;
  std::map<std::string, int64_t> metrics_;
  int purchase_partitions_ = 4;
  bool created_ = false;
};

TEST_P(DemoAppsIntegration, WindowedSalesAreExact) {
  WindowedSalesOptions o;
  o.input_topic = purchases_;
  o.output_topic = out_;
  o.window_size = 60s;
  o.advance = 30s;
  o.grace = 10min;  // longer than the data: no purchase is late, whatever the order
  generate_and_run([&] { return build_windowed_sales(o); });
  struct Sums {
    int64_t transactions = 0, quantities = 0, cents = 0;
  };
  std::map<std::pair<std::string, int64_t>, Sums> expected;
  for (const Purchase& p : sales_.purchases) {
    int64_t t = p.time_us / 1000;
    for (int64_t start = t / 30000 * 30000; start > t - 60000; start -= 30000) {
      Sums& s = expected[{p.product_id, start}];
      s.transactions += 1;
      s.quantities += p.quantity;
      s.cents += p.total_cents;
    }
  }
  std::map<std::pair<std::string, int64_t>, WindowedSalesRecord> latest;
  for (const auto& r : output()) {
    WindowedSalesRecord w;
    ASSERT_TRUE(r.key && r.value &&
                Serde<WindowedSalesRecord>::deserialize(r.value->data(), r.value->size(), w));
    EXPECT_EQ(*r.key, w.product_id);
    latest[{w.product_id, *parse_timestamp(w.window_start)}] = w;
  }
  ASSERT_EQ(latest.size(), expected.size());
  for (const auto& [key, e] : expected) {
    const WindowedSalesRecord& w = latest[key];
    EXPECT_EQ(w.transactions, e.transactions) << key.first << "@" << key.second;
    EXPECT_EQ(w.quantities, e.quantities) << key.first << "@" << key.second;
    EXPECT_EQ(w.sales.value, e.cents) << key.first << "@" << key.second;
  }
  EXPECT_EQ(metrics_["dropped-records-total"], 0);
}

TEST_P(DemoAppsIntegration, EveryPurchaseIsEnrichedOnceWithTheProductOfItsTime) {
  // One purchases partition: the re-keyed purchases reach each join task in
  // time order. (From several partitions, the tasks re-keying them run at
  // their own pace, and a purchase may reach the join after product records
  // later than itself: time alignment across partitions is best effort, as
  // in Kafka Streams.)
  purchase_partitions_ = 1;
  generate_and_run([&] { return build_purchase_enrichment(purchases_, products_, out_); },
                   kEnrichmentIdleMs);
  // The prices a purchase at `t` may carry: the product's price in force just
  // before t, and any set at t itself (a tie, in either order).
  auto acceptable = [&](const std::string& product, int64_t t) {
    std::set<std::optional<int64_t>> ok;
    std::optional<int64_t> before;
    for (const auto& [at, price] : sales_.prices.at(product)) {
      if (at < t) before = price;
      if (at == t) ok.insert(price);
    }
    ok.insert(before);
    return ok;
  };
  auto history = [&](const std::string& product) {
    std::string h = "; its prices:";
    for (const auto& [at, price] : sales_.prices.at(product)) {
      h += " " + std::to_string(at) + "=" + (price ? std::to_string(*price) : "deleted");
    }
    return h;
  };
  std::map<std::string, const Purchase*> by_id;
  for (const Purchase& p : sales_.purchases) by_id[p.transaction_id] = &p;
  std::set<std::string> seen;
  size_t nulls = 0;
  for (const auto& r : output()) {
    EnrichedPurchase e;
    ASSERT_TRUE(r.value &&
                Serde<EnrichedPurchase>::deserialize(r.value->data(), r.value->size(), e))
        << (r.value ? *r.value : "null");
    EXPECT_TRUE(seen.insert(e.transaction_id).second)
        << "purchase " << e.transaction_id << " twice";
    const Purchase* p = by_id.at(e.transaction_id);
    std::optional<int64_t> price;
    if (e.product) price = e.product->price.value;
    if (!price) ++nulls;
    auto ok = acceptable(p->product_id, p->time_us / 1000);
    EXPECT_TRUE(ok.count(price)) << "purchase " << e.transaction_id << " of " << p->product_id
                                 << " at " << p->time_us / 1000 << " carries price "
                                 << (price ? std::to_string(*price) : "null")
                                 << history(p->product_id);
  }
  EXPECT_EQ(seen.size(), sales_.purchases.size()) << "one output per purchase";

  EXPECT_GT(nulls, 0u) << "the generator deleted products: some purchases find none";
}

TEST_P(DemoAppsIntegration, RestocksMeetThePurchasesAfterThemExactlyOnce) {
  RestockSalesOptions o;
  o.inventories_topic = inventories_;
  o.purchases_topic = purchases_;
  o.output_topic = out_;
  o.within = 5min;
  o.grace = 10min;
  generate_and_run([&] { return build_restock_sales(o); });
  std::multiset<std::string> expected;
  for (const Restock& r : sales_.restocks) {
    for (const Purchase& p : sales_.purchases) {
      int64_t tr = r.time_us / 1000, tp = p.time_us / 1000;
      if (p.product_id == r.product_id && tp >= tr && tp <= tr + 5 * 60000) {
        expected.insert(SalesModel::format_time(r.time_us) + " " + p.transaction_id);
      }
    }
  }
  ASSERT_GT(expected.size(), 50u);
  std::multiset<std::string> got;
  for (const auto& r : output()) {
    RestockSale s;
    ASSERT_TRUE(r.value && Serde<RestockSale>::deserialize(r.value->data(), r.value->size(), s));
    got.insert(s.restock_time + " " + s.transaction_id);
  }
  EXPECT_EQ(got, expected);
}

std::string name(const ::testing::TestParamInfo<std::tuple<std::string, Restart>>& info) {
  const char* restart[] = {"OneRun", "Restarted", "RestartedWithStateWiped"};
  std::string g = std::get<0>(info.param) == "exactly_once_v2" ? "ExactlyOnce" : "AtLeastOnce";
  return g + restart[static_cast<int>(std::get<1>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(Guarantees, DemoAppsIntegration,
                         ::testing::Combine(::testing::Values("at_least_once", "exactly_once_v2"),
                                            ::testing::Values(Restart::kNone, Restart::kKeepState,
                                                              Restart::kWipeState)),
                         name);

}  // namespace
}  // namespace brook::demo
