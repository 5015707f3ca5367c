// Exactly-once on a real Apache Kafka, where transactions are real: markers,
// offsets committed in transactions, fencing. The broker is the one in
// BROOK_TEST_BOOTSTRAP_SERVERS, or one started by scripts/kafka.sh.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "apps/purchase_enrichment/purchase_enrichment.h"
#include "apps/restock_sales/restock_sales.h"
#include "apps/sales_generator/sales_model.h"
#include "apps/windowed_sales/windowed_sales.h"
#include "engine/kafka/kafka_client.h"
#include "tests/integration/sales_check.h"

namespace brook {
namespace {

using S = std::string;
using testing::Worker;

class ExactlyOnceOnRealKafka : public testing::RealKafkaSalesTest {
 protected:
  ExactlyOnceOnRealKafka() : RealKafkaSalesTest("eos") {}

  StreamsConfig config(const S& state_dir) {
    StreamsConfig c = kafka_->bounded_config(app_, state_dir);
    c.set("processing.guarantee", "exactly_once_v2").set("commit.interval.ms", "100");
    return c;
  }
  // One bounded run in this process; its metrics.
  std::map<S, int64_t> run_bounded(const S& state_dir) {
    KafkaStreams streams(demo::build_running_totals(purchases_, totals_), config(state_dir));
    Status s = streams.start();
    EXPECT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
    return streams.metrics();
  }
  // brook-running-totals under exactly-once, unbounded, with its own state
  // dir; `more` flags win over the fixture's.
  std::unique_ptr<Worker> worker(const S& state_dir, const S& log_name, std::vector<S> more = {}) {
    std::vector<S> args{"--input-topic", purchases_, "--output-topic", totals_};
    args.insert(args.end(), more.begin(), more.end());
    return app_worker(BROOK_RUNNING_TOTALS_BIN, state_dir, log_name, std::move(args));
  }
  // One of the demo apps (`binary`) under exactly-once, unbounded, with its
  // own state dir, the fixture's application id and `args` (later flags win).
  std::unique_ptr<Worker> app_worker(const char* binary, const S& state_dir, const S& log_name,
                                     std::vector<S> args) {
    std::vector<S> all{"--bootstrap-servers",
                       kafka_->bootstrap_servers(),
                       "--application-id",
                       app_,
                       "--state-dir",
                       state_dir,
                       "--processing-guarantee",
                       "exactly_once_v2",
                       "--commit-interval-ms",
                       "100",
                       "--property",
                       "consumer.session.timeout.ms=6000",
                       "--property",
                       "consumer.heartbeat.interval.ms=500"};
    all.insert(all.end(), args.begin(), args.end());
    return std::make_unique<Worker>(all, dir_ + "/" + log_name, std::function<void()>{}, binary);
  }
  // Two workers of an app while the generator writes `o`: one stays, the
  // other is killed with SIGKILL in open transactions (`kills` landed, in at
  // most three times as many attempts); then the staying one stops (SIGTERM)
  // and a bounded run of `topology` finishes what is left, as a restarted
  // worker would.
  void run_through_kills(const demo::GeneratorOptions& o, const char* binary,
                         const std::vector<S>& args, int kills, Topology topology) {
    std::thread writer([&] {
      std::atomic<bool> stop{false};
      demo::GeneratorStats stats;
      Status s = demo::generate(o, stop, &stats);
      EXPECT_TRUE(s) << s.message();
    });
    auto other = app_worker(binary, dir_ + "/b", "b.log", args);
    int landed = kill_in_open_transactions(
        [&](int attempt) {
          return app_worker(binary, dir_ + "/a", "a-" + std::to_string(attempt) + ".log", args);
        },
        kills, 3 * kills);
    writer.join();
    EXPECT_EQ(landed, kills) << "in at most " << 3 * kills << " attempts";
    other->signal(SIGTERM);
    EXPECT_EQ(other->wait(60000), 0) << other->log();
    KafkaStreams streams(std::move(topology), config(dir_ + "/a"));
    Status s = streams.start();
    ASSERT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
  }
  // The committed totals: exact, and no product's total ever written twice or
  // going back.
  void expect_exact_committed_totals(uint64_t seed, int64_t n, double rate = 0) {
    expect_exact_committed_totals_of(testing::expected_totals(seed, n, rate));
  }
  void expect_exact_committed_totals_of(const std::map<S, demo::RunningTotal>& expected) {
    testing::TotalsSeen seen = testing::read_totals(*kafka_, totals_, /*read_committed=*/true);
    EXPECT_EQ(seen.not_growing, 0u) << "a committed total repeated or went back";
    testing::expect_totals_equal(expected, seen.latest);
  }

  // Starts workers (`make(attempt)`), each killed with SIGKILL as soon as its
  // log shows a transaction open (after `before_kill`, if given), until
  // `kills` kills landed in one or `max_attempts` workers were tried; returns
  // how many landed.
  int kill_in_open_transactions(const std::function<std::unique_ptr<Worker>(int)>& make, int kills,
                                int max_attempts,
                                const std::function<void(int, Worker&)>& before_kill = {}) {
    std::mt19937 rng(std::random_device{}());
    int landed = 0;
    for (int attempt = 0; landed < kills && attempt < max_attempts; ++attempt) {
      auto w = make(attempt);
      std::this_thread::sleep_for(std::chrono::milliseconds(2000 + rng() % 2000));
      if (before_kill) before_kill(attempt, *w);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!testing::log_shows_open_transaction(w->log()) &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      w->signal(SIGKILL);
      w->wait();
      if (testing::log_shows_open_transaction(w->log())) ++landed;
    }
    return landed;
  }
};

// Workers killed with SIGKILL while input keeps flowing, each kill landing while
// a transaction is open (the worker's log says so); a second instance shares
// the tasks throughout, so tasks migrate at every kill and restart; and once a
// worker is paused past its session timeout, so that when it resumes it is a
// zombie whose transaction the broker must refuse. Afterwards a read_committed
// reader sees every purchase's effect exactly once.
TEST_F(ExactlyOnceOnRealKafka, SurvivesRepeatedSigkillWithEveryEffectExactlyOnce) {
  constexpr int64_t kPurchases = 24000;
  constexpr double kRate = 500;  // ~48 s of input: it flows during every kill
  std::thread writer([&] { generate(kPurchases, 77, kRate); });
  auto other = worker(dir_ + "/b", "b.log");
  bool zombie_seen = false;
  S zombie_log;
  int kills_in_transaction = kill_in_open_transactions(
      [&](int attempt) { return worker(dir_ + "/a", "a-" + std::to_string(attempt) + ".log"); }, 8,
      20,
      [&](int attempt, Worker& w) {
        if (attempt != 3) return;
        // Once it runs tasks, paused past the session timeout (6 s): the group
        // gives its tasks to the other worker; resumed, it still holds them and
        // a transaction of the old generation.
        for (int i = 0; i < 300 && w.log().find("to RUNNING") == S::npos; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        w.signal(SIGSTOP);
        std::this_thread::sleep_for(std::chrono::seconds(8));
        w.signal(SIGCONT);
        for (int i = 0; i < 200 && !zombie_seen; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          S log = w.log();
          zombie_log = log;
          // Its tasks are closed as lost, without a commit (a commit would
          // only conflict with their new owner's).
          zombie_seen = log.find("partitions lost") != S::npos;
        }
      });
  writer.join();
  EXPECT_EQ(kills_in_transaction, 8) << "in at most 20 attempts";
  EXPECT_TRUE(zombie_seen) << "the resumed worker went on as if nothing had happened:\n"
                           << zombie_log;
  other->signal(SIGTERM);
  EXPECT_EQ(other->wait(60000), 0) << other->log();
  run_bounded(dir_ + "/a");
  expect_exact_committed_totals(77, kPurchases, kRate);
}

// brook-windowed-sales under exactly-once, killed with SIGKILL in open
// transactions while purchases flow, a second worker sharing the tasks: the
// committed window results are exact, and no window's result is ever written
// twice or goes back (each committed update of a window counts more
// purchases than the one before).
TEST_F(ExactlyOnceOnRealKafka, WindowedSalesSurviveRepeatedSigkillExactlyOnce) {
  constexpr int64_t kPurchases = 12000;
  constexpr double kRate = 500;
  S out = kafka_->unique("windowed");
  ASSERT_TRUE(kafka_->create_topic(out, 4));
  demo::GeneratorOptions o = testing::generator_options(*kafka_, purchases_, kPurchases, 78, kRate);
  o.event_gap_us = 50000;
  o.product_changes_every = 0;
  demo::WindowedSalesOptions wo;
  wo.input_topic = purchases_;
  wo.output_topic = out;
  wo.window_size = std::chrono::minutes(1);
  wo.advance = std::chrono::seconds(30);
  wo.grace = std::chrono::minutes(60);  // longer than the data: no purchase is late
  run_through_kills(o, BROOK_WINDOWED_SALES_BIN,
                    {"--input-topic", purchases_, "--output-topic", out, "--window-size", "1",
                     "--advance", "0.5", "--grace", "60"},
                    5, demo::build_windowed_sales(wo));

  // Expected sums per product and window, from the same model.
  struct Sums {
    int64_t transactions = 0, cents = 0;
  };
  std::map<std::pair<S, int64_t>, Sums> expected;
  demo::SalesModel model(78, testing::kSalesStartUs);
  for (int64_t i = 0; i < kPurchases; ++i) {
    demo::Purchase p = model.next_purchase(o.event_gap_us);
    int64_t t = p.time_us / 1000;
    for (int64_t start = t / 30000 * 30000; start > t - 60000; start -= 30000) {
      Sums& e = expected[{p.product_id, start}];
      e.transactions += 1;
      e.cents += p.total_cents;
    }
  }
  auto records = kafka_->read_all(out, /*read_committed=*/true);
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.partition < b.partition || (a.partition == b.partition && a.offset < b.offset);
  });
  std::map<std::pair<S, int64_t>, demo::WindowedSalesRecord> latest;
  size_t not_growing = 0;
  for (const auto& r : records) {
    demo::WindowedSalesRecord w;
    ASSERT_TRUE(r.value &&
                Serde<demo::WindowedSalesRecord>::deserialize(r.value->data(), r.value->size(), w));
    auto key = std::make_pair(w.product_id, *parse_timestamp(w.window_start));
    auto it = latest.find(key);
    if (it != latest.end() && w.transactions <= it->second.transactions) ++not_growing;
    latest[key] = w;
  }
  EXPECT_EQ(not_growing, 0u) << "a committed window result repeated or went back";
  ASSERT_EQ(latest.size(), expected.size());
  for (const auto& [key, e] : expected) {
    EXPECT_EQ(latest[key].transactions, e.transactions) << key.first << "@" << key.second;
    EXPECT_EQ(latest[key].sales.value, e.cents) << key.first << "@" << key.second;
  }
}

// brook-purchase-enrichment under exactly-once, killed with SIGKILL in open
// transactions while purchases flow, a second worker sharing the tasks (the
// re-keying ones, whose repartition topic is read in transactions too, and
// the join's): every purchase comes out enriched exactly once, with its
// product.
TEST_F(ExactlyOnceOnRealKafka, PurchaseEnrichmentSurvivesRepeatedSigkillExactlyOnce) {
  constexpr int64_t kPurchases = 8000;
  S out = kafka_->unique("enriched");
  ASSERT_TRUE(kafka_->create_topic(out, 4));
  demo::GeneratorOptions o = testing::generator_options(*kafka_, purchases_, kPurchases, 79, 400);
  o.event_gap_us = 2500;
  o.product_changes_every = 0;  // every purchase's product is the catalogue's
  run_through_kills(
      o, BROOK_PURCHASE_ENRICHMENT_BIN,
      {"--input-topic", purchases_, "--products-topic", o.products_topic, "--output-topic", out,
       "--property", "max.task.idle.ms=" + std::to_string(demo::kEnrichmentIdleMs)},
      4, demo::build_purchase_enrichment(purchases_, o.products_topic, out));

  std::map<S, int64_t> prices;
  for (const demo::Product& p : demo::products()) prices[p.id] = p.price_cents;
  demo::SalesModel model(79, testing::kSalesStartUs);
  std::map<S, S> product_of;  // transaction id -> product id
  for (int64_t i = 0; i < kPurchases; ++i) {
    demo::Purchase p = model.next_purchase(o.event_gap_us);
    product_of[p.transaction_id] = p.product_id;
    demo::Restock r;
    model.take_restock(&r);  // as the generator does: the model's draws stay in step
  }
  std::set<S> seen;
  for (const auto& r : kafka_->read_all(out, /*read_committed=*/true)) {
    demo::EnrichedPurchase e;
    ASSERT_TRUE(r.value &&
                Serde<demo::EnrichedPurchase>::deserialize(r.value->data(), r.value->size(), e));
    EXPECT_TRUE(seen.insert(e.transaction_id).second) << e.transaction_id << " twice";
    ASSERT_TRUE(product_of.count(e.transaction_id)) << "no such purchase " << e.transaction_id;
    EXPECT_EQ(e.product_id, product_of[e.transaction_id]);
    ASSERT_TRUE(e.product) << e.transaction_id << " without its product";
    EXPECT_EQ(e.product->price.value, prices.at(e.product_id)) << e.transaction_id;
  }
  EXPECT_EQ(seen.size(), product_of.size()) << "one output per purchase";
}

// brook-restock-sales (a windowed stream-stream join) under exactly-once,
// killed with SIGKILL in open transactions, a second worker sharing the
// tasks: each restock meets each purchase of its product in the minutes
// after it exactly once.
TEST_F(ExactlyOnceOnRealKafka, RestockSalesSurviveRepeatedSigkillExactlyOnce) {
  constexpr int64_t kPurchases = 8000;
  S out = kafka_->unique("restock-sales");
  ASSERT_TRUE(kafka_->create_topic(out, 4));
  demo::GeneratorOptions o = testing::generator_options(*kafka_, purchases_, kPurchases, 80, 400);
  o.event_gap_us = 50000;
  o.product_changes_every = 0;
  demo::RestockSalesOptions ro;
  ro.inventories_topic = o.inventories_topic;
  ro.purchases_topic = purchases_;
  ro.output_topic = out;
  ro.within = std::chrono::minutes(5);
  ro.grace = std::chrono::minutes(60);  // longer than the data: no record is late
  run_through_kills(o, BROOK_RESTOCK_SALES_BIN,
                    {"--input-topic", o.inventories_topic, "--purchases-topic", purchases_,
                     "--output-topic", out, "--within", "5", "--grace", "60"},
                    4, demo::build_restock_sales(ro));

  demo::SalesModel model(80, testing::kSalesStartUs);
  std::vector<demo::Purchase> purchases;
  std::vector<demo::Restock> restocks;
  for (int64_t i = 0; i < kPurchases; ++i) {
    purchases.push_back(model.next_purchase(o.event_gap_us));
    demo::Restock r;
    if (model.take_restock(&r)) restocks.push_back(r);
  }
  std::multiset<S> expected;
  for (const demo::Restock& r : restocks) {
    for (const demo::Purchase& p : purchases) {
      int64_t tr = r.time_us / 1000, tp = p.time_us / 1000;
      if (p.product_id == r.product_id && tp >= tr && tp <= tr + 5 * 60000) {
        expected.insert(demo::SalesModel::format_time(r.time_us) + " " + p.transaction_id);
      }
    }
  }
  ASSERT_GT(expected.size(), 100u);
  std::multiset<S> got;
  for (const auto& r : kafka_->read_all(out, /*read_committed=*/true)) {
    demo::RestockSale sale;
    ASSERT_TRUE(r.value &&
                Serde<demo::RestockSale>::deserialize(r.value->data(), r.value->size(), sale));
    got.insert(sale.restock_time + " " + sale.transaction_id);
  }
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "pairs missing or twice";
}

// A clean restart under exactly-once starts where the offsets committed in its
// transactions say: nothing is read twice, nothing restored.
TEST_F(ExactlyOnceOnRealKafka, RestartResumesFromOffsetsCommittedInItsTransactions) {
  generate(3000, 5);
  auto first = run_bounded(dir_ + "/a");
  EXPECT_GT(first["process-total"], 3000);
  // More purchases, from another seed.
  generate(1000, 6);
  auto second = run_bounded(dir_ + "/a");
  EXPECT_GT(second["process-total"], 1000) << "the new purchases and their partials";
  EXPECT_LE(second["process-total"], 2000) << "purchases of the first run read again";
  EXPECT_EQ(second["restore-records-total"], 0) << "a clean close left nothing to restore";
  auto expected = testing::expected_totals(5, 3000);
  testing::add_totals(&expected, testing::expected_totals(6, 1000));
  testing::TotalsSeen seen = testing::read_totals(*kafka_, totals_, true);
  EXPECT_EQ(seen.not_growing, 0u);
  testing::expect_totals_equal(expected, seen.latest);
}

// After a SIGKILL, the transactional stores hold exactly their last commit:
// the restart replays only the changelog's tail past it, not the changelog.
TEST_F(ExactlyOnceOnRealKafka, RestartAfterSigkillReplaysOnlyTheChangelogTail) {
  std::thread writer([&] { generate(8000, 9, 800); });
  auto w = worker(dir_ + "/a", "a.log");
  std::this_thread::sleep_for(std::chrono::seconds(7));
  ASSERT_EQ(w->wait(0), -1) << "the worker stopped by itself:\n" << w->log();
  w->signal(SIGKILL);
  w->wait();
  writer.join();
  int64_t changelog = 0;
  for (const auto& r : kafka_->read_all(app_ + "-running-totals-store-changelog", true)) {
    (void)r;
    ++changelog;
  }
  auto m = run_bounded(dir_ + "/a");
  // At most one commit's writes per task: 27 products in each of 4 tasks.
  EXPECT_LE(m["restore-records-total"], 4 * 27);
  EXPECT_GT(changelog, 10 * 4 * 27) << "too short a run to tell a tail from the whole";
  expect_exact_committed_totals(9, 8000, 800);
}

// Tasks that move to a second instance and come back keep their stores' offsets
// right: the returning tasks restore only what the other instance wrote, and
// after a clean close a restart restores nothing (a stale changelog offset, or
// a store wiped for being ahead of the last stable offset, would replay more).
TEST_F(ExactlyOnceOnRealKafka, TasksThatLeaveAndComeBackRestoreOnlyWhatWasWrittenMeanwhile) {
  auto unbounded = [&](const S& state_dir) {
    StreamsConfig c = config(state_dir);
    c.set("stop.at.end", "false");
    return std::make_unique<KafkaStreams>(demo::build_running_totals(purchases_, totals_), c);
  };
  auto expected = testing::expected_totals(31, 2000);
  auto a = unbounded(dir_ + "/a");
  ASSERT_TRUE(a->start());
  generate(2000, 31);
  ASSERT_TRUE(testing::wait_for_totals(*kafka_, totals_, expected, std::chrono::seconds(60)));

  int64_t rebalances = a->metrics()["rebalance-total"];
  auto b = unbounded(dir_ + "/b");
  ASSERT_TRUE(b->start());
  ASSERT_TRUE(b->wait_for_state(KafkaStreams::State::kRunning, std::chrono::seconds(60)));
  // The first instance hands half its tasks over (the second gets them in the
  // cooperative protocol's second round; until then it runs with none).
  auto handed = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (a->metrics()["rebalance-total"] == rebalances &&
         std::chrono::steady_clock::now() < handed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(a->metrics()["rebalance-total"], rebalances);
  generate(2000, 32);
  testing::add_totals(&expected, testing::expected_totals(32, 2000));
  ASSERT_TRUE(testing::wait_for_totals(*kafka_, totals_, expected, std::chrono::seconds(60)));
  int64_t b_processed = b->metrics()["process-total"];
  EXPECT_GT(b_processed, 0) << "no task moved to the second instance";

  rebalances = a->metrics()["rebalance-total"];
  int64_t restored_before = a->metrics()["restore-records-total"];
  b->close();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (a->metrics()["rebalance-total"] == rebalances &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(a->wait_for_state(KafkaStreams::State::kRunning, std::chrono::seconds(60)));
  // Commits with nothing new written: the returning tasks' stores must keep
  // the offsets they restored to, not take this producer's older writes.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // What came back is at most the second instance's writes: under exactly-once
  // with the cache, one total per product per commit, so fewer records than
  // the purchases it processed.
  int64_t restored = a->metrics()["restore-records-total"] - restored_before;
  EXPECT_LE(restored, b_processed) << "the returning tasks restored more than was written";
  a->close();

  auto m = run_bounded(dir_ + "/a");
  EXPECT_EQ(m["restore-records-total"], 0) << "a clean close left something to restore";
  expect_exact_committed_totals_of(expected);
}

// A bounded run that shares the group with a member holding some of the input
// partitions without processing them (a hung worker; or one just stopped whose
// leaving the group has not reached the coordinator): the run is complete only
// once every partition is processed to its end, not when its own are. It waits
// until that member leaves, takes its partitions over and processes them.
TEST_F(ExactlyOnceOnRealKafka, ABoundedRunIsNotCompleteWhileAnotherMemberHoldsInputPartitions) {
  generate(2000, 21);
  kafka::Conf conf;
  Status s = kafka::make_conf({{"bootstrap.servers", kafka_->bootstrap_servers()},
                               {"group.id", app_},
                               // brook's protocol: the group takes one only
                               {"partition.assignment.strategy", "cooperative-sticky"},
                               {"enable.auto.commit", "false"},
                               {"session.timeout.ms", "6000"},
                               {"heartbeat.interval.ms", "500"}},
                              &conf);
  ASSERT_TRUE(s) << s.message();
  kafka::Handle holder;
  s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &holder);
  ASSERT_TRUE(s) << s.message();
  rd_kafka_poll_set_consumer(holder.get());
  kafka::PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), purchases_.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(holder.get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::atomic<bool> release{false};
  std::atomic<int> held{0};
  std::thread member([&] {
    while (!release.load()) {
      kafka::Message m(rd_kafka_consumer_poll(holder.get(), 50));  // read, never processed
      rd_kafka_topic_partition_list_t* assignment = nullptr;
      if (!rd_kafka_assignment(holder.get(), &assignment)) {
        held = assignment->cnt;
        rd_kafka_topic_partition_list_destroy(assignment);
      }
    }
    rd_kafka_consumer_close(holder.get());  // leaves the group
  });
  for (int i = 0; i < 300 && held.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(held.load(), 0) << "the holding member never got partitions";
  std::atomic<bool> finished{false};
  std::thread run([&] {
    run_bounded(dir_ + "/a");
    finished = true;
  });
  // The run joins, shares the partitions with the holder, processes its own.
  for (int i = 0; i < 300 && held.load() == 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int kept = held.load();
  std::this_thread::sleep_for(std::chrono::seconds(8));
  EXPECT_FALSE(finished.load()) << "the run finished while another member held " << kept
                                << " of the 4 input partitions";
  release = true;
  member.join();
  run.join();
  expect_exact_committed_totals(21, 2000);
}

// A store whose offset is above the changelog's last stable offset: another
// worker's transaction still open on the changelog (a killed worker's, until
// the broker times it out) holds the last stable offset below what has been
// committed since. Tasks that move to a third instance and come back in that
// window must neither be wiped (a full restore) nor go on without what the
// third instance committed behind the open transaction: they wait until it is
// stable and restore just that.
TEST_F(ExactlyOnceOnRealKafka, AStoreAheadOfAnOpenTransactionWaitsForItAndIsNotWiped) {
  std::atomic<bool> stop{false};
  demo::GeneratorStats stats;
  std::thread writer([&] {
    Status s =
        demo::generate(testing::generator_options(*kafka_, purchases_, 0, 51, 1000), stop, &stats);
    EXPECT_TRUE(s) << s.message();
  });
  auto unbounded = [&](const S& state_dir) {
    StreamsConfig c = config(state_dir);
    c.set("stop.at.end", "false");
    return std::make_unique<KafkaStreams>(demo::build_running_totals(purchases_, totals_), c);
  };
  auto wait_rebalanced = [&](KafkaStreams& k, int64_t before) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (k.metrics()["rebalance-total"] == before &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_GT(k.metrics()["rebalance-total"], before);
  };
  auto a = unbounded(dir_ + "/a");
  ASSERT_TRUE(a->start());
  // The killed worker's transaction stays open for 25 s.
  // Without a cache it writes its changelogs record by record, so its open
  // transaction holds them.
  auto b = worker(dir_ + "/b", "b.log",
                  {"--property", "producer.transaction.timeout.ms=25000", "--property",
                   "cache.max.bytes.buffering=0"});
  for (int i = 0; i < 300 && b->log().find("to RUNNING") == S::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  while (!testing::log_shows_open_transaction(b->log())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int64_t rebalances = a->metrics()["rebalance-total"];
  b->signal(SIGKILL);
  b->wait();
  // The group drops it after its session timeout; this instance takes all the
  // tasks and commits past the open transaction.
  wait_rebalanced(*a, rebalances);
  ASSERT_TRUE(a->wait_for_state(KafkaStreams::State::kRunning, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // Half the tasks go to a third instance, which commits, and come back.
  rebalances = a->metrics()["rebalance-total"];
  auto c = unbounded(dir_ + "/c");
  ASSERT_TRUE(c->start());
  ASSERT_TRUE(c->wait_for_state(KafkaStreams::State::kRunning, std::chrono::seconds(30)));
  wait_rebalanced(*a, rebalances);
  // The third instance gets them in the cooperative protocol's second round.
  auto moved = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (c->metrics()["process-total"] == 0 && std::chrono::steady_clock::now() < moved) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  int64_t c_processed = c->metrics()["process-total"];
  EXPECT_GT(c_processed, 0) << "no task moved to the third instance";
  int64_t restored_before = a->metrics()["restore-records-total"];
  rebalances = a->metrics()["rebalance-total"];
  c->close();
  wait_rebalanced(*a, rebalances);
  ASSERT_TRUE(a->wait_for_state(KafkaStreams::State::kRunning, std::chrono::seconds(60)));
  int64_t restored = a->metrics()["restore-records-total"] - restored_before;
  EXPECT_LE(restored, c_processed) << "stores ahead of the open transaction were wiped";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  writer.join();
  a->close();
  run_bounded(dir_ + "/a");
  expect_exact_committed_totals(51, stats.purchases, 1000);
}

// A second instance with the same transactional identity (its state directory's
// process id copied, as when a worker's volume moves to another machine while
// the old one still runs) fences the first: the fenced one stops processing
// without committing, rejoins under a new identity, and no output is duplicated.
TEST_F(ExactlyOnceOnRealKafka, SecondInstanceWithTheSameTransactionalIdFencesTheFirst) {
  std::thread writer([&] { generate(12000, 21, 1000); });
  auto a = worker(dir_ + "/a", "a.log");
  std::this_thread::sleep_for(std::chrono::seconds(4));
  S id_file = "/" + app_ + "/brook-process.id";
  std::filesystem::create_directories(dir_ + "/b/" + app_);
  std::filesystem::copy_file(dir_ + "/a" + id_file, dir_ + "/b" + id_file);
  auto b = worker(dir_ + "/b", "b.log");
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_NE(a->log().find("producer fenced"), S::npos) << a->log();
  writer.join();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  a->signal(SIGTERM);
  b->signal(SIGTERM);
  EXPECT_EQ(a->wait(60000), 0) << a->log();
  EXPECT_EQ(b->wait(60000), 0) << b->log();
  EXPECT_EQ(b->log().find("producer fenced"), S::npos)
      << "the fenced worker fenced back (both kept one identity)";
  run_bounded(dir_ + "/a");
  expect_exact_committed_totals(21, 12000, 1000);
}

}  // namespace
}  // namespace brook
