// KStream<K,V>: a typed record stream in the DSL. Each operation adds a node to
// the builder's topology and returns the next stream; a lambda's result type
// becomes that stream's type. A key-changing operation (map, flat_map,
// select_key) marks the stream so that a following grouping inserts a
// repartition topic, as Kafka Streams does. A light handle; copy freely while
// building, on one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "brook/dsl_options.h"
#include "brook/global_ktable.h"
#include "brook/record.h"
#include "brook/windows.h"
#include "operators/join_nodes.h"
#include "operators/stateless_nodes.h"

namespace brook {

class StreamsBuilder;
template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
class KGroupedStream;
template <class K, class V>
class KTable;
template <class K, class V>
class BranchedKStream;

template <class K, class V>
class KStream {
 public:
  using key_type = K;
  using value_type = V;

  KStream(StreamsBuilder* builder, std::string node, bool repartition_required)
      : builder_(builder), node_(std::move(node)), repartition_required_(repartition_required) {}

  // f(key, value) -> KeyValue<K2,V2>
  template <class F>
  auto map(F f, Named named = {}) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const K&, const V&>>;
    using K2 = std::remove_cvref_t<decltype(std::declval<R>().key)>;
    using V2 = std::remove_cvref_t<decltype(std::declval<R>().value)>;
    return add<K2, V2, operators::KStreamMap<K, V, K2, V2, F>>("KSTREAM-MAP", named, std::move(f),
                                                               true);
  }
  // f(value) or f(key, value) -> V2
  template <class F>
  auto map_values(F f, Named named = {}) const {
    using V2 = operators::value_fn_result_t<F, K, V>;
    return add<K, V2, operators::KStreamMapValues<K, V, V2, F>>(
        "KSTREAM-MAPVALUES", named, std::move(f), repartition_required_);
  }
  // f(key, value) -> K2
  template <class F>
  auto select_key(F f, Named named = {}) const {
    using K2 = std::remove_cvref_t<std::invoke_result_t<F&, const K&, const V&>>;
    return add<K2, V, operators::KStreamSelectKey<K, V, K2, F>>("KSTREAM-KEY-SELECT", named,
                                                                std::move(f), true);
  }
  // f(key, value) -> a range of KeyValue<K2,V2>
  template <class F>
  auto flat_map(F f, Named named = {}) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const K&, const V&>>;
    using E = std::remove_cvref_t<decltype(*std::begin(std::declval<R&>()))>;
    using K2 = std::remove_cvref_t<decltype(std::declval<E>().key)>;
    using V2 = std::remove_cvref_t<decltype(std::declval<E>().value)>;
    return add<K2, V2, operators::KStreamFlatMap<K, V, K2, V2, F>>("KSTREAM-FLATMAP", named,
                                                                   std::move(f), true);
  }
  // f(value) or f(key, value) -> a range of V2
  template <class F>
  auto flat_map_values(F f, Named named = {}) const {
    using R = operators::value_fn_result_t<F, K, V>;
    using V2 = std::remove_cvref_t<decltype(*std::begin(std::declval<R&>()))>;
    return add<K, V2, operators::KStreamFlatMapValues<K, V, V2, F>>(
        "KSTREAM-FLATMAPVALUES", named, std::move(f), repartition_required_);
  }
  // p(key, value) -> bool
  template <class P>
  KStream<K, V> filter(P p, Named named = {}) const {
    return add<K, V, operators::KStreamFilter<K, V, P, true>>("KSTREAM-FILTER", named, std::move(p),
                                                              repartition_required_);
  }
  template <class P>
  KStream<K, V> filter_not(P p, Named named = {}) const {
    return add<K, V, operators::KStreamFilter<K, V, P, false>>("KSTREAM-FILTER", named,
                                                               std::move(p), repartition_required_);
  }
  // f(key, value), then the record continues unchanged.
  template <class F>
  KStream<K, V> peek(F f, Named named = {}) const {
    return add<K, V, operators::KStreamPeek<K, V, F>>("KSTREAM-PEEK", named, std::move(f),
                                                      repartition_required_);
  }
  // f(key, value); the stream ends here.
  template <class F>
  void foreach (F f, Named named = {}) const {
    add<K, V, operators::KStreamPeek<K, V, F>>("KSTREAM-FOREACH", named, std::move(f), false);
  }
  // Writes the stream to `topic`, partitioned by key, with the serdes that
  // `produced` names (default: Serde<K>, Serde<V>).
  template <class KS = void, class VS = void>
  void to(const std::string& topic, ProducedWith<KS, VS> produced = {}) const;
  KStream<K, V> merge(const KStream<K, V>& other, Named named = {}) const;

  template <class KS = void, class VS = void>
  KGroupedStream<K, V, SerdeOr<K, KS>, SerdeOr<V, VS>> group_by_key(
      GroupedWith<KS, VS> grouped = {}) const;
  // f(key, value) -> K2; always repartitions.
  template <class F, class KS = void, class VS = void>
  auto group_by(F f, GroupedWith<KS, VS> grouped = {}) const {
    auto rekeyed = select_key(std::move(f));
    using K2 = typename decltype(rekeyed)::key_type;
    return KGroupedStream<K2, V, SerdeOr<K2, KS>, SerdeOr<V, VS>>(rekeyed.builder_, rekeyed.node_,
                                                                  true, std::move(grouped.name));
  }

  // Stream-table joins (the table's current value for the record's key; the
  // stream and the table co-partitioned — a re-keyed stream is first written
  // to a repartition topic with the table's partition count): each record
  // with a value in the table gives joiner(value, table value) — or
  // joiner(key, value, table value) — with the record's timestamp (join); every
  // record does, the table's value as std::optional (left_join).
  template <class VT, class J>
  auto join(const KTable<K, VT>& table, J joiner, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(), std::declval<const VT&>()))>;
    return join_table<VT, VR, false>(table, std::move(joiner), named);
  }
  template <class VT, class J>
  auto left_join(const KTable<K, VT>& table, J joiner, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(),
        std::declval<const std::optional<VT>&>()))>;
    return join_table<VT, VR, true>(table, std::move(joiner), named);
  }

  // Stream-GlobalKTable joins: each record looks up mapper(key, value) — a
  // key of the global table — and gives joiner(value, table value) with the
  // record's timestamp (join: only when the table has that key; left_join:
  // always, the table's value as std::optional). No co-partitioning, no
  // repartitioning: every instance holds the whole table.
  template <class KG, class VG, class M, class J>
  auto join(const GlobalKTable<KG, VG>& table, M mapper, J joiner, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(), std::declval<const VG&>()))>;
    return join_global<KG, VG, VR, false>(table, std::move(mapper), std::move(joiner), named);
  }
  template <class KG, class VG, class M, class J>
  auto left_join(const GlobalKTable<KG, VG>& table, M mapper, J joiner, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(),
        std::declval<const std::optional<VG>&>()))>;
    return join_global<KG, VG, VR, true>(table, std::move(mapper), std::move(joiner), named);
  }

  // Stream-stream joins within `windows` (records of the same key whose
  // times are close enough; both streams co-partitioned, re-keyed ones
  // repartitioned first): each pair gives joiner(this value, other value),
  // with the later timestamp (join). left_join: a record of this stream that
  // met nothing by the time its window closed gives joiner(value, nullopt);
  // outer_join: so does one of the other stream, both sides std::optional.
  template <class V2, class J>
  auto join(const KStream<K, V2>& other, J joiner, JoinWindows windows, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(), std::declval<const V2&>()))>;
    return join_stream<V2, VR, operators::JoinType::kInner>(other, std::move(joiner), windows,
                                                            named);
  }
  template <class V2, class J>
  auto left_join(const KStream<K, V2>& other, J joiner, JoinWindows windows,
                 Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(),
        std::declval<const std::optional<V2>&>()))>;
    return join_stream<V2, VR, operators::JoinType::kLeft>(other, std::move(joiner), windows,
                                                           named);
  }
  template <class V2, class J>
  auto outer_join(const KStream<K, V2>& other, J joiner, JoinWindows windows,
                  Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const std::optional<V>&>(),
        std::declval<const std::optional<V2>&>()))>;
    return join_stream<V2, VR, operators::JoinType::kOuter>(other, std::move(joiner), windows,
                                                            named);
  }

  // Attaches a Processor API processor (Kafka Streams' KStream#process):
  // supplier() returns a new std::unique_ptr<Processor<K, V, KOut, VOut>> per
  // task; `stores` (added with StreamsBuilder::add_state_store) are connected
  // to it. What it forwards is the returned stream.
  template <class KOut, class VOut, class Supplier>
  KStream<KOut, VOut> process(Supplier supplier, std::vector<std::string> stores = {},
                              Named named = {}) const {
    std::string name = named.name.empty() ? builder_->new_name("KSTREAM-PROCESSOR") : named.name;
    builder_->topology().template add_processor<K, V, KOut, VOut>(name, std::move(supplier),
                                                                  {node_});
    for (const std::string& s : stores) builder_->topology().connect_processor_and_store(name, s);
    return KStream<KOut, VOut>(builder_, name, true);
  }

  // Splits the stream by predicates (Kafka Streams' KStream#split): each
  // record goes to the first branch whose predicate it passes, or to the
  // default branch, or nowhere.
  //   auto branches = stream.split(Named::as("sales-"))
  //       .branch([](auto&, const Sale& s) { return s.total > 100; }, Branched::as("big"))
  //       .default_branch(Branched::as("small"));   // std::map: "sales-big", "sales-small"
  BranchedKStream<K, V> split(Named named = {}) const {
    return BranchedKStream<K, V>(
        *this, named.name.empty() ? builder_->new_name("KSTREAM-BRANCH") + "-" : named.name);
  }

  // The stream as a table: the latest value per key (a null value deletes
  // it), kept in a store as `materialized` says; a re-keyed stream is
  // repartitioned first (Kafka Streams' KStream#toTable).
  template <class MKS = void, class MVS = void>
  KTable<K, V> to_table(MaterializedWith<MKS, MVS> materialized = {}, Named named = {}) const;

  // This stream written to the repartition topic <application.id>-<name>-repartition
  // and read back, so that records are partitioned by their (new) key.
  KStream<K, V> repartition(const std::string& name) const;

  const std::string& node_name() const { return node_; }
  bool repartition_required() const { return repartition_required_; }
  StreamsBuilder* builder() const { return builder_; }

 private:
  template <class K2, class V2>
  friend class KStream;

  template <class K2, class V2, class Node, class F>
  KStream<K2, V2> add(const char* prefix, const Named& named, F f, bool repartition) const;
  template <class VT, class VR, bool left, class J>
  KStream<K, VR> join_table(const KTable<K, VT>& table, J joiner, const Named& named) const;
  template <class KG, class VG, class VR, bool left, class M, class J>
  KStream<K, VR> join_global(const GlobalKTable<KG, VG>& table, M mapper, J joiner,
                             const Named& named) const {
    std::string name = named.name.empty() ? builder_->new_name("KSTREAM-JOIN") : named.name;
    auto getter = table.getter();
    Topology::NodeDef d;
    d.kind = Topology::NodeKind::kProcessor;
    d.name = name;
    d.predecessors = {node_};
    d.create = [name, getter, mapper, joiner]() -> std::unique_ptr<NodeBase> {
      return std::make_unique<operators::KStreamKTableJoin<K, V, KG, VG, VR, M, J, left>>(
          name, *getter, mapper, joiner);
    };
    d.connect = Topology::connector<K, VR>();
    builder_->topology().add_node(std::move(d));
    return KStream<K, VR>(builder_, name, repartition_required_);
  }
  template <class V2, class VR, operators::JoinType type, class J>
  KStream<K, VR> join_stream(const KStream<K, V2>& other, J joiner, JoinWindows windows,
                             const Named& named) const;

  StreamsBuilder* builder_;
  std::string node_;
  bool repartition_required_;
};

}  // namespace brook

#include "brook/kgrouped_stream.h"
#include "brook/ktable.h"
#include "brook/streams_builder.h"

namespace brook {

// A branch's name (appended to the split's), for split().branch().
struct Branched {
  std::string name;
  static Branched as(std::string n) { return Branched{std::move(n)}; }
};

// What KStream::split() returns: add branches in order, then end with
// default_branch() or no_default_branch() to get the branches by name.
template <class K, class V>
class BranchedKStream {
 public:
  using Predicate = std::function<bool(const K&, const V&)>;

  BranchedKStream(KStream<K, V> stream, std::string prefix)
      : stream_(std::move(stream)), prefix_(std::move(prefix)) {}

  BranchedKStream& branch(Predicate p, Branched branched = {}) {
    std::string name =
        prefix_ + (branched.name.empty() ? std::to_string(branches_.size() + 1) : branched.name);
    branches_.emplace_back(name, std::move(p));
    return *this;
  }
  // The branches, and the records no predicate took as `branched`'s branch.
  std::map<std::string, KStream<K, V>> default_branch(Branched branched = {}) {
    return build(prefix_ + (branched.name.empty() ? "0" : branched.name));
  }
  std::map<std::string, KStream<K, V>> no_default_branch() { return build(""); }

 private:
  std::map<std::string, KStream<K, V>> build(const std::string& default_name) {
    std::map<std::string, KStream<K, V>> out;
    auto all = std::make_shared<std::vector<Predicate>>();
    for (const auto& [name, p] : branches_) all->push_back(p);
    // Branch i passes what predicate i passes and none before it does.
    for (size_t i = 0; i < branches_.size(); ++i) {
      out.emplace(branches_[i].first, stream_.filter(
                                          [all, i](const K& k, const V& v) {
                                            for (size_t j = 0; j < i; ++j) {
                                              if ((*all)[j](k, v)) return false;
                                            }
                                            return (*all)[i](k, v);
                                          },
                                          Named::as(branches_[i].first)));
    }
    if (!default_name.empty()) {
      out.emplace(default_name, stream_.filter(
                                    [all](const K& k, const V& v) {
                                      for (const Predicate& p : *all) {
                                        if (p(k, v)) return false;
                                      }
                                      return true;
                                    },
                                    Named::as(default_name)));
    }
    return out;
  }

  KStream<K, V> stream_;
  std::string prefix_;
  std::vector<std::pair<std::string, Predicate>> branches_;
};

template <class K, class V>
template <class MKS, class MVS>
KTable<K, V> KStream<K, V>::to_table(MaterializedWith<MKS, MVS> m, Named named) const {
  using SKS = SerdeOr<K, MKS>;
  using SVS = SerdeOr<V, MVS>;
  std::string name = named.name.empty() ? builder_->new_name("KSTREAM-TOTABLE") : named.name;
  std::string store = m.store_name.empty() ? name + "-store" : m.store_name;
  KStream<K, V> input = repartition_required_ ? repartition(name) : *this;
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {input.node_};
  d.create = [name, store]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KStreamToTable<K, V, SKS, SVS>>(name, store);
  };
  d.connect = Topology::connector<K, Change<V>>();
  builder_->topology().add_node(std::move(d));
  Topology::StoreDef s;
  s.name = store;
  s.persistent = m.persistent;
  s.logging = m.logging;
  s.caching = m.caching;
  builder_->topology().add_state_store(s, {name});
  auto getter = std::make_shared<const typename KTable<K, V>::Getter>(
      [store](TaskContext& task) -> std::unique_ptr<operators::TableGetter<K, V>> {
        return std::make_unique<operators::TimestampedStoreGetter<K, V, SKS, SVS>>(task, store);
      });
  return KTable<K, V>(builder_, name, store, -1, getter, {store});
}

template <class K, class V>
KStream<K, V> KStream<K, V>::repartition(const std::string& name) const {
  std::string topic = Topology::repartition_topic(name);
  std::string sink = builder_->new_name("KSTREAM-SINK");
  std::string source = builder_->new_name("KSTREAM-SOURCE");
  builder_->topology().template add_sink_node<K, V>(sink, topic, {node_}, true);
  builder_->topology().template add_source_node<K, V>(source, {topic}, true);
  return KStream<K, V>(builder_, source, false);
}

template <class K, class V>
template <class VT, class VR, bool left, class J>
KStream<K, VR> KStream<K, V>::join_table(const KTable<K, VT>& table, J joiner,
                                         const Named& named) const {
  if (!table.getter()) {
    throw TopologyError("a stream-table join needs the table's current values: table '" +
                        table.node_name() + "' cannot be read (suppressed)");
  }
  std::string name = named.name.empty() ? builder_->new_name("KSTREAM-JOIN") : named.name;
  KStream<K, V> input = repartition_required_ ? repartition(name + "-left") : *this;
  auto getter = table.getter();
  auto identity = [](const K& k, const V&) { return k; };
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {input.node_};
  d.create = [name, getter, identity, joiner]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<
        operators::KStreamKTableJoin<K, V, K, VT, VR, decltype(identity), J, left>>(
        name, *getter, identity, joiner);
  };
  d.connect = Topology::connector<K, VR>();
  Topology& topology = builder_->topology();
  topology.add_node(std::move(d));
  for (const std::string& s : table.getter_stores()) topology.connect_processor_and_store(name, s);
  topology.add_copartition_group({input.node_, table.node_name()});
  return KStream<K, VR>(builder_, name, false);
}

template <class K, class V>
template <class V2, class VR, operators::JoinType type, class J>
KStream<K, VR> KStream<K, V>::join_stream(const KStream<K, V2>& other, J joiner,
                                          JoinWindows windows, const Named& named) const {
  Topology& topology = builder_->topology();
  auto n = [&](const char* prefix, const char* suffix) {
    return named.name.empty() ? builder_->new_name(prefix) : named.name + suffix;
  };
  std::string this_window = n("KSTREAM-WINDOWED", "-this-windowed");
  std::string other_window = n("KSTREAM-WINDOWED", "-other-windowed");
  constexpr bool outer_this = type != operators::JoinType::kInner;
  constexpr bool outer_other = type == operators::JoinType::kOuter;
  std::string this_join = n(outer_this ? "KSTREAM-OUTERTHIS" : "KSTREAM-JOINTHIS", "-this-join");
  std::string other_join =
      n(outer_other ? "KSTREAM-OUTEROTHER" : "KSTREAM-JOINOTHER", "-other-join");
  std::string merge = n("KSTREAM-MERGE", "-merge");
  std::string this_store = this_join + "-store";
  std::string other_store = other_join + "-store";
  std::string outer_store = outer_this
                                ? (named.name.empty() ? builder_->new_name("KSTREAM-OUTERSHARED")
                                                      : named.name + "-outer-shared-join") +
                                      "-store"
                                : "";
  KStream<K, V> left = repartition_required_ ? repartition(this_join + "-left") : *this;
  KStream<K, V2> right =
      other.repartition_required_ ? other.repartition(other_join + "-right") : other;

  auto window_node = [&](const std::string& name, const std::string& parent,
                         const std::string& store, auto value_tag) {
    using VV = typename decltype(value_tag)::type;
    Topology::NodeDef d;
    d.kind = Topology::NodeKind::kProcessor;
    d.name = name;
    d.predecessors = {parent};
    d.create = [name, store]() -> std::unique_ptr<NodeBase> {
      return std::make_unique<operators::KStreamJoinWindow<K, VV, Serde<K>, Serde<VV>>>(name,
                                                                                        store);
    };
    d.connect = Topology::connector<K, VV>();
    topology.add_node(std::move(d));
    Topology::StoreDef s;
    s.name = store;
    s.caching = false;
    s.type = Topology::StoreType::kWindow;
    s.retention_ms = windows.size_ms() + windows.grace_ms;
    s.segment_interval_ms = state::TimeSegments::for_retention(s.retention_ms).interval_ms;
    topology.add_state_store(s, {name});
  };
  window_node(this_window, left.node_, this_store, std::type_identity<V>{});
  window_node(other_window, right.node_, other_store, std::type_identity<V2>{});

  int64_t before = windows.before_ms, after = windows.after_ms, grace = windows.grace_ms;
  Topology::NodeDef t;
  t.kind = Topology::NodeKind::kProcessor;
  t.name = this_join;
  t.predecessors = {this_window};
  t.create = [=]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KStreamKStreamJoinSide<K, V, V2, VR, J, Serde<K>, Serde<V>,
                                                              Serde<V2>, type, true>>(
        this_join, other_store, outer_store, merge, before, after, before, after, grace, joiner);
  };
  t.connect = Topology::connector<K, VR>();
  topology.add_node(std::move(t));
  Topology::NodeDef o;
  o.kind = Topology::NodeKind::kProcessor;
  o.name = other_join;
  o.predecessors = {other_window};
  o.create = [=]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KStreamKStreamJoinSide<K, V2, V, VR, J, Serde<K>, Serde<V2>,
                                                              Serde<V>, type, false>>(
        other_join, this_store, outer_store, merge, after, before, before, after, grace, joiner);
  };
  o.connect = Topology::connector<K, VR>();
  topology.add_node(std::move(o));
  topology.connect_processor_and_store(this_join, other_store);
  topology.connect_processor_and_store(other_join, this_store);
  if (!outer_store.empty()) {
    Topology::StoreDef s;
    s.name = outer_store;
    s.caching = false;
    topology.add_state_store(s, {this_join, other_join});
  }
  Topology::NodeDef m;
  m.kind = Topology::NodeKind::kProcessor;
  m.name = merge;
  m.predecessors = {this_join, other_join};
  m.create = [merge]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::PassThrough<K, VR>>(merge);
  };
  m.connect = Topology::connector<K, VR>();
  topology.add_node(std::move(m));
  topology.add_copartition_group({left.node_, right.node_});
  return KStream<K, VR>(builder_, merge, false);
}

template <class K, class V>
template <class K2, class V2, class Node, class F>
KStream<K2, V2> KStream<K, V>::add(const char* prefix, const Named& named, F f,
                                   bool repartition) const {
  std::string name = named.name.empty() ? builder_->new_name(prefix) : named.name;
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {node_};
  d.create = [name, f]() -> std::unique_ptr<NodeBase> { return std::make_unique<Node>(name, f); };
  d.connect = Topology::connector<K2, V2>();
  builder_->topology().add_node(std::move(d));
  return KStream<K2, V2>(builder_, name, repartition);
}

template <class K, class V>
template <class KS, class VS>
void KStream<K, V>::to(const std::string& topic, ProducedWith<KS, VS> produced) const {
  std::string name = produced.name.empty() ? builder_->new_name("KSTREAM-SINK") : produced.name;
  builder_->topology().template add_sink_node<K, V, SerdeOr<K, KS>, SerdeOr<V, VS>>(name, topic,
                                                                                    {node_}, false);
}

template <class K, class V>
KStream<K, V> KStream<K, V>::merge(const KStream<K, V>& other, Named named) const {
  std::string name = named.name.empty() ? builder_->new_name("KSTREAM-MERGE") : named.name;
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {node_, other.node_};
  d.create = [name]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KStreamPassThrough<K, V>>(name);
  };
  d.connect = Topology::connector<K, V>();
  builder_->topology().add_node(std::move(d));
  return KStream<K, V>(builder_, name, repartition_required_ || other.repartition_required_);
}

template <class K, class V>
template <class KS, class VS>
KGroupedStream<K, V, SerdeOr<K, KS>, SerdeOr<V, VS>> KStream<K, V>::group_by_key(
    GroupedWith<KS, VS> grouped) const {
  return KGroupedStream<K, V, SerdeOr<K, KS>, SerdeOr<V, VS>>(
      builder_, node_, repartition_required_, std::move(grouped.name));
}

}  // namespace brook
