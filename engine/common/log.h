// Logging for the engine and the apps: one line per event on stderr, with a UTC
// timestamp and level. Thread-safe (each line is written with one call). The
// level is the log.level config key, and starts at what BROOK_LOG_LEVEL says
// (its environment form), or info.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <string_view>

namespace brook::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void set_level(Level level);
// debug, info, warn or error (anything else: info).
Level level_named(std::string_view name);
bool enabled(Level level);
void write(Level level, std::string_view message);

template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

// Lets one message through per interval and counts what it held back, so a
// flood of bad records cannot flood the log. Not thread-safe: one per task.
class RateLimiter {
 public:
  explicit RateLimiter(std::chrono::milliseconds interval) : interval_(interval) {}
  // True when a message may be written now; `*suppressed` is how many were held
  // back since the last one written.
  bool allow(uint64_t* suppressed);

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t held_ = 0;
  bool first_ = true;
};

}  // namespace brook::log
