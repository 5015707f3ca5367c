// brook::Status: the result of an operation the caller must react to (a config
// that does not validate, a broker that refused). Immutable; safe to share
// between threads.
#pragma once

#include <string>
#include <utility>

namespace brook {

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace brook
