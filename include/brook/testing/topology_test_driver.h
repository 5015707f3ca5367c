// TopologyTestDriver: runs a Topology with no broker, deterministically, for unit
// tests. Records piped into an input topic are partitioned by key (murmur2, like
// the real producer) over `partitions` partitions and processed at once by that
// partition's task; records written to repartition topics are processed by the
// downstream task before pipe_input returns; caches are flushed after every
// input record (a commit), so output appears immediately — unless the config
// sets commit.interval.ms: then commits happen as advance_wall_clock_time moves
// the clock past it, as in a running application, so tests can see what
// caching and combining hold back. Stores are in memory. Single-threaded: use
// from one thread.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/metrics.h"
#include "brook/record.h"
#include "brook/serde.h"
#include "brook/topology.h"

namespace brook {

struct CapturedRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
  int32_t partition = 0;
  Headers headers;
};

// Typed access to a topic, with the serdes KS and VS (as the topology's source
// or sink of that topic uses).
template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
class TestInputTopic;
template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
class TestOutputTopic;

class TopologyTestDriver {
 public:
  // `topology` must outlive the driver.
  explicit TopologyTestDriver(const Topology& topology, StreamsConfig config = {},
                              int partitions = 1);
  ~TopologyTestDriver();

  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
  TestInputTopic<K, V, KS, VS> create_input_topic(const std::string& topic) {
    return TestInputTopic<K, V, KS, VS>(*this, topic);
  }
  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
  TestOutputTopic<K, V, KS, VS> create_output_topic(const std::string& topic) {
    return TestOutputTopic<K, V, KS, VS>(*this, topic);
  }

  // The value of `key` in the named store, looked up in every task; KS and VS
  // are the store's serdes.
  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
  std::optional<V> store_get(const std::string& store, const K& key) {
    std::string k;
    KS::serialize(key, k);
    std::optional<std::string> raw = raw_store_get(store, k);
    if (!raw) return std::nullopt;
    V v{};
    if (!VS::deserialize(raw->data(), raw->size(), v)) return std::nullopt;
    return v;
  }
  // Every entry of the named store across tasks.
  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
  std::map<K, V> store_all(const std::string& store) {
    std::map<K, V> out;
    for (const auto& [k, v] : raw_store_all(store)) {
      K key{};
      V value{};
      if (KS::deserialize(k.data(), k.size(), key) && VS::deserialize(v.data(), v.size(), value)) {
        out[key] = value;
      }
    }
    return out;
  }

  // Moves wall-clock time on (nodes see it, as on a stream thread's loop);
  // commits (flushes caches) as commit.interval.ms says.
  void advance_wall_clock_time(std::chrono::milliseconds by);

  // Byte-level access, used by the typed topics.
  void pipe_raw(const std::string& topic, std::optional<int32_t> partition,
                std::optional<std::string> key, std::optional<std::string> value, int64_t timestamp,
                const Headers& headers = {});
  std::deque<CapturedRecord>& captured(const std::string& topic);
  std::optional<std::string> raw_store_get(const std::string& store, const std::string& key);
  std::vector<std::pair<std::string, std::string>> raw_store_all(const std::string& store);
  const Metrics& metrics() const;
  int partitions() const;
  int64_t wall_clock_ms() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

template <class K, class V, class KS, class VS>
class TestInputTopic {
 public:
  TestInputTopic(TopologyTestDriver& driver, std::string topic)
      : driver_(&driver), topic_(std::move(topic)) {}

  void pipe_input(const K& key, const V& value, int64_t timestamp) {
    pipe(std::optional<K>(key), value, timestamp, std::nullopt);
  }
  void pipe_input(const K& key, const V& value) {
    pipe(std::optional<K>(key), value, driver_->wall_clock_ms(), std::nullopt);
  }
  // A record with a null key.
  void pipe_value(const V& value, int64_t timestamp) {
    pipe(std::nullopt, value, timestamp, std::nullopt);
  }
  void pipe_input_to_partition(int32_t partition, const K& key, const V& value, int64_t timestamp) {
    pipe(std::optional<K>(key), value, timestamp, partition);
  }
  // Arbitrary bytes as the value (e.g. malformed JSON).
  void pipe_raw_value(std::optional<std::string> key, std::optional<std::string> value,
                      int64_t timestamp) {
    driver_->pipe_raw(topic_, std::nullopt, std::move(key), std::move(value), timestamp);
  }

 private:
  void pipe(std::optional<K> key, const V& value, int64_t ts, std::optional<int32_t> partition) {
    std::optional<std::string> k;
    if (key) {
      k.emplace();
      KS::serialize(*key, *k);
    }
    std::string v;
    VS::serialize(value, v);
    driver_->pipe_raw(topic_, partition, std::move(k), std::move(v), ts);
  }
  TopologyTestDriver* driver_;
  std::string topic_;
};

template <class K, class V, class KS, class VS>
class TestOutputTopic {
 public:
  TestOutputTopic(TopologyTestDriver& driver, std::string topic)
      : driver_(&driver), topic_(std::move(topic)) {}

  bool is_empty() const { return driver_->captured(topic_).empty(); }
  size_t queue_size() const { return driver_->captured(topic_).size(); }

  // Reads the next record; throws std::out_of_range when there is none and
  // std::runtime_error when it does not deserialize.
  Record<K, V> read_record() {
    auto& q = driver_->captured(topic_);
    if (q.empty()) throw std::out_of_range("no record in output topic " + topic_);
    CapturedRecord c = std::move(q.front());
    q.pop_front();
    Record<K, V> r{};
    if (!KS::deserialize(c.key ? c.key->data() : nullptr, c.key ? c.key->size() : 0, r.key) ||
        !VS::deserialize(c.value ? c.value->data() : nullptr, c.value ? c.value->size() : 0,
                         r.value)) {
      throw std::runtime_error("record in " + topic_ + " does not deserialize");
    }
    r.timestamp = c.timestamp;
    r.headers = std::move(c.headers);
    return r;
  }
  KeyValue<K, V> read_key_value() {
    Record<K, V> r = read_record();
    return KeyValue<K, V>{std::move(r.key), std::move(r.value)};
  }
  // Reads everything; the last value of each key wins.
  std::map<K, V> read_key_values_to_map() {
    std::map<K, V> out;
    while (!is_empty()) {
      auto kv = read_key_value();
      out[kv.key] = std::move(kv.value);
    }
    return out;
  }
  std::vector<KeyValue<K, V>> read_key_values_to_list() {
    std::vector<KeyValue<K, V>> out;
    while (!is_empty()) out.push_back(read_key_value());
    return out;
  }

 private:
  TopologyTestDriver* driver_;
  std::string topic_;
};

}  // namespace brook
