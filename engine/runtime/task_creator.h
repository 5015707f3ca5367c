// TaskCreator: makes a stream thread's tasks for an assignment — locks each
// task's directory, opens the stores of all new tasks at once on helper threads
// (RocksDB opening mostly waits on the file system), and initializes them.
// One per StreamThread; used on that thread only.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "engine/runtime/record_collector.h"
#include "engine/runtime/runtime_context.h"
#include "engine/runtime/stream_task.h"
#include "state/thread_cache.h"

namespace brook {

class TaskCreator {
 public:
  // Borrowed references must outlive the creator and the tasks it makes.
  TaskCreator(const RuntimeContext& runtime, RecordCollector& collector, state::ThreadCache& cache)
      : rt_(runtime), collector_(collector), cache_(cache) {}

  // Initialized tasks for `ids`, their stores open. Throws on failure (a
  // directory another process holds past 10 s, a store that cannot open).
  std::vector<std::unique_ptr<StreamTask>> create(const std::set<TaskId>& ids);

 private:
  // A task for `id` with its directory locked; its stores are not open yet.
  std::unique_ptr<StreamTask> make_task(const TaskId& id);

  const RuntimeContext& rt_;
  RecordCollector& collector_;
  state::ThreadCache& cache_;
};

}  // namespace brook
