// TaskOptions: how a task runs, fixed for a KafkaStreams instance (or a
// TopologyTestDriver) and shared read-only by all its tasks.
#pragma once

#include <map>
#include <string>

namespace brook {

namespace state {
class KeyValueBytesStore;
}

struct TaskOptions {
  std::string application_id;
  bool in_memory_stores = false;  // the test driver keeps everything in memory
  bool wall_clock_timestamps = false;
  bool fail_on_deserialization_error = false;
  std::string dead_letter_topic;  // empty: none
  // exactly_once_v2: persistent stores stage writes until commit_stores(),
  // and keep their changelog offsets inside RocksDB instead of a checkpoint.
  bool exactly_once = false;
  // The instance's global stores by name (thread-safe), which every task
  // reads; null when the topology has none.
  const std::map<std::string, state::KeyValueBytesStore*>* global_stores = nullptr;
};

}  // namespace brook
