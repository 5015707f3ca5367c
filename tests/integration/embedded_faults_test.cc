// Faults only the embedded Kafka can inject: request errors on chosen Kafka APIs
// (rd_kafka_mock_push_request_errors), returned to brook's own requests over
// the wire protocol. Real RocksDB stores.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "brook/brook.h"
#include "state/rocksdb_resources.h"
#include "state/transactional_rocksdb_store.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using S = std::string;

class EmbeddedFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>(testing::TestKafka::Kind::kEmbedded);
    app_ = kafka_->unique("faults");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-faults")).string();
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  rd_kafka_mock_cluster_t* mock() { return kafka_->embedded()->mock_cluster(); }
  StreamsConfig config(const S& commit_ms) {
    StreamsConfig c = kafka_->bounded_config(app_, state_dir_);
    c.set("processing.guarantee", "exactly_once_v2").set("commit.interval.ms", commit_ms);
    return c;
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  S app_, state_dir_;
};

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

// The latest count of each key in `topic`.
std::map<S, int64_t> latest_counts(testing::TestKafka& kafka, const S& topic) {
  std::map<S, int64_t> out;
  auto records = kafka.read_all(topic);
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.partition < b.partition || (a.partition == b.partition && a.offset < b.offset);
  });
  for (const auto& r : records) {
    int64_t n = 0;
    if (r.key && r.value && Serde<int64_t>::deserialize(r.value->data(), r.value->size(), n)) {
      out[*r.key] = n;
    }
  }
  return out;
}

// Runs `streams` until its bounded run ends, or fails the test after 120 s
// (closing it) instead of hanging: a recovery that loops never ends.
int run_with_deadline(KafkaStreams& streams) {
  std::atomic<int> rc{-1};
  std::thread runner([&] { rc = streams.run_until_signal(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (rc.load() < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (rc.load() < 0) {
    ADD_FAILURE() << "the run did not end within 120 s";
    streams.close();
  }
  runner.join();
  return rc.load();
}

struct Injection {
  const char* name;
  int16_t api_key;
  rd_kafka_resp_err_t error;
  bool aborts;  // false: librdkafka retries the request itself
};

class ExactlyOnceFaults : public EmbeddedFaults, public ::testing::WithParamInterface<Injection> {};

TEST_P(ExactlyOnceFaults, AbortsAndRecoversWithoutLosingOrDoubleApplyingState) {
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
      rd_kafka_mock_push_request_errors(mock(), GetParam().api_key, 3, GetParam().error,
                                        GetParam().error, GetParam().error);
    }
  });
  ASSERT_TRUE(streams.start());
  ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
  auto m = streams.metrics();
  std::cerr << GetParam().name << ": " << m["aborted-transactions-total"]
            << " aborted transactions, " << m["commit-total"] << " commits\n";
  if (GetParam().aborts) {
    EXPECT_GT(m["aborted-transactions-total"], 0);
  }
  EXPECT_GT(m["commit-total"], 0);
  EXPECT_EQ(stored_counts(state_dir_, app_), expected);
  // And what left brook: the latest count per key in the output. (This Kafka
  // writes no transaction markers, so an aborted transaction's records stay
  // visible; where the failure kept them from the log, as a refused Produce
  // does, a task that was not reverted would show here with counts short.)
  EXPECT_EQ(latest_counts(*kafka_, output), expected);
}

INSTANTIATE_TEST_SUITE_P(
    RequestErrors, ExactlyOnceFaults,
    ::testing::Values(
        Injection{"Produce", 0, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, true},
        Injection{"AddPartitionsToTxn", 24, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, true},
        Injection{"TxnOffsetCommit", 28, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, true},
        // Fatal for librdkafka's producer: brook replaces it.
        Injection{"EndTxn", 26, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, true}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace brook

namespace brook {
namespace {

// `n` records of keys `prefix`0..`prefix`(keys-1), one "v" value each.
std::vector<std::pair<S, S>> words(const S& prefix, int n, int keys) {
  std::vector<std::pair<S, S>> out;
  for (int i = 0; i < n; ++i) out.emplace_back(prefix + std::to_string(i % keys), "v");
  return out;
}

void add_counts(std::map<S, int64_t>* counts, const std::vector<std::pair<S, S>>& records) {
  for (const auto& [k, v] : records) ++(*counts)[k];
}

// A transaction that fails while another task of the thread is still restoring
// reverts only the tasks that processed: the restoring one restores on, from
// where it was, to the changelog's end. (It used to be re-created as if
// restored to the end, holding part of its state, and then counted on it.)
TEST_F(EmbeddedFaults, AFailedTransactionLeavesATaskThatIsStillRestoringAlone) {
  S input = kafka_->unique("words"), output = kafka_->unique("counts-out");
  ASSERT_TRUE(kafka_->create_topic(input, 2));
  ASSERT_TRUE(kafka_->create_topic(output, 2));
  std::map<S, int64_t> expected;
  // Partition 1's task gets a long changelog (one record per key), partition
  // 0's a short one.
  auto small = words("a", 200, 10), large = words("b", 80000, 80000);
  ASSERT_TRUE(kafka_->produce_all(input, small, 0));
  ASSERT_TRUE(kafka_->produce_all(input, large, 1));
  add_counts(&expected, small);
  add_counts(&expected, large);
  {
    // Small batches, which the second run fetches a few at a time.
    StreamsConfig c = config("100");
    c.set("producer.batch.size", "2048");
    KafkaStreams first(counting(input, output), c);
    ASSERT_TRUE(first.start());
    ASSERT_EQ(run_with_deadline(first), 0) << first.error();
  }
  std::filesystem::remove_all(state_dir_);  // both tasks restore
  auto more = words("a", 300, 10);
  ASSERT_TRUE(kafka_->produce_all(input, more, 0));
  add_counts(&expected, more);
  // Small fetches, and every request 10 ms slower: the long changelog takes
  // seconds to restore, while the short one is done at once.
  StreamsConfig slow = config("100");
  slow.set("consumer.max.partition.fetch.bytes", "8192");
  rd_kafka_mock_broker_set_rtt(mock(), -1, 10);
  KafkaStreams second(counting(input, output), slow);
  ASSERT_TRUE(second.start());
  // The first transaction (partition 0's task, done restoring long before the
  // other) fails at TxnOffsetCommit.
  rd_kafka_mock_push_request_errors(mock(), 28, 1, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION);
  ASSERT_EQ(run_with_deadline(second), 0) << second.error();
  rd_kafka_mock_broker_set_rtt(mock(), -1, 0);
  auto m = second.metrics();
  EXPECT_GT(m["aborted-transactions-total"], 0);
  EXPECT_GT(m["restore-time-ms-total"], 1000) << "restored too fast to overlap the failure";
  EXPECT_GE(m["restore-records-total"], 80000) << "the long changelog restored to its end";
  EXPECT_EQ(stored_counts(state_dir_, app_), expected);
}

// Where each partition resumes comes from the group's committed offsets: a
// lookup that fails retriably is asked again, one that fails for good stops the
// instance — never a silent restart from the earliest offset.
TEST_F(EmbeddedFaults, AFailedCommittedOffsetLookupIsAskedAgainNeverGuessed) {
  S input = kafka_->unique("words"), output = kafka_->unique("counts-out");
  ASSERT_TRUE(kafka_->create_topic(input, 2));
  ASSERT_TRUE(kafka_->create_topic(output, 2));
  std::map<S, int64_t> expected;
  auto batch = [&](int n) {
    auto records = words("k", n, 13);
    ASSERT_TRUE(kafka_->produce_all(input, records));
    add_counts(&expected, records);
  };
  auto at_least_once = [&] {
    StreamsConfig c = kafka_->bounded_config(app_, state_dir_);
    c.set("commit.interval.ms", "100").set("task.timeout.ms", "5000");
    return c;
  };
  batch(400);
  {
    KafkaStreams first(counting(input, output), at_least_once());
    ASSERT_TRUE(first.start());
    ASSERT_EQ(run_with_deadline(first), 0) << first.error();
  }
  batch(100);
  rd_kafka_mock_push_request_errors(mock(), 9, 3, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                    RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                    RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
  {
    KafkaStreams retried(counting(input, output), at_least_once());
    ASSERT_TRUE(retried.start());
    ASSERT_EQ(run_with_deadline(retried), 0) << retried.error();
    EXPECT_EQ(retried.metrics()["process-total"], 100) << "only what the first run left";
  }
  batch(50);
  rd_kafka_mock_push_request_errors(mock(), 9, 1, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
  {
    KafkaStreams refused(counting(input, output), at_least_once());
    ASSERT_TRUE(refused.start());
    EXPECT_NE(run_with_deadline(refused), 0);
    EXPECT_NE(refused.error().find("committed offsets"), S::npos) << refused.error();
    EXPECT_EQ(refused.metrics()["process-total"], 0);
  }
  rd_kafka_mock_clear_request_errors(mock(), 9);
  KafkaStreams last(counting(input, output), at_least_once());
  ASSERT_TRUE(last.start());
  ASSERT_EQ(run_with_deadline(last), 0) << last.error();
  EXPECT_EQ(last.metrics()["process-total"], 50);
  EXPECT_EQ(latest_counts(*kafka_, output), expected);
}

// A commit that keeps failing fails the instance after task.timeout.ms, with
// the reason, instead of aborting and reviving for ever while it says RUNNING.
TEST_F(EmbeddedFaults, ACommitThatKeepsFailingFailsTheInstanceAfterTheTaskTimeout) {
  S input = kafka_->unique("words"), output = kafka_->unique("counts-out");
  ASSERT_TRUE(kafka_->create_topic(input, 2));
  ASSERT_TRUE(kafka_->create_topic(output, 2));
  ASSERT_TRUE(kafka_->produce_all(input, words("k", 100, 7)));
  StreamsConfig c = config("100");
  c.set("task.timeout.ms", "2000");
  std::vector<rd_kafka_resp_err_t> errors(2000, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
  rd_kafka_mock_push_request_errors_array(mock(), 28, errors.size(), errors.data());
  KafkaStreams streams(counting(input, output), c);
  ASSERT_TRUE(streams.start());
  auto started = std::chrono::steady_clock::now();
  EXPECT_NE(run_with_deadline(streams), 0);
  EXPECT_EQ(streams.state(), KafkaStreams::State::kError);
  EXPECT_NE(streams.error().find("task.timeout.ms"), S::npos) << streams.error();
  EXPECT_NE(streams.error().find("authoriz"), S::npos) << streams.error();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  rd_kafka_mock_clear_request_errors(mock(), 28);
}

// An abort that fails too leaves the transaction's fate to the broker: brook
// replaces the producer (whose init settles it) and reverts the tasks, instead
// of going on with a producer still in its failed transaction.
TEST_F(EmbeddedFaults, AFailedAbortReplacesTheProducer) {
  S input = kafka_->unique("words"), output = kafka_->unique("counts-out");
  ASSERT_TRUE(kafka_->create_topic(input, 2));
  ASSERT_TRUE(kafka_->create_topic(output, 2));
  std::map<S, int64_t> expected;
  auto records = words("k", 300, 11);
  ASSERT_TRUE(kafka_->produce_all(input, records));
  add_counts(&expected, records);
  KafkaStreams streams(counting(input, output), config("200"));
  std::atomic<bool> injected{false};
  streams.set_state_listener([&](KafkaStreams::State s, KafkaStreams::State) {
    if (s == KafkaStreams::State::kRunning && !injected.exchange(true)) {
      // The commit fails at TxnOffsetCommit; its abort fails at EndTxn.
      rd_kafka_mock_push_request_errors(mock(), 28, 1,
                                        RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
      rd_kafka_mock_push_request_errors(mock(), 26, 1, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE);
    }
  });
  ASSERT_TRUE(streams.start());
  ASSERT_EQ(run_with_deadline(streams), 0) << streams.error();
  // One failed transaction, settled at once: a producer left in its failed
  // transaction would fail the next one too.
  EXPECT_EQ(streams.metrics()["aborted-transactions-total"], 1);
  EXPECT_EQ(stored_counts(state_dir_, app_), expected);
  EXPECT_EQ(latest_counts(*kafka_, output), expected);
}

// Emits a record on every wall-clock tick past 100 ms, whatever its input: a
// transaction with sends and no consumed records.
class EveryHundredMs final : public NodeBase, public Input<S, S>, public Emitter<S, S> {
 public:
  using NodeBase::NodeBase;
  void process(const Record<S, S>&) override {}
  void on_wall_clock(int64_t now_ms) override {
    if (now_ms - last_ < 100) return;
    last_ = now_ms;
    forward(Record<S, S>{"tick", std::to_string(now_ms), now_ms, {}});
  }

 private:
  int64_t last_ = 0;
};

// Under exactly-once, a transaction that only sends (no input moved since the
// last commit) still sends the consumed positions, so the broker checks the
// group generation: a zombie's output must fail there (KIP-447).
TEST_F(EmbeddedFaults, ATransactionWithSendsButNoInputStillSendsThePositions) {
  S input = kafka_->unique("words"), output = kafka_->unique("ticks");
  ASSERT_TRUE(kafka_->create_topic(input, 1));
  ASSERT_TRUE(kafka_->create_topic(output, 1));
  ASSERT_TRUE(kafka_->produce_all(input, words("k", 10, 3)));
  Topology t;
  t.add_source<S, S>("source", {input});
  Topology::NodeDef ticker;
  ticker.name = "ticker";
  ticker.predecessors = {"source"};
  ticker.create = [] { return std::make_unique<EveryHundredMs>("ticker"); };
  ticker.connect = Topology::connector<S, S>();
  t.add_node(std::move(ticker));
  t.add_sink<S, S>("sink", output, {"ticker"});
  StreamsConfig c = config("100");
  c.set("stop.at.end", "false");
  KafkaStreams streams(std::move(t), c);
  ASSERT_TRUE(streams.start());
  ASSERT_TRUE(streams.wait_for_state(KafkaStreams::State::kRunning, std::chrono::seconds(30)));
  // The 10 inputs are committed by now; later transactions only send ticks.
  auto wait = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (streams.metrics()["commit-total"] < 5 && std::chrono::steady_clock::now() < wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  rd_kafka_mock_push_request_errors(mock(), 28, 1, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_GE(streams.metrics()["aborted-transactions-total"], 1)
      << "the positions were not sent: nothing checked the generation";
  streams.close();
  rd_kafka_mock_clear_request_errors(mock(), 28);
}

// At-least-once commits offsets only once every record their inputs produced is
// acknowledged: when the producer cannot deliver, the run fails without
// committing those offsets, and the next run processes the inputs again.
TEST_F(EmbeddedFaults, AtLeastOnceCommitsOffsetsOnlyAfterTheirOutputsAreDelivered) {
  S input = kafka_->unique("words"), output = kafka_->unique("counts-out");
  ASSERT_TRUE(kafka_->create_topic(input, 2));
  ASSERT_TRUE(kafka_->create_topic(output, 2));
  std::map<S, int64_t> expected;
  auto records = words("k", 300, 9);
  ASSERT_TRUE(kafka_->produce_all(input, records));
  add_counts(&expected, records);
  StreamsConfig c = kafka_->bounded_config(app_, state_dir_);
  c.set("commit.interval.ms", "200");
  {
    KafkaStreams failing(counting(input, output), c);
    std::atomic<bool> injected{false};
    failing.set_state_listener([&](KafkaStreams::State s, KafkaStreams::State) {
      // Once running (the internal topics exist: the embedded Kafka takes
      // topic requests as produced records), every produce request fails.
      if (s == KafkaStreams::State::kRunning && !injected.exchange(true)) {
        std::vector<rd_kafka_resp_err_t> errors(200, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
        rd_kafka_mock_push_request_errors_array(mock(), 0, errors.size(), errors.data());
      }
    });
    ASSERT_TRUE(failing.start());
    EXPECT_NE(run_with_deadline(failing), 0) << "deliveries failed";
    rd_kafka_mock_clear_request_errors(mock(), 0);
  }
  KafkaStreams again(counting(input, output), c);
  ASSERT_TRUE(again.start());
  ASSERT_EQ(run_with_deadline(again), 0) << again.error();
  EXPECT_GT(again.metrics()["process-total"], 0) << "the undelivered inputs were processed again";
  // At least once: every input counted; the local store kept what the failed
  // run had counted, so counts may come out higher, as Kafka Streams' do.
  auto latest = latest_counts(*kafka_, output);
  int64_t extra = 0;
  for (const auto& [key, n] : expected) {
    EXPECT_GE(latest[key], n) << key << ": an input was lost";
    extra += std::max<int64_t>(0, latest[key] - n);
  }
  std::cerr << "counted twice after the failed run: " << extra << " of 300\n";
}

}  // namespace
}  // namespace brook
