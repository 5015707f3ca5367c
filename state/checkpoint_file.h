// CheckpointFile: the changelog offsets a task's local stores are known to contain,
// one line per changelog partition, written atomically (temp file + rename) at
// commits and read when the task is created, so restoration replays only the
// changelog past them. Not thread-safe; one per task directory.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "brook/topic_partition.h"

namespace brook::state {

using brook::TopicPartitionOffsets;

// (changelog topic, partition) -> next offset to restore from.
using ChangelogOffsets = TopicPartitionOffsets;

// Whether a commit should rewrite the checkpoint: the offsets moved, and by at
// least `min_delta` records in all unless `enforce` (closing, revoking). A
// checkpoint behind the store is safe — a restore replays a few more changelog
// records — so frequent commits need not each write a file (as Kafka Streams,
// which waits for 10,000 records).
bool checkpoint_needed(const ChangelogOffsets& written, const ChangelogOffsets& now, bool enforce,
                       int64_t min_delta);

class CheckpointFile {
 public:
  explicit CheckpointFile(std::string path) : path_(std::move(path)) {}

  // Missing file: empty offsets. A corrupt file is treated as missing (restore
  // from scratch is always safe), and says so through `*warning`.
  ChangelogOffsets read(std::string* warning = nullptr) const;
  // Throws StateStoreError on I/O failure.
  void write(const ChangelogOffsets& offsets) const;
  void remove() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace brook::state
