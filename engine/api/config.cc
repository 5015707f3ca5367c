#include "brook/config.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <memory>

namespace brook {
namespace {

constexpr const char* kAtLeastOnce = "at_least_once";
constexpr const char* kExactlyOnceV2 = "exactly_once_v2";

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool parse_int(const std::string& s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Keys brook owns; they never reach librdkafka.
bool is_brook_key(const std::string& key) {
  for (const auto& k : StreamsConfig::known_keys()) {
    if (key == k.key) return true;
  }
  return false;
}

// Whether `name` uses only the characters Kafka allows in group and topic
// names: letters, digits, '.', '_', '-'.
bool kafka_name(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// Keys brook sets itself on the clients; a user value would break the runtime.
bool is_reserved_client_key(const std::string& key) {
  static const char* kReserved[] = {"group.id",         "enable.auto.commit",
                                    "transactional.id", "enable.auto.offset.store",
                                    "isolation.level",  "group.instance.id"};
  return std::find_if(std::begin(kReserved), std::end(kReserved),
                      [&](const char* r) { return key == r; }) != std::end(kReserved);
}

// Asks librdkafka whether it knows the property and accepts the value.
Status check_client_property(const std::string& key, const std::string& value,
                             const std::string& shown_key) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          &rd_kafka_conf_destroy);
  char err[512];
  rd_kafka_conf_res_t r =
      rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err);
  if (r == RD_KAFKA_CONF_UNKNOWN) return Status::error("unknown config key '" + shown_key + "'");
  if (r != RD_KAFKA_CONF_OK) {
    return Status::error("invalid value for '" + shown_key + "': " + err);
  }
  if (is_reserved_client_key(key)) {
    return Status::error("config key '" + shown_key +
                         "' is set by brook itself and cannot be overridden");
  }
  return Status::ok();
}

}  // namespace

const std::vector<StreamsConfig::KeyInfo>& StreamsConfig::known_keys() {
  static const std::vector<KeyInfo> keys = {
      {"application.id", "", "consumer group id and prefix of internal topics (required)"},
      {"bootstrap.servers", "", "Kafka brokers, host:port,... (required)"},
      {"processing.guarantee", kAtLeastOnce, "at_least_once | exactly_once_v2"},
      {"commit.interval.ms", "30000", "commit period; 100 under exactly_once_v2"},
      {"num.stream.threads", "1", "stream threads in this process"},
      {"state.dir", "/tmp/brook", "root of local state"},
      {"cache.max.bytes.buffering", "10485760",
       "record cache for all stores of the process, divided among threads; 0 disables"},
      {"num.standby.replicas", "0",
       "warm copies of each task's stores kept by other workers (tailing its changelog)"},
      {"default.timestamp.extractor", "record",
       "record (the Kafka record's timestamp) | wall_clock"},
      {"default.deserialization.exception.handler", "log_and_continue",
       "log_and_continue | log_and_fail"},
      {"errors.dead.letter.queue.topic.name", "",
       "topic that receives records that fail to deserialize"},
      {"rocksdb.memory.budget.bytes", "67108864",
       "block cache + memtables shared by all RocksDB stores of the process"},
      {"replication.factor", "-1", "replication of internal topics (-1: broker default)"},
      {"stop.at.end", "false",
       "process inputs up to their end offsets at start, commit and stop (bounded run)"},
      {"log.level", "info", "debug | info | warn | error (brook's log, on stderr)"},
      {"task.timeout.ms", "300000",
       "how long a task may keep failing (commits, offset lookups) before its thread fails"},
      {"metrics.recording.level", "INFO",
       "INFO | DEBUG: DEBUG also times every task's processing and every store operation"},
      {"group.instance.id", "",
       "static membership: this worker's id in the group, stable across its restarts (each "
       "stream thread joins as <id>-<n>); a restart within session.timeout.ms gets the same "
       "tasks back without a rebalance"},
      {"shutdown.timeout.ms", "25000",
       "how long a worker stopped by SIGTERM or SIGINT may take to commit, close its tasks and "
       "leave the group before it exits anyway"},
      {"max.task.idle.ms", "0",
       "a task reading several partitions waits this long for an empty one before processing "
       "the others (0: only while its records may be on their way; -1: never)"},
  };
  return keys;
}

std::optional<std::string> StreamsConfig::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Status StreamsConfig::load_properties_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::error("cannot read config file " + path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '!') continue;
    size_t eq = t.find_first_of("=:");
    if (eq == std::string::npos) {
      return Status::error(path + ":" + std::to_string(n) + ": expected key=value");
    }
    values_[trim(t.substr(0, eq))] = trim(t.substr(eq + 1));
  }
  return Status::ok();
}

void StreamsConfig::load_environment(char** env) {
  static const std::string kPrefix = "BROOK_";
  for (; env && *env; ++env) {
    std::string entry = *env;
    size_t eq = entry.find('=');
    if (eq == std::string::npos || entry.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    std::string name = entry.substr(kPrefix.size(), eq - kPrefix.size());
    // Test and benchmark harness variables are not configuration.
    if (name.rfind("TEST_", 0) == 0 || name.rfind("BENCH_", 0) == 0 || name.empty()) continue;
    std::string key;
    for (char c : name) key += c == '_' ? '.' : static_cast<char>(std::tolower(c));
    values_[key] = entry.substr(eq + 1);
  }
}

int64_t StreamsConfig::get_int(const std::string& key, int64_t fallback) const {
  auto v = get(key);
  int64_t out;
  if (v && parse_int(*v, &out)) return out;
  return fallback;
}

Status StreamsConfig::validate() const {
  auto app = get("application.id");
  if (!app || app->empty()) return Status::error("missing required config key 'application.id'");
  if (!kafka_name(*app)) {
    return Status::error("invalid value for 'application.id': '" + *app +
                         "' (use letters, digits, '.', '_', '-')");
  }
  auto bs = get("bootstrap.servers");
  if (!bs || bs->empty()) return Status::error("missing required config key 'bootstrap.servers'");

  for (const auto& [key, value] : values_) {
    if (key == "processing.guarantee") {
      if (value != kAtLeastOnce && value != kExactlyOnceV2) {
        return Status::error("invalid value for 'processing.guarantee': '" + value +
                             "' (expected at_least_once or exactly_once_v2)");
      }
    } else if (key == "commit.interval.ms" || key == "cache.max.bytes.buffering" ||
               key == "task.timeout.ms" || key == "rocksdb.memory.budget.bytes" ||
               key == "num.standby.replicas") {
      int64_t x;
      if (!parse_int(value, &x) || x < 0) {
        return Status::error("invalid value for '" + key + "': '" + value +
                             "' (expected a non-negative integer)");
      }
    } else if (key == "shutdown.timeout.ms") {
      int64_t x;
      if (!parse_int(value, &x) || x < 1) {
        return Status::error("invalid value for 'shutdown.timeout.ms': '" + value +
                             "' (expected a positive integer)");
      }
    } else if (key == "group.instance.id") {
      if (value.empty() || value.size() > 200 || !kafka_name(value)) {
        return Status::error("invalid value for 'group.instance.id': '" + value +
                             "' (use up to 200 letters, digits, '.', '_', '-')");
      }
    } else if (key == "max.task.idle.ms") {
      int64_t x;
      if (!parse_int(value, &x) || x < -1) {
        return Status::error("invalid value for 'max.task.idle.ms': '" + value +
                             "' (expected -1 or a non-negative integer)");
      }
    } else if (key == "num.stream.threads") {
      int64_t x;
      if (!parse_int(value, &x) || x < 1 || x > 256) {
        return Status::error("invalid value for 'num.stream.threads': '" + value +
                             "' (expected 1..256)");
      }
    } else if (key == "replication.factor") {
      int64_t x;
      if (!parse_int(value, &x) || x == 0 || x < -1) {
        return Status::error("invalid value for 'replication.factor': '" + value +
                             "' (expected -1 or a positive integer)");
      }
    } else if (key == "default.timestamp.extractor") {
      if (value != "record" && value != "wall_clock") {
        return Status::error("invalid value for 'default.timestamp.extractor': '" + value +
                             "' (expected record or wall_clock)");
      }
    } else if (key == "default.deserialization.exception.handler") {
      if (value != "log_and_continue" && value != "log_and_fail") {
        return Status::error("invalid value for 'default.deserialization.exception.handler': '" +
                             value + "' (expected log_and_continue or log_and_fail)");
      }
    } else if (key == "stop.at.end") {
      if (value != "true" && value != "false") {
        return Status::error("invalid value for 'stop.at.end': '" + value +
                             "' (expected true or false)");
      }
    } else if (key == "metrics.recording.level") {
      if (value != "INFO" && value != "DEBUG" && value != "TRACE") {
        return Status::error("invalid value for 'metrics.recording.level': '" + value +
                             "' (expected INFO, DEBUG or TRACE)");
      }
    } else if (key == "log.level") {
      if (value != "debug" && value != "info" && value != "warn" && value != "error") {
        return Status::error("invalid value for 'log.level': '" + value +
                             "' (expected debug, info, warn or error)");
      }
    } else if (key == "state.dir") {
      if (value.empty()) return Status::error("invalid value for 'state.dir': empty");
    } else if (is_brook_key(key)) {
      continue;
    } else if (key.rfind("consumer.", 0) == 0) {
      Status s = check_client_property(key.substr(9), value, key);
      if (!s) return s;
    } else if (key.rfind("producer.", 0) == 0) {
      Status s = check_client_property(key.substr(9), value, key);
      if (!s) return s;
    } else {
      Status s = check_client_property(key, value, key);
      if (!s) return s;
    }
  }
  return Status::ok();
}

std::string StreamsConfig::application_id() const { return get("application.id").value_or(""); }
std::string StreamsConfig::bootstrap_servers() const {
  return get("bootstrap.servers").value_or("");
}
ProcessingGuarantee StreamsConfig::processing_guarantee() const {
  return get("processing.guarantee").value_or(kAtLeastOnce) == kExactlyOnceV2
             ? ProcessingGuarantee::kExactlyOnceV2
             : ProcessingGuarantee::kAtLeastOnce;
}
int64_t StreamsConfig::commit_interval_ms() const {
  int64_t fallback = processing_guarantee() == ProcessingGuarantee::kExactlyOnceV2 ? 100 : 30000;
  return get_int("commit.interval.ms", fallback);
}
int64_t StreamsConfig::task_timeout_ms() const { return get_int("task.timeout.ms", 300000); }
int64_t StreamsConfig::shutdown_timeout_ms() const { return get_int("shutdown.timeout.ms", 25000); }
std::string StreamsConfig::group_instance_id() const {
  return get("group.instance.id").value_or("");
}
int64_t StreamsConfig::max_task_idle_ms() const { return get_int("max.task.idle.ms", 0); }
int StreamsConfig::num_standby_replicas() const {
  return static_cast<int>(get_int("num.standby.replicas", 0));
}
int StreamsConfig::num_stream_threads() const {
  return static_cast<int>(get_int("num.stream.threads", 1));
}
std::string StreamsConfig::state_dir() const { return get("state.dir").value_or("/tmp/brook"); }
int64_t StreamsConfig::cache_max_bytes_buffering() const {
  return get_int("cache.max.bytes.buffering", 10485760);
}
int64_t StreamsConfig::rocksdb_memory_budget_bytes() const {
  return get_int("rocksdb.memory.budget.bytes", 64ll << 20);
}
bool StreamsConfig::wall_clock_timestamps() const {
  return get("default.timestamp.extractor").value_or("record") == "wall_clock";
}
bool StreamsConfig::fail_on_deserialization_error() const {
  return get("default.deserialization.exception.handler").value_or("log_and_continue") ==
         "log_and_fail";
}
std::string StreamsConfig::dead_letter_topic() const {
  return get("errors.dead.letter.queue.topic.name").value_or("");
}
RecordingLevel StreamsConfig::metrics_recording_level() const {
  // TRACE records what DEBUG does: brook has no finer sensors.
  return get("metrics.recording.level").value_or("INFO") == "INFO" ? RecordingLevel::kInfo
                                                                   : RecordingLevel::kDebug;
}
bool StreamsConfig::stop_at_end() const { return get("stop.at.end").value_or("false") == "true"; }
int StreamsConfig::replication_factor() const {
  return static_cast<int>(get_int("replication.factor", -1));
}

std::map<std::string, std::string> StreamsConfig::client_properties(bool consumer) const {
  std::map<std::string, std::string> out;
  const std::string own = consumer ? "consumer." : "producer.";
  const std::string other = consumer ? "producer." : "consumer.";
  for (const auto& [key, value] : values_) {
    if (is_brook_key(key) && key != "bootstrap.servers") continue;
    if (key.rfind(other, 0) == 0) continue;
    if (key.rfind(own, 0) == 0) {
      out[key.substr(own.size())] = value;
    } else if (out.count(key) == 0) {
      out[key] = value;
    }
  }
  // Prefixed keys win over plain ones whatever the map order.
  for (const auto& [key, value] : values_) {
    if (key.rfind(own, 0) == 0) out[key.substr(own.size())] = value;
  }
  return out;
}

}  // namespace brook
