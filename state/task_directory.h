// TaskDirectory: a task's directory under <state.dir>/<application.id>/<task id>/,
// held under an exclusive advisory lock (flock on .lock) so two processes never
// open the same task's stores. The lock is released when the object is destroyed
// or the process dies. Not thread-safe.
#pragma once

#include <memory>
#include <string>

namespace brook::state {

class TaskDirectory {
 public:
  // Creates the directory and takes the lock; returns nullptr with `*error` set
  // when another process holds it or the directory cannot be created.
  static std::unique_ptr<TaskDirectory> lock(const std::string& path, std::string* error);
  ~TaskDirectory();

  const std::string& path() const { return path_; }
  std::string store_path(const std::string& store) const { return path_ + "/" + store; }
  std::string checkpoint_path() const { return path_ + "/.checkpoint"; }

 private:
  TaskDirectory(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace brook::state
