// Creates the internal topics (repartition, changelog) an application needs and
// checks their partition counts. Uses the Admin API (CreateTopics); a broker
// without it — the local Kafka, librdkafka's mock cluster — is asked through the
// EmbeddedKafka's admin topic instead. Blocking; call from one thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "brook/status.h"
#include "engine/kafka/kafka_client.h"
#include "engine/kafka/topic_names.h"

namespace brook {

struct InternalTopic {
  std::string name;
  int partitions = 1;
  bool compacted = false;
  std::map<std::string, std::string> configs;  // more topic configs, if any
  TopicRole role = TopicRole::kRepartition;
};

// Creates the missing topics (changelogs compacted) and checks existing ones:
// their partition counts, and that a changelog is compacted. `embedded`: the
// cluster is brook's embedded Kafka (is_embedded_kafka), asked through its
// admin topic.
Status ensure_topics(rd_kafka_t* rk, const std::vector<InternalTopic>& topics,
                     int replication_factor, bool embedded);

// Whether the cluster `rk` talks to is brook's embedded Kafka (librdkafka's mock
// cluster, which EmbeddedKafka marks with its admin topic). What brook does
// only to live with the mock's gaps is conditioned on this, and on nothing else.
Status is_embedded_kafka(rd_kafka_t* rk, bool* embedded);
// The topic that marks the embedded Kafka and carries its topic creations
// (EmbeddedKafka::kAdminTopic, which the testing library checks is the same).
inline constexpr const char* kEmbeddedAdminTopic = "__brook_admin";

// The configs (name -> value) of each topic, by DescribeConfigs.
Status topic_configs(rd_kafka_t* rk, const std::vector<std::string>& topics,
                     std::map<std::string, std::map<std::string, std::string>>* out);

}  // namespace brook
