#include "engine/kafka/kafka_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace brook::kafka {

bool retriable(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return true;
    default:
      return false;
  }
}

Status make_conf(const std::map<std::string, std::string>& properties, Conf* out) {
  Conf conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [k, v] : properties) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      return Status::error("Kafka client property '" + k + "': " + err);
    }
  }
  *out = std::move(conf);
  return Status::ok();
}

Status make_client(rd_kafka_type_t type, Conf conf, Handle* out) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) return Status::error(std::string("cannot create Kafka client: ") + err);
  conf.release();  // owned by rk now
  out->reset(rk);
  return Status::ok();
}

Status partition_counts(rd_kafka_t* rk, const std::vector<std::string>& topics,
                        std::map<std::string, int>* out, int timeout_ms, bool with_leaders) {
  const rd_kafka_metadata_t* md = nullptr;
  // all_topics=1 lists what exists without asking the broker to create anything.
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, timeout_ms);
  if (err) return Status::error(std::string("metadata request failed: ") + rd_kafka_err2str(err));
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err) continue;
    bool led = true;
    for (int p = 0; p < t.partition_cnt; ++p)
      led = led && t.partitions[p].leader >= 0 && !t.partitions[p].err;
    if (with_leaders && !led) continue;
    for (const std::string& want : topics) {
      if (want == t.topic) (*out)[want] = t.partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  return Status::ok();
}

Status watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition, int64_t* low,
                  int64_t* high, int timeout_ms) {
  // A partition may be between leaders (just created, or its broker restarting):
  // ask again until the timeout.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  rd_kafka_resp_err_t err;
  for (;;) {
    err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, low, high,
                                           std::min(timeout_ms, 10000));
    if (!retriable(err) || std::chrono::steady_clock::now() >= deadline) break;
    // librdkafka asks the leader its metadata names, and does not refresh it
    // for this call: after a broker failure it would ask the old one forever.
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (err) {
    return Status::error("cannot read offsets of " + topic + "-" + std::to_string(partition) +
                         ": " + rd_kafka_err2str(err));
  }
  return Status::ok();
}

}  // namespace brook::kafka
