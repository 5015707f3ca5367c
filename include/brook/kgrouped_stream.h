// KGroupedStream<K,V>: a stream grouped by key, ready for reduce, aggregate or
// count. If the key was changed upstream, the aggregation first writes the
// stream to a repartition topic (<application.id>-<name>-repartition) and reads
// it back in a new sub-topology, so each key is aggregated by exactly one task;
// KS and VS are the serdes of that topic. A light handle; use while building,
// on one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "brook/dsl_options.h"
#include "brook/ktable.h"
#include "brook/windows.h"
#include "operators/aggregate_nodes.h"
#include "operators/combine_node.h"

namespace brook {

class StreamsBuilder;
template <class K, class V, class KS, class VS, class W>
class TimeWindowedKStream;

namespace detail {
// How count, reduce and aggregate fold a value into an aggregate (nullopt:
// none yet), for keys and for windows alike.
template <class K, class V>
auto count_folder() {
  return [](const K&, const V&, std::optional<int64_t> current) -> int64_t {
    return current.value_or(0) + 1;
  };
}
template <class K, class V, class R>
auto reduce_folder(R reducer) {
  return [reducer](const K&, const V& value, std::optional<V> current) -> V {
    return current ? reducer(std::move(*current), value) : value;
  };
}
template <class K, class V, class I, class A>
auto aggregate_folder(I initializer, A aggregator) {
  using VA = std::remove_cvref_t<std::invoke_result_t<I&>>;
  return [initializer, aggregator](const K& key, const V& value, std::optional<VA> current) -> VA {
    return aggregator(key, value, current ? std::move(*current) : initializer());
  };
}
}  // namespace detail

template <class K, class V, class KS, class VS>
class SessionWindowedKStream;

template <class K, class V, class KS, class VS>
class KGroupedStream {
 public:
  // `name` names the repartition topic (empty: the store's name).
  KGroupedStream(StreamsBuilder* builder, std::string node, bool repartition_required,
                 std::string name)
      : builder_(builder),
        node_(std::move(node)),
        repartition_required_(repartition_required),
        name_(std::move(name)) {}

  // The aggregation's store is kept as `materialized` says (default: a
  // generated name, RocksDB, changelogged, cached; Serde<K> and the value's
  // Serde).
  // reducer(aggregate, value) -> V. With `combine`, and a repartition topic,
  // the re-keying task first folds each key's records into partials with the
  // same (associative) reducer and writes those instead: see Combine.
  template <class R, class MKS = void, class MVS = void>
  KTable<K, V> reduce(R reducer, MaterializedWith<MKS, MVS> materialized = {},
                      std::optional<Combine> combine = std::nullopt) const {
    auto folder = detail::reduce_folder<K, V>(reducer);
    CreateNode combiner;
    if (combine) {
      combiner = [reducer,
                  options = *combine](const std::string& name) -> std::unique_ptr<NodeBase> {
        return std::make_unique<operators::KStreamCombine<K, V, R, KS>>(name, reducer, options);
      };
    }
    return aggregate_with<V>("KSTREAM-REDUCE", std::move(folder), std::move(materialized),
                             std::move(combiner));
  }
  // initializer() -> VA; aggregator(key, value, aggregate) -> VA
  template <class I, class A, class MKS = void, class MVS = void>
  auto aggregate(I initializer, A aggregator, MaterializedWith<MKS, MVS> materialized = {}) const {
    using VA = std::remove_cvref_t<std::invoke_result_t<I&>>;
    return aggregate_with<VA>("KSTREAM-AGGREGATE",
                              detail::aggregate_folder<K, V>(initializer, aggregator),
                              std::move(materialized));
  }
  template <class MKS = void, class MVS = void>
  KTable<K, int64_t> count(MaterializedWith<MKS, MVS> materialized = {}) const {
    return aggregate_with<int64_t>("KSTREAM-AGGREGATE", detail::count_folder<K, V>(),
                                   std::move(materialized));
  }

  // Aggregations per key and window of event time (brook/windowed_kstream.h).
  TimeWindowedKStream<K, V, KS, VS, TimeWindows> windowed_by(TimeWindows windows) const {
    return {*this, windows};
  }
  TimeWindowedKStream<K, V, KS, VS, SlidingWindows> windowed_by(SlidingWindows windows) const {
    return {*this, windows};
  }
  SessionWindowedKStream<K, V, KS, VS> windowed_by(SessionWindows windows) const {
    return {*this, windows};
  }

  // Used by the DSL: the node an aggregation with store `store` (and
  // generated `name`) reads from — the grouped stream itself, or, when the
  // key changed upstream, the source of a new repartition topic that the
  // stream is written to first (with `combiner` ahead of its sink, if given).
  using CreateNode = std::function<std::unique_ptr<NodeBase>(const std::string& name)>;
  std::string aggregation_parent(const std::string& store, CreateNode combiner = {}) const;
  StreamsBuilder* builder() const { return builder_; }

 private:
  // `combiner`, if any, creates the node that combines records ahead of the
  // repartition sink.
  template <class VA, class Folder, class MKS, class MVS>
  KTable<K, VA> aggregate_with(const char* prefix, Folder folder, MaterializedWith<MKS, MVS> m,
                               CreateNode combiner = {}) const;

  StreamsBuilder* builder_;
  std::string node_;
  bool repartition_required_;
  std::string name_;
};

}  // namespace brook

#include "brook/streams_builder.h"
#include "brook/windowed_kstream.h"

namespace brook {

template <class K, class V, class KS, class VS>
std::string KGroupedStream<K, V, KS, VS>::aggregation_parent(const std::string& store,
                                                             CreateNode combiner) const {
  if (!repartition_required_) return node_;
  Topology& topology = builder_->topology();
  std::string topic = Topology::repartition_topic(name_.empty() ? store : name_);
  std::string sink = builder_->new_name("KSTREAM-SINK");
  std::string source = builder_->new_name("KSTREAM-SOURCE");
  std::string sink_parent = node_;
  if (combiner) {
    // Named after the others, so that adding it renames nothing.
    Topology::NodeDef c;
    c.kind = Topology::NodeKind::kProcessor;
    c.name = builder_->new_name("KSTREAM-COMBINE");
    c.predecessors = {node_};
    c.create = [name = c.name, combiner] { return combiner(name); };
    c.connect = Topology::connector<K, V>();
    sink_parent = c.name;
    topology.add_node(std::move(c));
  }
  topology.template add_sink_node<K, V, KS, VS>(sink, topic, {sink_parent}, true);
  topology.template add_source_node<K, V, RecordTimestamp, KS, VS>(source, {topic}, true);
  return source;
}

template <class K, class V, class KS, class VS>
template <class VA, class Folder, class MKS, class MVS>
KTable<K, VA> KGroupedStream<K, V, KS, VS>::aggregate_with(const char* prefix, Folder folder,
                                                           MaterializedWith<MKS, MVS> m,
                                                           CreateNode combiner) const {
  Topology& topology = builder_->topology();
  std::string name = builder_->new_name(prefix);
  std::string store = m.store_name.empty()
                          ? builder_->new_name(std::string(prefix) + "-STATE-STORE")
                          : m.store_name;
  std::string parent = aggregation_parent(store, std::move(combiner));
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {parent};
  d.create = [name, store, folder]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<
        operators::KStreamAggregate<K, V, VA, Folder, SerdeOr<K, MKS>, SerdeOr<VA, MVS>>>(
        name, store, folder);
  };
  d.connect = Topology::connector<K, Change<VA>>();
  topology.add_node(std::move(d));
  Topology::StoreDef s;
  s.name = store;
  s.persistent = m.persistent;
  s.logging = m.logging;
  s.caching = m.caching;
  topology.add_state_store(s, {name});
  using SKS = SerdeOr<K, MKS>;
  using SVS = SerdeOr<VA, MVS>;
  auto getter = std::make_shared<const typename KTable<K, VA>::Getter>(
      [store](TaskContext& task) -> std::unique_ptr<operators::TableGetter<K, VA>> {
        return std::make_unique<operators::PlainStoreGetter<K, VA, SKS, SVS>>(task, store);
      });
  return KTable<K, VA>(builder_, name, store, -1, getter, {store});
}

}  // namespace brook
