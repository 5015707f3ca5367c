#include "engine/kafka_client.h"

namespace brook::kafka {

Status make_conf(const std::map<std::string, std::string>& properties, Conf* out) {
  Conf conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [k, v] : properties) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
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
                        std::map<std::string, int>* out, int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  // all_topics=1 lists what exists without asking the broker to create anything.
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, timeout_ms);
  if (err) return Status::error(std::string("metadata request failed: ") + rd_kafka_err2str(err));
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err) continue;
    for (const std::string& want : topics) {
      if (want == t.topic) (*out)[want] = t.partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  return Status::ok();
}

Status watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition, int64_t* low,
                  int64_t* high, int timeout_ms) {
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, low, high, timeout_ms);
  if (err) {
    return Status::error("cannot read offsets of " + topic + "-" + std::to_string(partition) +
                         ": " + rd_kafka_err2str(err));
  }
  return Status::ok();
}

}  // namespace brook::kafka
