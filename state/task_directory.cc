#include "state/task_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace brook::state {

std::unique_ptr<TaskDirectory> TaskDirectory::lock(const std::string& path, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    *error = "cannot create state directory " + path + ": " + ec.message();
    return nullptr;
  }
  std::string lock_path = path + "/.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot open " + lock_path + ": " + std::strerror(errno);
    return nullptr;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    *error = "task directory " + path + " is locked by another process";
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<TaskDirectory>(new TaskDirectory(path, fd));
}

TaskDirectory::~TaskDirectory() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace brook::state
