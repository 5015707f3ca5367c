// EmbeddedKafka: the local Kafka for development and tests — librdkafka's mock
// cluster, which speaks the Kafka wire protocol on loopback ports, running in
// this process. Its brokers lack CreateTopics, so it also watches an admin topic
// (__brook_admin) on which brook's clients ask for topics with a given partition
// count. Limits (no compaction, 5 MiB retention per partition, partial
// transactions) are those of the mock: see DESIGN.md.
// Thread-safe; destroying it stops the cluster.
#pragma once

#include <memory>
#include <string>

#include "brook/status.h"

typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace brook {

class EmbeddedKafka {
 public:
  static constexpr const char* kAdminTopic = "__brook_admin";

  static Status start(int brokers, std::unique_ptr<EmbeddedKafka>* out);
  ~EmbeddedKafka();

  const std::string& bootstrap_servers() const;
  // Creates a topic with exactly `partitions` partitions (no-op if it exists).
  Status create_topic(const std::string& name, int partitions);
  // For fault injection in tests (rd_kafka_mock_push_request_errors etc.).
  rd_kafka_mock_cluster_t* mock_cluster();

 private:
  class Impl;
  explicit EmbeddedKafka(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brook
