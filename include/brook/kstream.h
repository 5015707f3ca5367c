// KStream<K,V>: a typed record stream in the DSL. Each operation adds a node to
// the builder's topology and returns the next stream; a lambda's result type
// becomes that stream's type. A key-changing operation (map, flat_map,
// select_key) marks the stream so that a following grouping inserts a
// repartition topic, as Kafka Streams does. A light handle; copy freely while
// building, on one thread.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "brook/dsl_options.h"
#include "brook/record.h"
#include "operators/stateless_nodes.h"

namespace brook {

class StreamsBuilder;
template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
class KGroupedStream;

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

  const std::string& node_name() const { return node_; }
  bool repartition_required() const { return repartition_required_; }
  StreamsBuilder* builder() const { return builder_; }

 private:
  template <class K2, class V2>
  friend class KStream;

  template <class K2, class V2, class Node, class F>
  KStream<K2, V2> add(const char* prefix, const Named& named, F f, bool repartition) const;

  StreamsBuilder* builder_;
  std::string node_;
  bool repartition_required_;
};

}  // namespace brook

#include "brook/kgrouped_stream.h"
#include "brook/streams_builder.h"

namespace brook {

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
