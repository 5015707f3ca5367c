#include "engine/runtime/task_creator.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

namespace brook {
namespace {

// How many threads open the stores of an assignment's new tasks. Opening a
// RocksDB store mostly waits on the file system (file creation, fsync), so a
// worker given many tasks is ready in a fraction of the time.
constexpr size_t kStoreOpeners = 8;

// Runs open_stores() of every task, up to kStoreOpeners at once, on this thread
// and helpers; rethrows the first failure once all have finished.
void open_stores(const std::vector<std::unique_ptr<StreamTask>>& tasks) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) {
      try {
        tasks[i]->open_stores();
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> helpers;
  for (size_t n = std::min(tasks.size(), kStoreOpeners); n > 1; --n) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer helpers: this thread does the rest
    }
  }
  work();
  for (std::thread& t : helpers) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

std::vector<std::unique_ptr<StreamTask>> TaskCreator::create(const std::set<TaskId>& ids) {
  std::vector<std::unique_ptr<StreamTask>> created;
  for (const TaskId& id : ids) created.push_back(make_task(id));
  open_stores(created);
  for (auto& task : created) task->initialize();
  return created;
}

std::unique_ptr<StreamTask> TaskCreator::make_task(const TaskId& id) {
  const Topology::Subtopology& st = rt_.subtopologies.at(id.subtopology);
  std::unique_ptr<state::TaskDirectory> dir;
  bool persistent = false;
  for (const std::string& s : st.stores) persistent |= rt_.topology->find_store(s)->persistent;
  if (persistent) {
    std::string path = rt_.state_dir + "/" + id.str();
    std::string error;
    // Another process may still be closing the task after a rebalance.
    for (int attempt = 0; attempt < 100 && !dir; ++attempt) {
      dir = state::TaskDirectory::lock(path, &error);
      if (!dir) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!dir) throw std::runtime_error("task " + id.str() + ": " + error);
  }
  return std::make_unique<StreamTask>(id, *rt_.topology, st, rt_.task_options, collector_,
                                      std::move(dir), rt_.rocksdb, cache_, *rt_.metrics);
}

}  // namespace brook
