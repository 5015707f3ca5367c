// Faults only the embedded Kafka can inject: request errors on chosen Kafka APIs
// (rd_kafka_mock_push_request_errors), returned to brook's own requests over
// the wire protocol. Real RocksDB stores.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <gtest/gtest.h>

#include <filesystem>

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

struct Injection {
  const char* name;
  int16_t api_key;
  rd_kafka_resp_err_t error;
  bool aborts;  // false: librdkafka retries the request itself
};

class ExactlyOnceFaults : public EmbeddedFaults,
                          public ::testing::WithParamInterface<Injection> {};

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
      rd_kafka_mock_push_request_errors(mock(), GetParam().api_key, 3,
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


}  // namespace
}  // namespace brook
