// RecordCollector: where a task's sink nodes and changelogging stores send
// records, and which tells a task, after a commit, where its changelogs end.
// The stream thread implements it on its Kafka producer (StreamsProducer); the
// TopologyTestDriver captures records in memory.
// Used on the owning thread only.
#pragma once

#include <cstdint>
#include <string_view>

#include "brook/processor.h"
#include "brook/topic_partition.h"

namespace brook {

class RecordCollector {
 public:
  virtual ~RecordCollector() = default;
  // `partition < 0`: by key (murmur2, as Kafka's Java clients), or any partition
  // for a null key.
  virtual void send(const OutgoingRecord& record, int32_t partition) = 0;
  // The offset after the last record sent to `changelog` that Kafka has
  // acknowledged, or -1 when none was (Kafka Streams' RecordCollector#offsets).
  virtual int64_t changelog_end(const TopicPartition& changelog) const = 0;
};

// Kafka's default partitioner hash (murmur2), so keys land where Java clients and
// Kafka Streams put them.
uint32_t murmur2(const char* data, size_t size);
inline int32_t partition_for_key(const char* data, size_t size, int32_t partitions) {
  return static_cast<int32_t>((murmur2(data, size) & 0x7fffffff) %
                              static_cast<uint32_t>(partitions));
}

}  // namespace brook
