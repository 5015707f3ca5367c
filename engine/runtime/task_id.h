// TaskId: one sub-topology on one partition number, written "<subtopology>_<partition>".
#pragma once

#include <compare>
#include <string>

namespace brook {

struct TaskId {
  int subtopology = 0;
  int partition = 0;
  std::string str() const { return std::to_string(subtopology) + "_" + std::to_string(partition); }
  auto operator<=>(const TaskId&) const = default;
};

}  // namespace brook
