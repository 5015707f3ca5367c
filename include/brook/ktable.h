// KTable<K,V>: a changelog stream — the latest value per key — as produced by an
// aggregation. Its nodes forward Change<V>. to_stream() turns updates back into
// a KStream; map_values and filter derive new tables. A light handle; use while
// building, on one thread.
#pragma once

#include <string>

#include "brook/dsl_options.h"
#include "brook/windows.h"
#include "operators/ktable_nodes.h"
#include "operators/suppress_node.h"

namespace brook {

class StreamsBuilder;
template <class K, class V>
class KStream;

// What suppress holds back: until_window_closes() — every update of a window
// until the window closes, then its final result (Kafka Streams'
// Suppressed.untilWindowCloses with an unbounded buffer). `buffer_name`
// names the buffer's store (and changelog).
struct Suppressed {
  std::string buffer_name;
  static Suppressed until_window_closes(std::string buffer_name = "") {
    return Suppressed{std::move(buffer_name)};
  }
};

template <class T>
struct is_windowed : std::false_type {};
template <class K>
struct is_windowed<Windowed<K>> : std::true_type {
  using key_type = K;
};

template <class K, class V>
class KTable {
 public:
  // `window_grace_ms`: for a table of windowed aggregates, its windows'
  // grace (what suppress waits for); -1 otherwise.
  KTable(StreamsBuilder* builder, std::string node, std::string store, int64_t window_grace_ms = -1)
      : builder_(builder),
        node_(std::move(node)),
        store_(std::move(store)),
        window_grace_ms_(window_grace_ms) {}

  // The table's updates as a stream. A deletion has no value to put on a
  // typed stream and is not forwarded (Kafka Streams forwards a null value);
  // to(topic) writes deletions as tombstones.
  KStream<K, V> to_stream(Named named = {}) const;
  // Writes the table's changes to `topic`: each update, and a tombstone
  // (null value) for each deletion, with the serdes `produced` names.
  template <class KS = void, class VS = void>
  void to(const std::string& topic, ProducedWith<KS, VS> produced = {}) const {
    std::string name = produced.name.empty() ? builder_->new_name("KTABLE-SINK") : produced.name;
    builder_->topology()
        .template add_sink_node<K, V, SerdeOr<K, KS>, SerdeOr<V, VS>,
                                TableSinkNode<K, V, SerdeOr<K, KS>, SerdeOr<V, VS>>>(
            name, topic, {node_}, false);
  }
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

  // Final results of a windowed table: each window's last update, forwarded
  // once the window has closed (end + grace passed by stream time), never a
  // partial one; deletions are not forwarded. The buffer is a store
  // (changelogged; `materialized` names it and its serdes' default is kept).
  // Throws TopologyError for a table that is not windowed.
  KTable<K, V> suppress(Suppressed suppressed, Named named = {}) const;

  // The store holding this table, or empty for a derived table not materialized.
  const std::string& queryable_store_name() const { return store_; }
  const std::string& node_name() const { return node_; }

 private:
  template <class V2, class Node, class F>
  KTable<K, V2> add(const char* prefix, const Named& named, F f) const;

  StreamsBuilder* builder_;
  std::string node_;
  std::string store_;
  int64_t window_grace_ms_;
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
  return KTable<K, V2>(builder_, name, "", window_grace_ms_);
}

template <class K, class V>
KTable<K, V> KTable<K, V>::suppress(Suppressed suppressed, Named named) const {
  if constexpr (!is_windowed<K>::value) {
    throw TopologyError("suppress(until_window_closes) needs a table of windowed aggregates");
  } else {
    if (window_grace_ms_ < 0) {
      throw TopologyError("suppress(until_window_closes) needs a table of windowed aggregates");
    }
    using KW = typename is_windowed<K>::key_type;
    std::string name = named.name.empty() ? builder_->new_name("KTABLE-SUPPRESS") : named.name;
    std::string store = suppressed.buffer_name.empty() ? name + "-store" : suppressed.buffer_name;
    int64_t grace = window_grace_ms_;
    Topology::NodeDef d;
    d.kind = Topology::NodeKind::kProcessor;
    d.name = name;
    d.predecessors = {node_};
    d.create = [name, store, grace]() -> std::unique_ptr<NodeBase> {
      return std::make_unique<operators::KTableSuppress<KW, V>>(name, store, grace);
    };
    d.connect = Topology::connector<K, Change<V>>();
    builder_->topology().add_node(std::move(d));
    Topology::StoreDef s;
    s.name = store;
    s.persistent = false;  // in memory, rebuilt from its changelog (as Kafka Streams')
    s.caching = false;
    builder_->topology().add_state_store(s, {name});
    return KTable<K, V>(builder_, name, "", -1);
  }
}

}  // namespace brook
