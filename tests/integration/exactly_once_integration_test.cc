// Exactly-once (exactly_once_v2) over the Kafka wire protocol. On the local
// Kafka (librdkafka's mock: no transaction markers, offsets sent in a
// transaction discarded, no fencing) these tests check what it can show: a run
// gives exact results, transactions commit, and injected request errors abort
// transactions that brook recovers from without losing or double-applying
// anything in its state. The crash test needs a broker with real transactions
// and probes for them first.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "apps/running_totals/running_totals.h"
#include "apps/sales_generator/generator.h"
#include "apps/sales_generator/sales_model.h"
#include "brook/brook.h"
#include "engine/kafka_client.h"
#include "state/rocksdb_resources.h"
#include "state/transactional_rocksdb_store.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using S = std::string;

class ExactlyOnceIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    app_ = kafka_->unique("eos");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-eos")).string();
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  StreamsConfig config(const std::string& commit_ms = "100") {
    StreamsConfig c = kafka_->bounded_config(app_, state_dir_);
    c.set("processing.guarantee", "exactly_once_v2").set("commit.interval.ms", commit_ms);
    return c;
  }

  // Creates the demo topics (4 partitions) and the generator's options for them.
  demo::GeneratorOptions demo_topics(const S& purchases, const S& totals, int64_t n, uint64_t seed) {
    demo::GeneratorOptions o;
    o.bootstrap_servers = kafka_->bootstrap_servers();
    o.purchases_topic = purchases;
    o.products_topic = kafka_->unique("products");
    o.inventories_topic = kafka_->unique("inventories");
    for (const auto& t : {purchases, totals, o.products_topic, o.inventories_topic}) {
      EXPECT_TRUE(kafka_->create_topic(t, 4));
    }
    o.purchases = n;
    o.seed = seed;
    o.start_time_us = 1669907853000000;
    o.quiet = true;
    return o;
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  std::string app_, state_dir_;
};

TEST_F(ExactlyOnceIntegration, RunningTotalsAreExactUnderExactlyOnce) {
  S purchases = kafka_->unique("purchases"), totals = kafka_->unique("totals");
  demo::GeneratorOptions o = demo_topics(purchases, totals, 3000, 5);
  std::atomic<bool> stop{false};
  demo::GeneratorStats stats;
  ASSERT_TRUE(demo::generate(o, stop, &stats));
  std::map<S, int64_t> expected_cents, expected_tx;
  demo::SalesModel model(5, o.start_time_us);
  for (int i = 0; i < 3000; ++i) {
    auto p = model.next_purchase(1000);
    expected_cents[p.product_id] += p.total_cents;
    expected_tx[p.product_id] += 1;
  }
  KafkaStreams streams(demo::build_running_totals(purchases, totals), config());
  ASSERT_TRUE(streams.start());
  ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
  EXPECT_GT(streams.metrics()["commit-total"], 1) << "several transactions committed";
  std::map<S, demo::RunningTotal> latest;
  for (const auto& r : kafka_->read_all(totals, /*read_committed=*/true)) {
    demo::RunningTotal t;
    ASSERT_TRUE(Serde<demo::RunningTotal>::deserialize(r.value->data(), r.value->size(), t));
    if (t.transactions >= latest[t.product_id].transactions) latest[t.product_id] = t;
  }
  ASSERT_EQ(latest.size(), expected_cents.size());
  for (const auto& [id, cents] : expected_cents) {
    EXPECT_EQ(latest[id].sales.value, cents) << id;
    EXPECT_EQ(latest[id].transactions, expected_tx[id]) << id;
  }
}

// Counts per key in a persistent store; one sub-topology, so that its state can
// be checked exactly even on a broker that shows aborted records.
Topology counting(const S& input, const S& output) {
  StreamsBuilder b;
  b.stream<S, S>(input).group_by_key().count(Materialized::as("counts")).to_stream().to(output);
  return b.build();
}

// Reads the committed contents of every task's "counts" store from disk.
std::map<S, int64_t> stored_counts(const S& state_dir, const S& app) {
  std::map<S, int64_t> out;
  state::RocksDbResources resources(8 << 20);
  for (const auto& task : std::filesystem::directory_iterator(state_dir + "/" + app)) {
    if (!task.is_directory() || !std::filesystem::exists(task.path() / "counts")) continue;
    state::TransactionalRocksDbStore store("counts", (task.path() / "counts").string(), resources);
    store.for_each([&](std::string_view k, std::string_view v) {
      int64_t n = 0;
      EXPECT_TRUE(Serde<int64_t>::deserialize(v.data(), v.size(), n));
      out[S(k)] += n;
      return true;
    });
  }
  return out;
}

struct Injection {
  const char* name;
  int16_t api_key;
  rd_kafka_resp_err_t error;
  bool aborts;  // false: librdkafka retries the request itself
};

class ExactlyOnceFaults : public ExactlyOnceIntegration,
                          public ::testing::WithParamInterface<Injection> {};

TEST_P(ExactlyOnceFaults, AbortsAndRecoversWithoutLosingOrDoubleApplyingState) {
  if (kafka_->is_real_broker()) GTEST_SKIP() << "request-error injection needs the local Kafka";
  S input = kafka_->unique("words"), output = kafka_->unique("counts-out");
  ASSERT_TRUE(kafka_->create_topic(input, 2));
  ASSERT_TRUE(kafka_->create_topic(output, 2));
  // All input exists before the run: the injected errors can only meet brook's
  // own requests, and the bounded run's end offsets include every record.
  std::map<S, int64_t> expected;
  std::vector<std::pair<S, S>> records;
  for (int i = 0; i < 400; ++i) {
    records.emplace_back("k" + std::to_string(i % 13), "v");
    ++expected[records.back().first];
  }
  ASSERT_TRUE(kafka_->produce_all(input, records));
  KafkaStreams streams(counting(input, output), config("500"));
  std::atomic<bool> injected{false};
  streams.set_state_listener([&](KafkaStreams::State s, KafkaStreams::State) {
    if (s == KafkaStreams::State::kRunning && !injected.exchange(true)) {
      // Fail the next requests of this kind. Records reach Kafka only when the
      // record cache flushes, at the first commit (500 ms), after this.
      rd_kafka_mock_push_request_errors(kafka_->embedded()->mock_cluster(), GetParam().api_key, 3,
                                        GetParam().error, GetParam().error, GetParam().error);
    }
  });
  ASSERT_TRUE(streams.start());
  ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
  auto m = streams.metrics();
  std::cerr << GetParam().name << ": " << m["aborted-transactions-total"] << " aborted transactions, "
            << m["commit-total"] << " commits\n";
  if (GetParam().aborts) {
    EXPECT_GT(m["aborted-transactions-total"], 0);
  }
  EXPECT_GT(m["commit-total"], 0);
  EXPECT_EQ(stored_counts(state_dir_, app_), expected);
}

INSTANTIATE_TEST_SUITE_P(
    RequestErrors, ExactlyOnceFaults,
    ::testing::Values(
        Injection{"Produce", 0, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, true},
        Injection{"AddPartitionsToTxn", 24, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, true},
        Injection{"TxnOffsetCommit", 28, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, true},
        Injection{"EndTxn", 26, RD_KAFKA_RESP_ERR_NOT_COORDINATOR, false}),
    [](const auto& info) { return std::string(info.param.name); });

// What the broker under test can show of transactions: an aborted record must be
// invisible to read_committed, and an offset sent in a committed transaction
// must be readable back. Empty when it can; else the reason it cannot.
std::string probe_transactions(testing::TestKafka& kafka) {
  S topic = kafka.unique("txn-probe"), group = kafka.unique("txn-probe-group");
  if (!kafka.create_topic(topic, 1)) return "cannot create a probe topic";
  kafka::Conf conf;
  if (!kafka::make_conf({{"bootstrap.servers", kafka.bootstrap_servers()},
                         {"transactional.id", kafka.unique("txn-probe")}}, &conf)) {
    return "bad probe config";
  }
  kafka::Handle p;
  if (!kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &p)) return "cannot create a producer";
  auto ok = [](rd_kafka_error_t* e) {
    bool fine = e == nullptr;
    if (e) rd_kafka_error_destroy(e);
    return fine;
  };
  if (!ok(rd_kafka_init_transactions(p.get(), 30000))) return "init_transactions failed";
  auto send = [&](const char* v) {
    rd_kafka_producev(p.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                      RD_KAFKA_V_VALUE(const_cast<char*>(v), strlen(v)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_END);
  };
  ok(rd_kafka_begin_transaction(p.get()));
  send("aborted");
  rd_kafka_flush(p.get(), 10000);
  if (!ok(rd_kafka_abort_transaction(p.get(), 30000))) return "abort_transaction failed";
  ok(rd_kafka_begin_transaction(p.get()));
  send("committed");
  kafka::PartitionList offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), 0)->offset = 1;
  rd_kafka_consumer_group_metadata_t* md = rd_kafka_consumer_group_metadata_new(group.c_str());
  bool sent = ok(rd_kafka_send_offsets_to_transaction(p.get(), offsets.get(), md, 30000));
  rd_kafka_consumer_group_metadata_destroy(md);
  if (!sent || !ok(rd_kafka_commit_transaction(p.get(), 30000))) return "commit_transaction failed";
  for (const auto& r : kafka.read_all(topic, /*read_committed=*/true)) {
    if (r.value == S("aborted")) {
      return "the broker shows aborted records to read_committed consumers (no transaction markers)";
    }
  }
  kafka::Conf cconf;
  kafka::make_conf({{"bootstrap.servers", kafka.bootstrap_servers()}, {"group.id", group}}, &cconf);
  kafka::Handle c;
  if (!kafka::make_client(RD_KAFKA_CONSUMER, std::move(cconf), &c)) return "cannot create a consumer";
  kafka::PartitionList committed(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(committed.get(), topic.c_str(), 0);
  rd_kafka_committed(c.get(), committed.get(), 10000);
  int64_t offset = committed->elems[0].offset;
  rd_kafka_consumer_close(c.get());
  if (offset != 1) return "the broker does not keep offsets sent in a transaction";
  return "";
}

// A worker killed with SIGKILL at random points, many times, over a generated
// input; then a read_committed consumer of the output must see every purchase's
// effect exactly once, and the final totals must be exact.
TEST_F(ExactlyOnceIntegration, SurvivesRepeatedSigkillWithEveryEffectExactlyOnce) {
  std::string reason = probe_transactions(*kafka_);
  if (!reason.empty()) GTEST_SKIP() << "broker cannot show exactly-once: " << reason;
  S purchases = kafka_->unique("purchases"), totals = kafka_->unique("totals");
  demo::GeneratorOptions o = demo_topics(purchases, totals, 20000, 77);
  o.rate = 4000;  // written while the worker runs and dies
  std::atomic<bool> stop{false};
  demo::GeneratorStats stats;
  std::thread writer([&] { ASSERT_TRUE(demo::generate(o, stop, &stats)); });
  auto worker = [&](bool bounded) {
    std::vector<S> args = {BROOK_RUNNING_TOTALS_BIN, "--bootstrap-servers", kafka_->bootstrap_servers(),
                           "--application-id", app_, "--input-topic", purchases, "--output-topic", totals,
                           "--state-dir", state_dir_, "--processing-guarantee", "exactly_once_v2",
                           "--commit-interval-ms", "100", "--property", "consumer.session.timeout.ms=6000"};
    if (bounded) args.push_back("--stop-at-end");
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      freopen("/dev/null", "w", stderr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  };
  std::mt19937 rng(std::random_device{}());
  for (int kill = 0; kill < 8; ++kill) {
    pid_t pid = worker(false);
    std::this_thread::sleep_for(std::chrono::milliseconds(3000 + rng() % 5000));
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  writer.join();
  pid_t pid = worker(true);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  std::map<S, int64_t> cents, tx;
  demo::SalesModel model(77, o.start_time_us);
  for (int i = 0; i < 20000; ++i) {
    auto p = model.next_purchase(static_cast<int64_t>(1e6 / o.rate));
    cents[p.product_id] += p.total_cents;
    tx[p.product_id] += 1;
  }
  std::map<S, demo::RunningTotal> last;
  for (const auto& r : kafka_->read_all(totals, /*read_committed=*/true)) {
    demo::RunningTotal t;
    ASSERT_TRUE(Serde<demo::RunningTotal>::deserialize(r.value->data(), r.value->size(), t));
    // Within a partition the committed totals of a product only grow: a purchase
    // applied twice would show as a count above the exact final one below.
    if (last.count(t.product_id)) {
      EXPECT_GT(t.transactions, last[t.product_id].transactions);
    }
    last[t.product_id] = t;
  }
  for (const auto& [id, c] : cents) {
    EXPECT_EQ(last[id].transactions, tx[id]) << id;
    EXPECT_EQ(last[id].sales.value, c) << id;
  }
}

}  // namespace
}  // namespace brook
