// Creates the internal topics (repartition, changelog) an application needs and
// checks their partition counts. Uses the Admin API (CreateTopics); a broker
// without it — the local Kafka, librdkafka's mock cluster — is asked through the
// EmbeddedKafka's admin topic instead. Blocking; call from one thread.
#pragma once

#include <string>
#include <vector>

#include "brook/status.h"
#include "engine/kafka_client.h"

namespace brook {

struct InternalTopic {
  std::string name;
  int partitions = 1;
  bool compacted = false;
};

Status ensure_topics(rd_kafka_t* rk, const std::vector<InternalTopic>& topics,
                     int replication_factor);

}  // namespace brook
