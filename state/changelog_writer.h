// ChangelogWriter: where a changelogging store sends each write. The engine
// implements it on its record collector (the store's changelog topic, the task's
// partition); the state layer knows nothing about Kafka. Borrowed by the store;
// called on the owning stream thread only.
#pragma once

#include <cstdint>
#include <string_view>

namespace brook::state {

class ChangelogWriter {
 public:
  virtual ~ChangelogWriter() = default;
  // `value == nullptr` is a tombstone (the key was deleted).
  virtual void log(std::string_view key, const std::string_view* value, int64_t timestamp) = 0;
};

}  // namespace brook::state
