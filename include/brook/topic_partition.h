// TopicPartition: one partition of one Kafka topic, the unit that offsets,
// assignments and changelogs are counted in. A plain value; ordered and
// comparable, so it keys maps.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>

namespace brook {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  auto operator<=>(const TopicPartition&) const = default;
  // "topic-partition", as Kafka writes it.
  std::string str() const { return topic + "-" + std::to_string(partition); }
};

// An offset per partition: the next to read, to commit, or to restore from.
using TopicPartitionOffsets = std::map<TopicPartition, int64_t>;

}  // namespace brook
