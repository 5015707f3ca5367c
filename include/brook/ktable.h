// KTable<K,V>: a changelog stream — the latest value per key — as read from a
// topic (StreamsBuilder::table) or produced by an aggregation. Its nodes
// forward Change<V>. to_stream() turns updates back into a KStream; map_values
// and filter derive new tables; join, left_join and outer_join combine two
// tables of the same key (co-partitioned), and a stream joins a table by its
// current value (KStream::join). A light handle; use while building, on one
// thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brook/dsl_options.h"
#include "brook/topology.h"
#include "brook/windows.h"
#include "operators/foreign_key_join_nodes.h"
#include "operators/join_nodes.h"
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
  using Getter = operators::GetterSupplier<K, V>;

  // `window_grace_ms`: for a table of windowed aggregates, its windows'
  // grace (what suppress waits for); -1 otherwise. `getter`: how a join
  // reads the table's current values, from `getter_stores`; null when it
  // cannot be joined (a suppressed table).
  KTable(StreamsBuilder* builder, std::string node, std::string store, int64_t window_grace_ms = -1,
         std::shared_ptr<const Getter> getter = nullptr,
         std::vector<std::string> getter_stores = {})
      : builder_(builder),
        node_(std::move(node)),
        store_(std::move(store)),
        window_grace_ms_(window_grace_ms),
        getter_(std::move(getter)),
        getter_stores_(std::move(getter_stores)) {}

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
    auto get = [f](const K& k, V v) mutable -> std::optional<V2> {
      return operators::call_value_fn(f, k, v);
    };
    return add<V2, operators::KTableMapValues<K, V, V2, F>>("KTABLE-MAPVALUES", named, f, get);
  }
  template <class P>
  KTable<K, V> filter(P p, Named named = {}) const {
    return add<V, operators::KTableFilter<K, V, P, true>>("KTABLE-FILTER", named, p,
                                                          keep_if<true>(p));
  }
  template <class P>
  KTable<K, V> filter_not(P p, Named named = {}) const {
    return add<V, operators::KTableFilter<K, V, P, false>>("KTABLE-FILTER", named, p,
                                                           keep_if<false>(p));
  }

  // Table-table joins on the key (the tables must be co-partitioned): the
  // result holds, per key, joiner(this value, other value) — or
  // joiner(key, this, other) — while both have one (join); while this one
  // has one, the other as std::optional (left_join); while either has one,
  // both as std::optional (outer_join). Its timestamp is the later of the
  // two values'. As Kafka Streams' KTable#join.
  template <class VO, class J>
  auto join(const KTable<K, VO>& other, J joiner, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(), std::declval<const VO&>()))>;
    return join_with<VO, VR, operators::JoinType::kInner>(other, std::move(joiner), named);
  }
  template <class VO, class J>
  auto left_join(const KTable<K, VO>& other, J joiner, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(),
        std::declval<const std::optional<VO>&>()))>;
    return join_with<VO, VR, operators::JoinType::kLeft>(other, std::move(joiner), named);
  }
  template <class VO, class J>
  auto outer_join(const KTable<K, VO>& other, J joiner, Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const std::optional<V>&>(),
        std::declval<const std::optional<VO>&>()))>;
    return join_with<VO, VR, operators::JoinType::kOuter>(other, std::move(joiner), named);
  }

  // Foreign-key joins (Kafka Streams' KIP-213): each record of this table
  // joins the record of `other` whose key foreign_key(value) — or
  // foreign_key(key, value) — gives (a KO, or a std::optional<KO>: none joins
  // nothing). The result, keyed by this table's key, is joiner(this value,
  // other value) — or joiner(key, this, other) — while both exist (join),
  // while this one does, with the other as std::optional (left_join); it
  // follows changes of either side, including a record's foreign key. The
  // tables need not be co-partitioned: the join sends subscriptions keyed by
  // the foreign key through an internal topic (partitioned as `other`),
  // keeps them in a store beside `other`, and sends the answers back through
  // another (partitioned as this table). Only answers for the value this
  // table holds now make a result. The result table is materialized
  // (`materialized`; its store name defaults to the join's name + "-store").
  // Its internal topics and store use the types' Serde<T>.
  template <class KO, class VO, class F, class J, class MKS = void, class MVS = void>
  requires(std::is_invocable_v<J&, const V&, const VO&> ||
           std::is_invocable_v<J&, const K&, const V&,
                               const VO&>) auto join(const KTable<KO, VO>& other, F foreign_key,
                                                     J joiner,
                                                     MaterializedWith<MKS, MVS> materialized = {},
                                                     Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(), std::declval<const VO&>()))>;
    return foreign_key_join<KO, VO, VR, false>(other, std::move(foreign_key), std::move(joiner),
                                               result_store(materialized), named);
  }
  template <class KO, class VO, class F, class J, class MKS = void, class MVS = void>
  requires(
      std::is_invocable_v<J&, const V&, const std::optional<VO>&> ||
      std::is_invocable_v<J&, const K&, const V&,
                          const std::optional<VO>&>) auto left_join(const KTable<KO, VO>& other,
                                                                    F foreign_key, J joiner,
                                                                    MaterializedWith<MKS, MVS>
                                                                        materialized = {},
                                                                    Named named = {}) const {
    using VR = std::remove_cvref_t<decltype(operators::call_joiner(
        joiner, std::declval<const K&>(), std::declval<const V&>(),
        std::declval<const std::optional<VO>&>()))>;
    return foreign_key_join<KO, VO, VR, true>(other, std::move(foreign_key), std::move(joiner),
                                              result_store(materialized), named);
  }

  // Used by the DSL: how a join reads this table (null: it cannot be
  // joined), and the stores that reading needs.
  const std::shared_ptr<const Getter>& getter() const { return getter_; }
  const std::vector<std::string>& getter_stores() const { return getter_stores_; }
  StreamsBuilder* builder() const { return builder_; }

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
  template <class K2, class V2>
  friend class KTable;

  // get(key, value) -> std::optional<V2>: the derived table's value.
  template <class V2, class Node, class F, class Get>
  KTable<K, V2> add(const char* prefix, const Named& named, F f, Get get) const;
  template <bool keep, class P>
  static auto keep_if(P p) {
    return [p](const K& k, V v) mutable -> std::optional<V> {
      if (static_cast<bool>(p(k, v)) != keep) return std::nullopt;
      return v;
    };
  }
  template <class VO, class VR, operators::JoinType type, class J>
  KTable<K, VR> join_with(const KTable<K, VO>& other, J joiner, const Named& named) const;
  template <class KO, class VO, class VR, bool left, class F, class J>
  KTable<K, VR> foreign_key_join(const KTable<KO, VO>& other, F foreign_key, J joiner,
                                 Topology::StoreDef result, const Named& named) const;
  template <class MKS, class MVS>
  static Topology::StoreDef result_store(const MaterializedWith<MKS, MVS>& m) {
    static_assert(std::is_void_v<MKS> && std::is_void_v<MVS>,
                  "a foreign-key join's result store uses the types' Serde<T>");
    Topology::StoreDef s;
    s.name = m.store_name;
    s.persistent = m.persistent;
    s.logging = m.logging;
    s.caching = m.caching;
    return s;
  }

  StreamsBuilder* builder_;
  std::string node_;
  std::string store_;
  int64_t window_grace_ms_;
  std::shared_ptr<const Getter> getter_;
  std::vector<std::string> getter_stores_;
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
template <class V2, class Node, class F, class Get>
KTable<K, V2> KTable<K, V>::add(const char* prefix, const Named& named, F f, Get get) const {
  std::string name = named.name.empty() ? builder_->new_name(prefix) : named.name;
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kProcessor;
  d.name = name;
  d.predecessors = {node_};
  d.table_from_parent = true;
  d.create = [name, f]() -> std::unique_ptr<NodeBase> { return std::make_unique<Node>(name, f); };
  d.connect = Topology::connector<K, Change<V2>>();
  builder_->topology().add_node(std::move(d));
  std::shared_ptr<const typename KTable<K, V2>::Getter> getter;
  if (getter_) {
    getter = std::make_shared<const typename KTable<K, V2>::Getter>(
        [parent = getter_,
         get](TaskContext& task) -> std::unique_ptr<operators::TableGetter<K, V2>> {
          return std::make_unique<operators::MappedGetter<K, V, V2, Get>>((*parent)(task), get);
        });
  }
  return KTable<K, V2>(builder_, name, "", window_grace_ms_, getter, getter_stores_);
}

template <class K, class V>
template <class VO, class VR, operators::JoinType type, class J>
KTable<K, VR> KTable<K, V>::join_with(const KTable<K, VO>& other, J joiner,
                                      const Named& named) const {
  if (!getter_ || !other.getter_) {
    throw TopologyError("a join needs both tables' current values: table '" +
                        (getter_ ? other.node_ : node_) + "' cannot be read (suppressed)");
  }
  Topology& topology = builder_->topology();
  std::string base = named.name.empty() ? "" : named.name + "-";
  std::string this_name = base.empty() ? builder_->new_name("KTABLE-JOINTHIS") : base + "join-this";
  std::string other_name =
      base.empty() ? builder_->new_name("KTABLE-JOINOTHER") : base + "join-other";
  std::string merge_name = base.empty() ? builder_->new_name("KTABLE-MERGE") : named.name;
  auto this_getter = getter_;
  auto other_getter = other.getter_;

  Topology::NodeDef l;
  l.kind = Topology::NodeKind::kProcessor;
  l.name = this_name;
  l.predecessors = {node_};
  l.table_from_parent = true;
  l.create = [this_name, other_getter, joiner]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KTableKTableJoinSide<K, V, VO, VR, J, type, true>>(
        this_name, *other_getter, joiner);
  };
  l.connect = Topology::connector<K, Change<VR>>();
  topology.add_node(std::move(l));
  for (const std::string& s : other.getter_stores_)
    topology.connect_processor_and_store(this_name, s);

  Topology::NodeDef r;
  r.kind = Topology::NodeKind::kProcessor;
  r.name = other_name;
  r.predecessors = {other.node_};
  r.table_from_parent = true;
  r.create = [other_name, this_getter, joiner]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KTableKTableJoinSide<K, VO, V, VR, J, type, false>>(
        other_name, *this_getter, joiner);
  };
  r.connect = Topology::connector<K, Change<VR>>();
  topology.add_node(std::move(r));
  for (const std::string& s : getter_stores_) topology.connect_processor_and_store(other_name, s);

  Topology::NodeDef m;
  m.kind = Topology::NodeKind::kProcessor;
  m.name = merge_name;
  m.predecessors = {this_name, other_name};
  m.table_from_parent = true;
  m.create = [merge_name]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::PassThrough<K, Change<VR>>>(merge_name);
  };
  m.connect = Topology::connector<K, Change<VR>>();
  topology.add_node(std::move(m));
  topology.add_copartition_group({node_, other.node_});

  auto getter = std::make_shared<const typename KTable<K, VR>::Getter>(
      [this_getter, other_getter,
       joiner](TaskContext& task) -> std::unique_ptr<operators::TableGetter<K, VR>> {
        return std::make_unique<operators::KTableKTableJoinGetter<K, V, VO, VR, J, type>>(
            (*this_getter)(task), (*other_getter)(task), joiner);
      });
  std::vector<std::string> stores = getter_stores_;
  stores.insert(stores.end(), other.getter_stores_.begin(), other.getter_stores_.end());
  return KTable<K, VR>(builder_, merge_name, "", -1, getter, stores);
}

template <class K, class V>
template <class KO, class VO, class VR, bool left, class F, class J>
KTable<K, VR> KTable<K, V>::foreign_key_join(const KTable<KO, VO>& other, F foreign_key, J joiner,
                                             Topology::StoreDef result, const Named& named) const {
  if (!getter_ || !other.getter_) {
    throw TopologyError("a join needs both tables' current values: table '" +
                        (getter_ ? other.node_ : node_) + "' cannot be read (suppressed)");
  }
  using Subscription = operators::FkSubscription<K>;
  using Response = operators::FkResponse<VO>;
  Topology& topology = builder_->topology();
  std::string name = named.name.empty() ? builder_->new_name("KTABLE-FK-JOIN") : named.name;
  std::string subscriptions = Topology::repartition_topic(name + "-subscription");
  std::string responses = Topology::repartition_topic(name + "-response");
  std::string subscription_store = name + "-subscription-store";
  if (result.name.empty()) result.name = name + "-store";
  std::string result_store = result.name;
  // The subscriptions need the left table's previous values (to leave a
  // foreign key the record no longer has).
  topology.enable_sending_old_values(node_);

  // Left side: the subscriptions, to the subscription topic.
  std::string send = name + "-subscription-send";
  Topology::NodeDef d;
  d.name = send;
  d.predecessors = {node_};
  d.create = [send, foreign_key]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::FkSubscriptionSender<K, V, KO, F, left>>(send, foreign_key);
  };
  d.connect = Topology::connector<std::optional<KO>, Subscription>();
  topology.add_node(std::move(d));
  topology.template add_sink_node<std::optional<KO>, Subscription>(name + "-subscription-sink",
                                                                   subscriptions, {send}, true);

  // Right side: the subscriptions kept and answered; the right table's
  // changes answered to their subscribers; the answers, to the response topic.
  std::string source = name + "-subscription-source";
  topology.template add_source_node<std::optional<KO>, Subscription>(source, {subscriptions}, true);
  std::string receive = name + "-subscription-receive";
  auto other_getter = other.getter_;
  d = Topology::NodeDef{};
  d.name = receive;
  d.predecessors = {source};
  d.create = [receive, subscription_store, other_getter]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::FkSubscriptionReceiver<K, KO, VO>>(
        receive, subscription_store, *other_getter);
  };
  d.connect = Topology::connector<K, Response>();
  topology.add_node(std::move(d));
  for (const std::string& s : other.getter_stores_)
    topology.connect_processor_and_store(receive, s);
  std::string foreign = name + "-foreign-join";
  d = Topology::NodeDef{};
  d.name = foreign;
  d.predecessors = {other.node_};
  d.create = [foreign, subscription_store]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::FkForeignTableJoin<K, KO, VO>>(foreign, subscription_store);
  };
  d.connect = Topology::connector<K, Response>();
  topology.add_node(std::move(d));
  Topology::StoreDef s;
  s.name = subscription_store;
  s.caching = false;
  topology.add_state_store(s, {receive, foreign});
  topology.template add_sink_node<K, Response>(name + "-response-sink", responses,
                                               {receive, foreign}, true);

  // Left side: the answers joined with the left table's current values.
  std::string answers = name + "-response-source";
  topology.template add_source_node<K, Response>(answers, {responses}, true);
  auto this_getter = getter_;
  d = Topology::NodeDef{};
  d.name = name;
  d.predecessors = {answers};
  d.create = [name, this_getter, joiner, result_store]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::FkResponseJoin<K, V, VO, VR, J, left>>(name, *this_getter,
                                                                              joiner, result_store);
  };
  d.connect = Topology::connector<K, Change<VR>>();
  topology.add_node(std::move(d));
  for (const std::string& st : getter_stores_) topology.connect_processor_and_store(name, st);
  topology.add_state_store(result, {name});

  // The subscriptions meet the right table's records of their foreign key,
  // and the answers the left table's records of their key.
  topology.add_copartition_group({source, other.node_});
  topology.add_copartition_group({answers, node_});
  auto getter = std::make_shared<const typename KTable<K, VR>::Getter>(
      [result_store](TaskContext& task) -> std::unique_ptr<operators::TableGetter<K, VR>> {
        return std::make_unique<operators::TimestampedStoreGetter<K, VR, Serde<K>, Serde<VR>>>(
            task, result_store);
      });
  return KTable<K, VR>(builder_, name, result_store, -1, getter, {result_store});
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
