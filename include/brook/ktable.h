// KTable<K,V>: a changelog stream — the latest value per key — as produced by an
// aggregation. Its nodes forward Change<V>. to_stream() turns updates back into
// a KStream; map_values and filter derive new tables. A light handle; use while
// building, on one thread.
#pragma once

#include <string>

#include "brook/dsl_options.h"
#include "operators/ktable_nodes.h"

namespace brook {

class StreamsBuilder;
template <class K, class V>
class KStream;

template <class K, class V>
class KTable {
 public:
  KTable(StreamsBuilder* builder, std::string node, std::string store)
      : builder_(builder), node_(std::move(node)), store_(std::move(store)) {}

  KStream<K, V> to_stream(Named named = {}) const;
  // f(value) or f(key, value) -> V2
  template <class F>
  auto map_values(F f, Named named = {}) const {
    using V2 = operators::value_fn_result_t<F, K, V>;
    return add<V2, operators::KTableMapValues<K, V, V2, F>>("KTABLE-MAPVALUES", named,
                                                            std::move(f));
  }
  template <class P>
  KTable<K, V> filter(P p, Named named = {}) const {
    return add<V, operators::KTableFilter<K, V, P, true>>("KTABLE-FILTER", named, std::move(p));
  }
  template <class P>
  KTable<K, V> filter_not(P p, Named named = {}) const {
    return add<V, operators::KTableFilter<K, V, P, false>>("KTABLE-FILTER", named, std::move(p));
  }

  // From now on the table's changes carry each key's previous value too
  // (Change::old_value), as a table-table join or a regrouping needs; so do
  // those of the tables it derives from. to_stream() is unaffected.
  void enable_sending_old_values() const { builder_->topology().enable_sending_old_values(node_); }

  // The store holding this table, or empty for a derived table not materialized.
  const std::string& queryable_store_name() const { return store_; }
  const std::string& node_name() const { return node_; }

 private:
  template <class V2, class Node, class F>
  KTable<K, V2> add(const char* prefix, const Named& named, F f) const;

  StreamsBuilder* builder_;
  std::string node_;
  std::string store_;
};

}  // namespace brook

#include "brook/streams_builder.h"

namespace brook {

template <class K, class V>
KStream<K, V> KTable<K, V>::to_stream(Named named) const {
  std::string name = named.name.empty() ? builder_->new_name("KTABLE-TOSTREAM") : named.name;
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {node_};
  d.create = [name]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KTableToStream<K, V>>(name);
  };
  d.connect = Topology::connector<K, V>();
  builder_->topology().add_node(std::move(d));
  return KStream<K, V>(builder_, name, false);
}

template <class K, class V>
template <class V2, class Node, class F>
KTable<K, V2> KTable<K, V>::add(const char* prefix, const Named& named, F f) const {
  std::string name = named.name.empty() ? builder_->new_name(prefix) : named.name;
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {node_};
  d.table_from_parent = true;
  d.create = [name, f]() -> std::unique_ptr<NodeBase> { return std::make_unique<Node>(name, f); };
  d.connect = Topology::connector<K, Change<V2>>();
  builder_->topology().add_node(std::move(d));
  return KTable<K, V2>(builder_, name, "");
}

}  // namespace brook
