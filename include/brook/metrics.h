// Metrics: process-wide counters of a KafkaStreams instance (or a test driver),
// updated by stream threads with relaxed atomics and read at any time from any
// thread, and a MetricsRegistry of sensors tagged by thread, task and store.
// Names follow Kafka Streams' metric names where one exists.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace brook {

// How much is measured (metrics.recording.level): kInfo, the default, keeps
// the per-record path free of timing; kDebug adds per-task process latencies
// and per-store operation latencies (as Kafka Streams records them at DEBUG).
enum class RecordingLevel { kInfo, kDebug };

// Tags of a sensor: {"thread-id", ...}, {"task-id", "0_3"}, {"store-name", ...}.
using MetricTags = std::map<std::string, std::string>;

// Sensor: how often an operation happened and, when timed, its total and
// largest duration. Recorded by the one thread that owns what it measures
// (relaxed atomics), read from any.
class Sensor {
 public:
  void record() { count_.fetch_add(1, std::memory_order_relaxed); }
  void record_ns(int64_t ns) {
    count_.fetch_add(1, std::memory_order_relaxed);
    total_ns_.fetch_add(ns, std::memory_order_relaxed);
    if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
  }
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  int64_t total_ns() const { return total_ns_.load(std::memory_order_relaxed); }
  int64_t max_ns() const { return max_ns_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> total_ns_{0};
  std::atomic<int64_t> max_ns_{0};
};

// Gauge: a value that goes up and down (records still to restore), set by the
// one thread that owns what it measures, read from any.
class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// MetricsRegistry: the sensors and gauges of an instance by name and tags. Looking one up
// takes a lock (done when a thread, task or store is created); recording
// does not. Thread-safe.
class MetricsRegistry {
 public:
  struct Reading {
    std::string name;
    MetricTags tags;
    int64_t count;
    int64_t total_ns;
    int64_t max_ns;
  };

  // The sensor of `name` with `tags`, created on first use; the reference
  // stays valid until remove() drops it.
  Sensor& sensor(const std::string& name, const MetricTags& tags) {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<Sensor>& s = sensors_[{name, tags}];
    if (!s) s = std::make_unique<Sensor>();
    return *s;
  }
  // The gauge of `name` with `tags`, created (at 0) on first use; valid until
  // remove() drops it.
  Gauge& gauge(const std::string& name, const MetricTags& tags) {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<Gauge>& g = gauges_[{name, tags}];
    if (!g) g = std::make_unique<Gauge>();
    return *g;
  }
  // Drops every sensor and gauge whose tags include all of `tags` (a task
  // closed).
  void remove(const MetricTags& tags) {
    std::lock_guard<std::mutex> lock(mu_);
    erase_tagged(sensors_, tags);
    erase_tagged(gauges_, tags);
  }
  std::vector<Reading> snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Reading> out;
    for (const auto& [key, s] : sensors_) {
      out.push_back({key.first, key.second, s->count(), s->total_ns(), s->max_ns()});
    }
    return out;
  }
  // Every gauge as "<name>{tag=value,...}".
  std::map<std::string, int64_t> gauges() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, int64_t> out;
    for (const auto& [key, g] : gauges_) out[key.first + format_tags(key.second)] = g->value();
    return out;
  }
  static std::string format_tags(const MetricTags& tags) {
    std::string out;
    for (const auto& [k, v] : tags) out += (out.empty() ? "" : ",") + k + "=" + v;
    return "{" + out + "}";
  }

 private:
  template <typename Map>
  static void erase_tagged(Map& map, const MetricTags& tags) {
    for (auto it = map.begin(); it != map.end();) {
      const MetricTags& t = it->first.second;
      bool all = std::all_of(tags.begin(), tags.end(), [&](const auto& kv) {
        auto f = t.find(kv.first);
        return f != t.end() && f->second == kv.second;
      });
      it = all ? map.erase(it) : std::next(it);
    }
  }

  mutable std::mutex mu_;
  std::map<std::pair<std::string, MetricTags>, std::unique_ptr<Sensor>> sensors_;
  std::map<std::pair<std::string, MetricTags>, std::unique_ptr<Gauge>> gauges_;
};

struct Metrics {
  std::atomic<int64_t> process_total{0};                 // records processed by source nodes
  std::atomic<int64_t> deserialization_errors_total{0};  // records skipped or dead-lettered
  std::atomic<int64_t> dropped_records_total{0};         // e.g. null keys at aggregations
  std::atomic<int64_t> commit_total{0};
  std::atomic<int64_t> restore_records_total{0};
  std::atomic<int64_t> restore_remaining_records{0};  // being restored right now
  std::atomic<int64_t> produce_total{0};
  std::atomic<int64_t> rebalance_total{0};
  std::atomic<int64_t> aborted_transactions_total{0};
  std::atomic<int64_t> restore_time_ms_total{0};  // wall time spent restoring
  // The capacity of the cache that every RocksDB store of the process shares
  // (rocksdb.memory.budget.bytes, as RocksDB has it).
  std::atomic<int64_t> rocksdb_block_cache_capacity_bytes{0};
  RecordingLevel recording_level = RecordingLevel::kInfo;  // set before threads start
  MetricsRegistry registry;

  std::map<std::string, int64_t> snapshot() const {
    return {{"process-total", process_total.load()},
            {"deserialization-errors-total", deserialization_errors_total.load()},
            {"dropped-records-total", dropped_records_total.load()},
            {"commit-total", commit_total.load()},
            {"restore-records-total", restore_records_total.load()},
            {"restore-remaining-records", restore_remaining_records.load()},
            {"produce-total", produce_total.load()},
            {"rebalance-total", rebalance_total.load()},
            {"aborted-transactions-total", aborted_transactions_total.load()},
            {"restore-time-ms-total", restore_time_ms_total.load()},
            {"rocksdb-block-cache-capacity-bytes", rocksdb_block_cache_capacity_bytes.load()}};
  }
  // snapshot(), every sensor of the registry, as "<name>-total{tag=value,...}",
  // "<name>-latency-avg-ns{...}" and "<name>-latency-max-ns{...}" (the
  // latencies of timed sensors only), and every gauge as "<name>{...}".
  std::map<std::string, int64_t> snapshot_with_sensors() const {
    std::map<std::string, int64_t> out = snapshot();
    out.merge(registry.gauges());
    for (const MetricsRegistry::Reading& r : registry.snapshot()) {
      std::string suffix = MetricsRegistry::format_tags(r.tags);
      out[r.name + "-total" + suffix] = r.count;
      if (r.total_ns > 0) {
        out[r.name + "-latency-avg-ns" + suffix] = r.count ? r.total_ns / r.count : 0;
        out[r.name + "-latency-max-ns" + suffix] = r.max_ns;
      }
    }
    return out;
  }
};

}  // namespace brook
