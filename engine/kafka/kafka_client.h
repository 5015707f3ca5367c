// RAII handles and small helpers around librdkafka's C API, shared by the
// stream threads, the internal-topic manager and the embedded Kafka.
// Functions are thread-safe as librdkafka's are; handles are move-only.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/status.h"

namespace brook::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

// A conf with every property set; the message names the property that failed.
Status make_conf(const std::map<std::string, std::string>& properties, Conf* out);
// Creates a client of `type` from `conf` (consumed even on failure).
Status make_client(rd_kafka_type_t type, Conf conf, Handle* out);

// Partition counts of existing topics; a topic that does not exist is absent,
// and so is one with a partition without a leader when `with_leaders`.
Status partition_counts(rd_kafka_t* rk, const std::vector<std::string>& topics,
                        std::map<std::string, int>* out, int timeout_ms = 10000,
                        bool with_leaders = false);

// The isolation.level of consumers under `guarantee`: exactly-once reads only
// committed records (inputs and changelogs alike).
inline const char* isolation_level(ProcessingGuarantee guarantee) {
  return guarantee == ProcessingGuarantee::kExactlyOnceV2 ? "read_committed" : "read_uncommitted";
}

// Whether a request that failed with `err` may succeed when asked again (a
// leader or coordinator moving, a broker restarting, a timeout).
bool retriable(rd_kafka_resp_err_t err);

// Low and high watermarks of one partition, asked of the broker (again, until
// the timeout, while the error is retriable).
Status watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition, int64_t* low,
                  int64_t* high, int timeout_ms = 10000);

}  // namespace brook::kafka
