// Record<K,V>: one record flowing through a topology — key, value, timestamp and
// headers — and the small value types the DSL passes around (KeyValue, Change).
// Plain values; copy freely, share between threads only as const.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brook {

// Kafka record headers, in order; empty (and allocation-free) for most records.
using Headers = std::vector<std::pair<std::string, std::string>>;

template <class K, class V>
struct Record {
  K key;
  V value;
  int64_t timestamp = 0;
  Headers headers;

  template <class V2>
  Record<K, V2> with_value(V2 v) const {
    return Record<K, V2>{key, std::move(v), timestamp, headers};
  }
};

template <class K, class V>
struct KeyValue {
  K key;
  V value;
};
template <class K, class V>
KeyValue(K, V) -> KeyValue<K, V>;

// What a KTable forwards: the new value of a key, or nullopt when the key was
// deleted (a tombstone), and — only when what lies downstream asked for it
// (KTable::enable_sending_old_values) — the value the key had before.
template <class V>
struct Change {
  std::optional<V> new_value;
  std::optional<V> old_value;
};

// Where a record came from; absent for records forwarded from a cache flush.
struct RecordMetadata {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

// Uses the Kafka record's own timestamp.
struct RecordTimestamp {
  template <class K, class V>
  int64_t operator()(const K&, const V&, int64_t record_timestamp) const {
    return record_timestamp;
  }
};

// What an extractor found: an extractor returns int64_t (negative: none) or
// std::optional<int64_t> (nullopt: none). A record without a timestamp is
// skipped and counted as dropped.
template <class Extractor, class K, class V>
std::optional<int64_t> extract_timestamp(const Extractor& extractor, const K& key, const V& value,
                                         int64_t record_timestamp) {
  return extractor(key, value, record_timestamp);
}

}  // namespace brook
