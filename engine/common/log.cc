#include "engine/common/log.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace brook::log {

namespace {

// BROOK_LOG_LEVEL (the environment form of the log.level config key) sets the
// starting level, so that what is logged before the config is read follows it.
int level_from_environment() {
  const char* v = std::getenv("BROOK_LOG_LEVEL");
  return static_cast<int>(level_named(v ? v : "info"));
}

}  // namespace

Level level_named(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return Level::kInfo;
}

static std::atomic<int> g_level{level_from_environment()};

void set_level(Level level) { g_level = static_cast<int>(level); }
bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void write(Level level, std::string_view message) {
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm;
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line = fmt::format("{}.{:03d}Z {} brook: {}\n", ts, static_cast<int>(ms),
                                 kNames[static_cast<int>(level)], message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

bool RateLimiter::allow(uint64_t* suppressed) {
  auto now = std::chrono::steady_clock::now();
  if (first_ || now - last_ >= interval_) {
    first_ = false;
    last_ = now;
    *suppressed = held_;
    held_ = 0;
    return true;
  }
  ++held_;
  return false;
}

}  // namespace brook::log
