// BoundedProgress: for a bounded run (stop.at.end), the offset each input
// partition must be processed up to: the end offsets seen at start, raised for
// repartition topics by every record this process writes to them; and which of
// them this instance's threads own, so that the run is not declared complete
// while partitions owned by other members (or by a member that died and is not
// yet evicted) are still short of their targets. Shared by all stream threads
// of a KafkaStreams instance; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "brook/topic_partition.h"

namespace brook {

class BoundedProgress {
 public:
  void raise_target(const std::string& topic, int32_t partition, int64_t next_offset) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t& t = targets_[{topic, partition}];
    if (next_offset > t) {
      t = next_offset;
      ++version_;
    }
  }
  // The offset to reach; 0 (nothing to process) for a partition not known.
  int64_t target(const std::string& topic, int32_t partition) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = targets_.find({topic, partition});
    return it == targets_.end() ? 0 : it->second;
  }
  // What `owner` (a stream thread) owns now, replacing what it owned before.
  void set_owned(const void* owner, std::vector<TopicPartition> partitions) {
    std::lock_guard<std::mutex> lock(mu_);
    owned_[owner] = std::move(partitions);
  }
  // The targets of partitions no thread of this instance owns.
  TopicPartitionOffsets unowned_targets() const {
    std::lock_guard<std::mutex> lock(mu_);
    TopicPartitionOffsets out = targets_;
    for (const auto& [owner, partitions] : owned_) {
      for (const TopicPartition& tp : partitions) out.erase(tp);
    }
    std::erase_if(out, [](const auto& e) { return e.second <= 0; });
    return out;
  }
  uint64_t version() const {
    std::lock_guard<std::mutex> lock(mu_);
    return version_;
  }

 private:
  mutable std::mutex mu_;
  TopicPartitionOffsets targets_;
  std::map<const void*, std::vector<TopicPartition>> owned_;
  uint64_t version_ = 0;
};

}  // namespace brook
