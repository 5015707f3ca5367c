// TimeWindowedKStream and SessionWindowedKStream: a grouped stream cut into
// windows of event time (KGroupedStream::windowed_by), ready for count,
// reduce or aggregate per key and window. The result is a KTable keyed by
// Windowed<K>, kept in a window (or session) store: RocksDB by default, time
// segmented, changelogged and cached, dropping windows past retention.
//
// Every update of a window is forwarded (through the record cache, so
// repeated updates between commits collapse, as in Kafka Streams); for one
// final result per window, follow with
// KTable::suppress(Suppressed::until_window_closes()). Records that arrive
// after their window closed (end + grace at or before the stream time) are
// dropped and counted as dropped-records-total. A light handle; use while
// building, on one thread.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "brook/dsl_options.h"
#include "brook/windows.h"
#include "operators/window_aggregate_nodes.h"

namespace brook {

template <class K, class V, class KS, class VS>
class KGroupedStream;
template <class K, class V>
class KTable;

namespace detail {

// Adds a windowed aggregation node and its store; returns the table.
template <class K, class VA, class MKS, class MVS, class Node, class Grouped, class Create>
KTable<Windowed<K>, VA> add_windowed_aggregation(const Grouped& grouped, const char* prefix,
                                                 Topology::StoreType type, int64_t min_retention,
                                                 int64_t grace_ms,
                                                 const MaterializedWith<MKS, MVS>& m,
                                                 Create create) {
  StreamsBuilder* builder = grouped.builder();
  std::string name = builder->new_name(prefix);
  std::string store =
      m.store_name.empty() ? builder->new_name(std::string(prefix) + "-STATE-STORE") : m.store_name;
  int64_t retention = m.retention_ms < 0 ? min_retention : m.retention_ms;
  if (retention < min_retention) {
    throw TopologyError("store '" + store + "': the retention (" + std::to_string(retention) +
                        " ms) must be at least the windows' size and grace (" +
                        std::to_string(min_retention) + " ms)");
  }
  state::TimeSegments segments = state::TimeSegments::for_retention(retention);
  std::string parent = grouped.aggregation_parent(store);
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {parent};
  d.create = [name, store, create]() -> std::unique_ptr<NodeBase> { return create(name, store); };
  d.connect = Topology::connector<Windowed<K>, Change<VA>>();
  builder->topology().add_node(std::move(d));
  Topology::StoreDef s;
  s.name = store;
  s.persistent = m.persistent;
  s.logging = m.logging;
  s.caching = m.caching;
  s.type = type;
  s.retention_ms = retention;
  s.segment_interval_ms = segments.interval_ms;
  builder->topology().add_state_store(s, {name});
  return KTable<Windowed<K>, VA>(builder, name, store, grace_ms);
}

}  // namespace detail

// W: TimeWindows or SlidingWindows.
template <class K, class V, class KS, class VS, class W>
class TimeWindowedKStream {
 public:
  TimeWindowedKStream(KGroupedStream<K, V, KS, VS> grouped, W windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

  template <class MKS = void, class MVS = void>
  KTable<Windowed<K>, int64_t> count(MaterializedWith<MKS, MVS> materialized = {}) const {
    return aggregate_with<int64_t>("KSTREAM-AGGREGATE", detail::count_folder<K, V>(), materialized);
  }
  // reducer(aggregate, value) -> V
  template <class R, class MKS = void, class MVS = void>
  KTable<Windowed<K>, V> reduce(R reducer, MaterializedWith<MKS, MVS> materialized = {}) const {
    return aggregate_with<V>("KSTREAM-REDUCE", detail::reduce_folder<K, V>(reducer), materialized);
  }
  // initializer() -> VA; aggregator(key, value, aggregate) -> VA
  template <class I, class A, class MKS = void, class MVS = void>
  auto aggregate(I initializer, A aggregator, MaterializedWith<MKS, MVS> materialized = {}) const {
    using VA = std::remove_cvref_t<std::invoke_result_t<I&>>;
    return aggregate_with<VA>(
        "KSTREAM-AGGREGATE", detail::aggregate_folder<K, V>(initializer, aggregator), materialized);
  }

 private:
  template <class VA, class Folder, class MKS, class MVS>
  KTable<Windowed<K>, VA> aggregate_with(const char* prefix, Folder folder,
                                         const MaterializedWith<MKS, MVS>& m) const {
    using SKS = SerdeOr<K, MKS>;
    using SVS = SerdeOr<VA, MVS>;
    W windows = windows_;
    if constexpr (std::is_same_v<W, TimeWindows>) {
      using Node = operators::KStreamWindowAggregate<K, V, VA, Folder, SKS, SVS>;
      return detail::add_windowed_aggregation<K, VA, MKS, MVS, Node>(
          grouped_, prefix, Topology::StoreType::kWindow, windows.size_ms + windows.grace_ms,
          windows.grace_ms, m,
          [folder, windows](const std::string& name, const std::string& store) {
            return std::make_unique<Node>(name, store, folder, windows);
          });
    } else {
      using Node = operators::KStreamSlidingWindowAggregate<K, V, VA, Folder, SKS, SVS>;
      return detail::add_windowed_aggregation<K, VA, MKS, MVS, Node>(
          grouped_, prefix, Topology::StoreType::kWindow,
          2 * windows.time_difference_ms + windows.grace_ms, windows.grace_ms, m,
          [folder, windows](const std::string& name, const std::string& store) {
            return std::make_unique<Node>(name, store, folder, windows);
          });
    }
  }

  KGroupedStream<K, V, KS, VS> grouped_;
  W windows_;
};

template <class K, class V, class KS, class VS>
class SessionWindowedKStream {
 public:
  SessionWindowedKStream(KGroupedStream<K, V, KS, VS> grouped, SessionWindows windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

  template <class MKS = void, class MVS = void>
  KTable<Windowed<K>, int64_t> count(MaterializedWith<MKS, MVS> materialized = {}) const {
    auto folder = detail::count_folder<K, V>();
    auto merger = [](const K&, std::optional<int64_t> a, const int64_t& b) -> int64_t {
      return a.value_or(0) + b;
    };
    return aggregate_with<int64_t>("KSTREAM-AGGREGATE", folder, merger, materialized);
  }
  // reducer(aggregate, value) -> V; also merges two sessions' aggregates.
  template <class R, class MKS = void, class MVS = void>
  KTable<Windowed<K>, V> reduce(R reducer, MaterializedWith<MKS, MVS> materialized = {}) const {
    auto folder = detail::reduce_folder<K, V>(reducer);
    auto merger = [reducer](const K&, std::optional<V> a, const V& b) -> V {
      return a ? reducer(std::move(*a), b) : b;
    };
    return aggregate_with<V>("KSTREAM-REDUCE", folder, merger, materialized);
  }
  // initializer() -> VA; aggregator(key, value, aggregate) -> VA;
  // merger(key, aggregate, aggregate) -> VA, when a record joins two sessions.
  template <class I, class A, class M, class MKS = void, class MVS = void>
  auto aggregate(I initializer, A aggregator, M merger,
                 MaterializedWith<MKS, MVS> materialized = {}) const {
    using VA = std::remove_cvref_t<std::invoke_result_t<I&>>;
    auto folder = detail::aggregate_folder<K, V>(initializer, aggregator);
    auto merge = [initializer, merger](const K& key, std::optional<VA> a, const VA& b) -> VA {
      return merger(key, a ? std::move(*a) : initializer(), b);
    };
    return aggregate_with<VA>("KSTREAM-AGGREGATE", folder, merge, materialized);
  }

 private:
  template <class VA, class Folder, class Merger, class MKS, class MVS>
  KTable<Windowed<K>, VA> aggregate_with(const char* prefix, Folder folder, Merger merger,
                                         const MaterializedWith<MKS, MVS>& m) const {
    using Node = operators::KStreamSessionWindowAggregate<K, V, VA, Folder, Merger, SerdeOr<K, MKS>,
                                                          SerdeOr<VA, MVS>>;
    SessionWindows windows = windows_;
    return detail::add_windowed_aggregation<K, VA, MKS, MVS, Node>(
        grouped_, prefix, Topology::StoreType::kSession, windows.gap_ms + windows.grace_ms,
        windows.gap_ms + windows.grace_ms, m,
        [folder, merger, windows](const std::string& name, const std::string& store) {
          return std::make_unique<Node>(name, store, folder, merger, windows);
        });
  }

  KGroupedStream<K, V, KS, VS> grouped_;
  SessionWindows windows_;
};

}  // namespace brook
