// A task reading several partitions (two merged topics, co-partitioned) over
// the Kafka wire protocol: their records are processed in timestamp order, and
// the inputs, written in transactions (on a real broker each ends with a
// marker after its last record), are processed to their end and committed past
// the markers — a partition emptied right before its marker must not hold the
// task back (max.task.idle.ms=0 waits only for records still on their way).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <filesystem>
#include <map>

#include "brook/brook.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using S = std::string;

// Writes `values` to topic/partition, each with its timestamp, in
// transactions of `per_txn` records; returns the partition's end offset.
int64_t produce_in_transactions(const std::string& bootstrap, const std::string& txn_id,
                                const std::string& topic, int32_t partition,
                                const std::vector<std::pair<std::string, int64_t>>& values,
                                size_t per_txn) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  EXPECT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err),
            RD_KAFKA_CONF_OK);
  EXPECT_EQ(rd_kafka_conf_set(conf, "transactional.id", txn_id.c_str(), err, sizeof err),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  EXPECT_NE(rk, nullptr) << err;
  auto ok = [](rd_kafka_error_t* e) {
    std::string m = e ? rd_kafka_error_string(e) : "";
    if (e) rd_kafka_error_destroy(e);
    EXPECT_EQ(m, "");
  };
  ok(rd_kafka_init_transactions(rk, 30000));
  for (size_t i = 0; i < values.size(); i += per_txn) {
    ok(rd_kafka_begin_transaction(rk));
    for (size_t j = i; j < std::min(values.size(), i + per_txn); ++j) {
      const auto& [v, ts] = values[j];
      EXPECT_EQ(
          rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                            RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END),
          RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    ok(rd_kafka_commit_transaction(rk, 30000));
  }
  int64_t low = 0, high = 0;
  EXPECT_EQ(rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, 10000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
  return high;
}

// The end offset of topic/partition (markers included), asked afresh.
int64_t end_offset(const std::string& bootstrap, const std::string& topic, int32_t partition) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  EXPECT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  int64_t low = 0, high = -1;
  EXPECT_EQ(rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, 10000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
  return high;
}

TEST(MultiInputIntegration, ATaskReadingTwoTopicsProcessesThemInTimeOrderToTheirEnds) {
  testing::TestKafka kafka;
  std::string left = kafka.unique("multi-left"), right = kafka.unique("multi-right");
  std::string out = kafka.unique("multi-out"), app = kafka.unique("multi");
  constexpr int kPartitions = 2;
  ASSERT_TRUE(kafka.create_topic(left, kPartitions));
  ASSERT_TRUE(kafka.create_topic(right, kPartitions));
  ASSERT_TRUE(kafka.create_topic(out, 1));
  // Left holds even timestamps, right odd ones (from 1000: a timestamp of 0
  // means "now" to a producer); right's run out first, so that
  // each task's right partition empties (before its marker) while left still
  // has records.
  std::map<std::pair<std::string, int32_t>, int64_t> ends;
  for (int32_t p = 0; p < kPartitions; ++p) {
    std::vector<std::pair<std::string, int64_t>> l, r;
    for (int64_t t = 1000; t < 1060; t += 2)
      l.push_back({"p" + std::to_string(p) + ":" + std::to_string(t), t});
    for (int64_t t = 1001; t < 1030; t += 2)
      r.push_back({"p" + std::to_string(p) + ":" + std::to_string(t), t});
    ends[{left, p}] =
        produce_in_transactions(kafka.bootstrap_servers(), kafka.unique("txn-l"), left, p, l, 7);
    ends[{right, p}] =
        produce_in_transactions(kafka.bootstrap_servers(), kafka.unique("txn-r"), right, p, r, 4);
  }

  StreamsBuilder builder;
  builder.stream<S, S>(left).merge(builder.stream<S, S>(right)).to(out);
  std::string state_dir =
      (std::filesystem::temp_directory_path() / kafka.unique("brook-multi")).string();
  {
    StreamsConfig config = kafka.bounded_config(app, state_dir);
    config.set("processing.guarantee", "exactly_once_v2");
    KafkaStreams streams(builder.build(), config);
    Status s = streams.start();
    ASSERT_TRUE(s) << s.message();
    ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
  }
  std::filesystem::remove_all(state_dir);

  // Each task's records, in the order it wrote them: timestamp order.
  std::map<std::string, std::vector<int64_t>> by_task;
  for (const auto& r : kafka.read_all(out, /*read_committed=*/true)) {
    ASSERT_TRUE(r.value);
    size_t colon = r.value->find(':');
    by_task[r.value->substr(0, colon)].push_back(std::stoll(r.value->substr(colon + 1)));
  }
  ASSERT_EQ(by_task.size(), static_cast<size_t>(kPartitions));
  for (const auto& [task, times] : by_task) {
    EXPECT_EQ(times.size(), 45u) << task;
    std::string seen;
    for (int64_t t : times) seen += " " + std::to_string(t);
    EXPECT_TRUE(std::is_sorted(times.begin(), times.end()))
        << task << " processed out of order:" << seen;
  }
  // The ends asked now: right after a transaction's commit returns, its marker
  // may not be written yet.
  for (const auto& [tp, produced_end] : ends) {
    int64_t end = end_offset(kafka.bootstrap_servers(), tp.first, tp.second);
    EXPECT_GE(end, produced_end);
    EXPECT_EQ(kafka.committed_offset(app, tp.first, tp.second), end)
        << tp.first << "-" << tp.second << ": committed past its last marker";
  }
}

}  // namespace
}  // namespace brook
