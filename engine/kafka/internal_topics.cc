#include "engine/kafka/internal_topics.h"

#include <chrono>
#include <thread>

#include "engine/common/log.h"

namespace brook {
namespace {

using AdminResult = std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)>;

// Returns the topics CreateTopics could not create because the broker lacks the
// API; fails on any other error.
Status create_with_admin_api(rd_kafka_t* rk, const std::vector<InternalTopic>& topics,
                             int replication_factor, bool* unsupported) {
  *unsupported = false;
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  char err[512];
  for (const InternalTopic& t : topics) {
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, replication_factor, err, sizeof err);
    if (!nt) return Status::error("topic " + t.name + ": " + err);
    if (t.compacted && !t.configs.count("cleanup.policy")) {
      rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    }
    for (const auto& [k, v] : t.configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    new_topics.push_back(nt);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, 30000, err, sizeof err);
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), options, queue);
  AdminResult ev(rd_kafka_queue_poll(queue, 35000), &rd_kafka_event_destroy);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  rd_kafka_queue_destroy(queue);
  if (!ev) return Status::error("CreateTopics timed out");
  rd_kafka_resp_err_t e = rd_kafka_event_error(ev.get());
  if (e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
    *unsupported = true;
    return Status::ok();
  }
  if (e)
    return Status::error(std::string("CreateTopics failed: ") +
                         rd_kafka_event_error_string(ev.get()));
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t te = rd_kafka_topic_result_error(results[i]);
    if (te == RD_KAFKA_RESP_ERR_NO_ERROR || te == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    if (te == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION || te == RD_KAFKA_RESP_ERR_INVALID_REQUEST) {
      *unsupported = true;
      continue;
    }
    return Status::error(std::string("cannot create topic ") +
                         rd_kafka_topic_result_name(results[i]) + ": " +
                         (rd_kafka_topic_result_error_string(results[i])
                              ? rd_kafka_topic_result_error_string(results[i])
                              : rd_kafka_err2str(te)));
  }
  return Status::ok();
}

Status create_with_embedded_admin(rd_kafka_t* rk, const std::vector<InternalTopic>& topics) {
  for (const InternalTopic& t : topics) {
    std::string request = "create " + t.name + " " + std::to_string(t.partitions);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(kEmbeddedAdminTopic), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(const_cast<char*>(request.data()), request.size()), RD_KAFKA_V_END);
    if (err)
      return Status::error(std::string("cannot ask the local Kafka: ") + rd_kafka_err2str(err));
  }
  rd_kafka_flush(rk, 10000);
  return Status::ok();
}

}  // namespace

Status is_embedded_kafka(rd_kafka_t* rk, bool* embedded) {
  std::map<std::string, int> existing;
  Status s = kafka::partition_counts(rk, {kEmbeddedAdminTopic}, &existing);
  *embedded = existing.count(kEmbeddedAdminTopic) > 0;
  return s;
}

Status topic_configs(rd_kafka_t* rk, const std::vector<std::string>& topics,
                     std::map<std::string, std::map<std::string, std::string>>* out) {
  if (topics.empty()) return Status::ok();
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const std::string& t : topics) {
    resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t.c_str()));
  }
  char err[512];
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(options, 30000, err, sizeof err);
  rd_kafka_DescribeConfigs(rk, resources.data(), resources.size(), options, queue);
  AdminResult ev(rd_kafka_queue_poll(queue, 35000), &rd_kafka_event_destroy);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  rd_kafka_queue_destroy(queue);
  if (!ev) return Status::error("DescribeConfigs timed out");
  if (rd_kafka_event_error(ev.get())) {
    return Status::error(std::string("DescribeConfigs failed: ") +
                         rd_kafka_event_error_string(ev.get()));
  }
  const rd_kafka_DescribeConfigs_result_t* res = rd_kafka_event_DescribeConfigs_result(ev.get());
  size_t n = 0;
  const rd_kafka_ConfigResource_t** described = rd_kafka_DescribeConfigs_result_resources(res, &n);
  for (size_t i = 0; i < n; ++i) {
    std::string name = rd_kafka_ConfigResource_name(described[i]);
    if (rd_kafka_ConfigResource_error(described[i])) {
      return Status::error("cannot describe topic " + name + ": " +
                           rd_kafka_ConfigResource_error_string(described[i]));
    }
    size_t count = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(described[i], &count);
    auto& configs = (*out)[name];
    for (size_t j = 0; j < count; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(entries[j]);
      configs[rd_kafka_ConfigEntry_name(entries[j])] = value ? value : "";
    }
  }
  return Status::ok();
}

Status ensure_topics(rd_kafka_t* rk, const std::vector<InternalTopic>& topics,
                     int replication_factor, bool embedded) {
  if (topics.empty()) return Status::ok();
  std::vector<std::string> names;
  for (const InternalTopic& t : topics) names.push_back(t.name);
  std::map<std::string, int> existing;
  Status s = kafka::partition_counts(rk, names, &existing);
  if (!s) return s;
  std::vector<InternalTopic> missing;
  std::vector<std::string> existing_changelogs;
  for (const InternalTopic& t : topics) {
    auto it = existing.find(t.name);
    if (it == existing.end()) {
      missing.push_back(t);
    } else if (it->second != t.partitions) {
      return Status::error("internal topic " + t.name + " has " + std::to_string(it->second) +
                           " partitions but the topology needs " + std::to_string(t.partitions) +
                           " (delete it, or reset the application)");
    } else if (t.compacted) {
      existing_changelogs.push_back(t.name);
    }
  }
  // A changelog someone created with cleanup.policy=delete loses a store's keys
  // once they age out: restoration would then rebuild a store without them.
  // (The embedded Kafka has no DescribeConfigs, and never deletes anyway.)
  if (!embedded && !existing_changelogs.empty()) {
    std::map<std::string, std::map<std::string, std::string>> configs;
    s = topic_configs(rk, existing_changelogs, &configs);
    if (!s) return s;
    for (const std::string& t : existing_changelogs) {
      const std::string& policy = configs[t]["cleanup.policy"];
      if (policy.find("compact") == std::string::npos) {
        return Status::error("internal topic " + t + " has cleanup.policy=" + policy +
                             " but a changelog must be compacted (delete it, or set "
                             "cleanup.policy=compact)");
      }
    }
  }
  if (missing.empty()) return Status::ok();
  for (const InternalTopic& t : missing) {
    log::info("creating topic {} with {} partitions", t.name, t.partitions);
  }
  if (embedded) {
    // Its mock brokers have no CreateTopics.
    s = create_with_embedded_admin(rk, missing);
    if (!s) return s;
  } else {
    bool unsupported = false;
    s = create_with_admin_api(rk, missing, replication_factor, &unsupported);
    if (!s) return s;
    if (unsupported) {
      return Status::error("the broker does not support CreateTopics; create " + missing[0].name +
                           " with " + std::to_string(missing[0].partitions) +
                           " partitions by hand");
    }
  }
  // Wait until metadata shows every topic with its partitions, each with a leader.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    std::map<std::string, int> now;
    s = kafka::partition_counts(rk, names, &now, 10000, /*with_leaders=*/true);
    bool all = s.is_ok();
    for (const InternalTopic& t : missing)
      all = all && now.count(t.name) && now[t.name] == t.partitions;
    if (all) return Status::ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::error("internal topics were not created within 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace brook
