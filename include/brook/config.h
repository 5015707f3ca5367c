// StreamsConfig: a KafkaStreams instance's configuration, keyed by Kafka Streams'
// names (application.id, bootstrap.servers, processing.guarantee, ...). Values come
// from code, a properties file, environment variables (BROOK_APPLICATION_ID ->
// application.id) and command-line flags; later sources override earlier ones in
// the order the caller applies them. Keys prefixed `consumer.` / `producer.`, and
// any other key librdkafka knows, pass through to the Kafka clients.
// validate() checks every key and value and names the offending key.
// A plain value: build on one thread, then share as const.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "brook/metrics.h"
#include "brook/status.h"

namespace brook {

enum class ProcessingGuarantee { kAtLeastOnce, kExactlyOnceV2 };

class StreamsConfig {
 public:
  StreamsConfig() = default;
  StreamsConfig(std::initializer_list<std::pair<const std::string, std::string>> init)
      : values_(init) {}

  StreamsConfig& set(const std::string& key, const std::string& value) {
    values_[key] = value;
    return *this;
  }
  std::optional<std::string> get(const std::string& key) const;
  bool contains(const std::string& key) const { return values_.count(key) > 0; }
  const std::map<std::string, std::string>& values() const { return values_; }

  // key=value lines; '#' and '!' start comments.
  Status load_properties_file(const std::string& path);
  // BROOK_<KEY> variables: upper-case key with '.' as '_' (BROOK_COMMIT_INTERVAL_MS);
  // BROOK_TEST_* and BROOK_BENCH_* belong to the test and benchmark harnesses.
  void load_environment(char** environ_ptr);

  // Checks every key and value; the message names the first bad key.
  Status validate() const;

  // Typed views, with Kafka Streams' defaults; call after validate().
  std::string application_id() const;
  std::string bootstrap_servers() const;
  ProcessingGuarantee processing_guarantee() const;
  int64_t commit_interval_ms() const;  // 30000, or 100 under exactly_once_v2
  int num_stream_threads() const;
  int num_standby_replicas() const;  // 0
  int64_t task_timeout_ms() const;
  int64_t shutdown_timeout_ms() const;    // 25000
  std::string group_instance_id() const;  // empty: dynamic membership
  int64_t max_task_idle_ms() const;       // 0; -1: never wait
  std::string state_dir() const;
  int64_t cache_max_bytes_buffering() const;
  int64_t rocksdb_memory_budget_bytes() const;
  bool wall_clock_timestamps() const;
  bool fail_on_deserialization_error() const;
  std::string dead_letter_topic() const;  // empty: none
  bool stop_at_end() const;
  RecordingLevel metrics_recording_level() const;
  int replication_factor() const;
  // librdkafka properties for the consumer and the producer (pass-throughs).
  std::map<std::string, std::string> client_properties(bool consumer) const;

  // The keys brook itself interprets, with their defaults and meaning.
  struct KeyInfo {
    const char* key;
    const char* default_value;
    const char* doc;
  };
  static const std::vector<KeyInfo>& known_keys();

 private:
  int64_t get_int(const std::string& key, int64_t fallback) const;
  std::map<std::string, std::string> values_;
};

}  // namespace brook
