// Small option values of the DSL, named as in Kafka Streams: Named, Consumed,
// Produced, Grouped, Materialized; and brook's own Combine. Plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>

#include "brook/topology.h"

namespace brook {

// A user-given processor name; generated names are used when empty.
struct Named {
  std::string name;
  static Named as(std::string n) { return Named{std::move(n)}; }
};

// How a source reads its topic: its node name, its timestamp extractor
//   int64_t operator()(const K& key, const V& value, int64_t record_timestamp)
// and the serdes of its records, KeySerde and ValueSerde — void: the type's
// Serde<T> — chosen with with_key_serde / with_value_serde (Kafka Streams'
// Consumed.with), e.g. Consumed::as("orders").with_value_serde<BinarySerde<Order>>().
template <class Extractor = RecordTimestamp, class KeySerde = void, class ValueSerde = void>
struct ConsumedWith {
  std::string name;
  Extractor extractor{};
  static ConsumedWith as(std::string n) { return ConsumedWith{std::move(n), {}}; }
  template <class S>
  ConsumedWith<Extractor, S, ValueSerde> with_key_serde() const {
    return {name, extractor};
  }
  template <class S>
  ConsumedWith<Extractor, KeySerde, S> with_value_serde() const {
    return {name, extractor};
  }
  template <class E>
  ConsumedWith<E, KeySerde, ValueSerde> with_timestamp_extractor(E e) const {
    return {name, std::move(e)};
  }
};
using Consumed = ConsumedWith<>;
template <class Extractor>
ConsumedWith<Extractor> with_timestamp_extractor(Extractor e, std::string name = "") {
  return ConsumedWith<Extractor>{std::move(name), std::move(e)};
}

// How a sink writes its topic: its node name and the serdes of its records,
// chosen as for ConsumedWith (Kafka Streams' Produced.with).
template <class KeySerde = void, class ValueSerde = void>
struct ProducedWith {
  std::string name;
  static ProducedWith as(std::string n) { return ProducedWith{std::move(n)}; }
  template <class S>
  ProducedWith<S, ValueSerde> with_key_serde() const {
    return {name};
  }
  template <class S>
  ProducedWith<KeySerde, S> with_value_serde() const {
    return {name};
  }
};
using Produced = ProducedWith<>;

// Names the repartition topic of a grouping: <application.id>-<name>-repartition.
// Its records are written with the serdes KeySerde and ValueSerde — void: the
// type's Serde<T> — chosen with with_key_serde / with_value_serde (Kafka
// Streams' Grouped.with), e.g. BinarySerde<T> for a BROOK_JSON struct.
template <class KeySerde = void, class ValueSerde = void>
struct GroupedWith {
  std::string name;
  static GroupedWith as(std::string n) { return GroupedWith{std::move(n)}; }
  template <class S>
  GroupedWith<S, ValueSerde> with_key_serde() const {
    return {name};
  }
  template <class S>
  GroupedWith<KeySerde, S> with_value_serde() const {
    return {name};
  }
};
using Grouped = GroupedWith<>;

// Combines a reduce's records per key before they reach its repartition topic
// (map-side combining; Flink's local-global aggregation): the task that re-keys
// the stream folds each key's records with the reducer and writes one partial
// result per key, which the reducing task folds in as it would a record. With
// few keys (running totals' products) the repartition topic carries a small
// fraction of the records. The reducer must be associative —
// reduce(reduce(a, b), c) == reduce(a, reduce(b, c)) — as sums, counts, minima,
// maxima and "latest" are. A partial is written after at most `max_delay_ms`
// of wall-clock time, when `max_keys` keys are held (all are written), and at
// every commit, before the input offsets it covers are committed; it carries
// the latest timestamp of its records and no headers, and the table updates
// once per partial instead of once per record. Without a repartition
// topic (the key was not changed) there is nothing to combine and the option
// does nothing. Kafka Streams has no equivalent: there every record crosses
// the repartition topic.
struct Combine {
  int64_t max_delay_ms = 100;
  size_t max_keys = 10000;

  static Combine within_ms(int64_t ms) {
    Combine c;
    c.max_delay_ms = ms;
    return c;
  }
  Combine& with_max_keys(size_t n) {
    max_keys = n;
    return *this;
  }
};

// The serde an option names for T, or Serde<T> for void.
template <class T, class S>
using SerdeOr = std::conditional_t<std::is_void_v<S>, Serde<T>, S>;

// How an aggregation's store is kept. The store name also names its changelog
// topic: <application.id>-<store>-changelog. Keys and values are stored (and
// changelogged) with KeySerde and ValueSerde — void: the type's Serde<T> —
// chosen with with_key_serde / with_value_serde (Kafka Streams'
// Materialized.with); change them only with an empty store and changelog.
template <class KeySerde = void, class ValueSerde = void>
struct MaterializedWith {
  std::string store_name;
  bool persistent = true;
  bool logging = true;
  bool caching = true;
  // Window and session stores: how long a window is kept (ms); -1: as long
  // as its windows take records (Kafka Streams' default: size + grace).
  int64_t retention_ms = -1;

  static MaterializedWith as(std::string store) {
    MaterializedWith m;
    m.store_name = std::move(store);
    return m;
  }
  MaterializedWith& in_memory() {
    persistent = false;
    return *this;
  }
  MaterializedWith& with_logging_disabled() {
    logging = false;
    return *this;
  }
  MaterializedWith& with_caching_disabled() {
    caching = false;
    return *this;
  }
  // A window or session store keeps its windows this long (at least the
  // windows' size and grace), e.g. for queries of past windows.
  MaterializedWith& with_retention(std::chrono::milliseconds retention) {
    retention_ms = retention.count();
    return *this;
  }
  template <class S>
  MaterializedWith<S, ValueSerde> with_key_serde() const {
    return {store_name, persistent, logging, caching, retention_ms};
  }
  template <class S>
  MaterializedWith<KeySerde, S> with_value_serde() const {
    return {store_name, persistent, logging, caching, retention_ms};
  }
};
using Materialized = MaterializedWith<>;

}  // namespace brook
