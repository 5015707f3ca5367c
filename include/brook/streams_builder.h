// StreamsBuilder: the entry point of the DSL. stream<K,V>(topic) opens a typed
// KStream; build() returns the Topology. Generated node and store names follow
// Kafka Streams' scheme (KSTREAM-MAP-0000000001), so they are stable as long as
// the topology's code is. Build on one thread.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "brook/dsl_options.h"
#include "brook/global_ktable.h"
#include "brook/topology.h"

namespace brook {

template <class K, class V>
class KStream;
template <class K, class V>
class KTable;

class StreamsBuilder {
 public:
  StreamsBuilder() : topology_(std::make_unique<Topology>()) {}

  // Reads `topic` (or several topics, into one stream) with the serdes that
  // `consumed` names (default: Serde<K>, Serde<V>).
  template <class K, class V, class Extractor = RecordTimestamp, class KS = void, class VS = void>
  KStream<K, V> stream(const std::string& topic, ConsumedWith<Extractor, KS, VS> consumed = {}) {
    return stream<K, V>(std::vector<std::string>{topic}, std::move(consumed));
  }
  template <class K, class V, class Extractor = RecordTimestamp, class KS = void, class VS = void>
  KStream<K, V> stream(std::vector<std::string> topics,
                       ConsumedWith<Extractor, KS, VS> consumed = {}) {
    std::string name = consumed.name.empty() ? new_name("KSTREAM-SOURCE") : consumed.name;
    topology_->add_source_node<K, V, Extractor, SerdeOr<K, KS>, SerdeOr<V, VS>>(
        name, std::move(topics), false, std::move(consumed.extractor));
    return KStream<K, V>(this, name, false);
  }

  // Reads `topic` as a table: the latest value per key, kept in a store
  // (`materialized`: its name, RocksDB or memory, changelog, cache; its
  // changelog is <application.id>-<store>-changelog), a null value deleting the
  // key. Records with a null key are dropped. Each update is forwarded as a
  // Change (through the record cache).
  template <class K, class V, class Extractor = RecordTimestamp, class KS = void, class VS = void,
            class MKS = void, class MVS = void>
  KTable<K, V> table(const std::string& topic, ConsumedWith<Extractor, KS, VS> consumed = {},
                     MaterializedWith<MKS, MVS> materialized = {});

  // Reads `topic` whole (every partition) as a table on every instance: see
  // GlobalKTable. Its store is kept in RocksDB (in memory with
  // `materialized.in_memory()`) under <state.dir>/<application.id>/global/,
  // with no changelog: the topic is its changelog.
  template <class K, class V, class KS = void, class VS = void, class MKS = void, class MVS = void>
  GlobalKTable<K, V> global_table(const std::string& topic,
                                  ConsumedWith<RecordTimestamp, KS, VS> consumed = {},
                                  MaterializedWith<MKS, MVS> materialized = {}) {
    using SKS = SerdeOr<K, KS>;
    using SVS = SerdeOr<V, VS>;
    std::string store = materialized.store_name.empty()
                            ? topic + "-STATE-STORE-" + new_name("").substr(1)
                            : materialized.store_name;
    Topology::GlobalStoreDef def;
    def.name = store;
    def.topic = topic;
    def.persistent = materialized.persistent;
    def.accepts = [](const RawRecord& raw) {
      K k{};
      V v{};
      return SKS::deserialize(raw.key, raw.key_size, k) &&
             SVS::deserialize(raw.value, raw.value_size, v);
    };
    topology_->add_global_store(std::move(def));
    auto getter = std::make_shared<const typename GlobalKTable<K, V>::Getter>(
        [store](TaskContext& task) -> std::unique_ptr<operators::TableGetter<K, V>> {
          return std::make_unique<operators::TimestampedStoreGetter<K, V, SKS, SVS>>(task, store);
        });
    return GlobalKTable<K, V>(store, getter);
  }

  // A store for processors attached with KStream::process (which names it).
  StreamsBuilder& add_state_store(Topology::StoreDef store) {
    topology_->add_state_store(std::move(store), {});
    return *this;
  }

  // Hands over the topology; the builder is empty afterwards.
  Topology build() {
    Topology t = std::move(*topology_);
    topology_ = std::make_unique<Topology>();
    index_ = 0;
    return t;
  }

  // Used by the DSL classes.
  std::string new_name(const std::string& prefix) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%010d", index_++);
    return prefix + "-" + buf;
  }
  Topology& topology() { return *topology_; }

 private:
  std::unique_ptr<Topology> topology_;
  int index_ = 0;
};

}  // namespace brook

#include "brook/kstream.h"
#include "brook/ktable.h"

namespace brook {

template <class K, class V, class Extractor, class KS, class VS, class MKS, class MVS>
KTable<K, V> StreamsBuilder::table(const std::string& topic,
                                   ConsumedWith<Extractor, KS, VS> consumed,
                                   MaterializedWith<MKS, MVS> m) {
  using SKS = SerdeOr<K, KS>;
  using SVS = SerdeOr<V, VS>;
  std::string name = consumed.name.empty() ? new_name("KTABLE-SOURCE") : consumed.name;
  std::string store =
      m.store_name.empty() ? topic + "-STATE-STORE-" + new_name("").substr(1) : m.store_name;
  Topology::NodeDef d;
  d.kind = Topology::NodeKind::kSource;
  d.name = name;
  d.topics = {topic};
  d.create = [name, store, extractor = consumed.extractor]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<operators::KTableSource<K, V, Extractor, SKS, SVS>>(name, store,
                                                                                extractor);
  };
  d.connect = Topology::connector<K, Change<V>>();
  topology_->add_node(std::move(d));
  Topology::StoreDef s;
  s.name = store;
  s.persistent = m.persistent;
  s.logging = m.logging;
  s.caching = m.caching;
  topology_->add_state_store(s, {name});
  auto getter = std::make_shared<const typename KTable<K, V>::Getter>(
      [store](TaskContext& task) -> std::unique_ptr<operators::TableGetter<K, V>> {
        return std::make_unique<operators::TimestampedStoreGetter<K, V, SKS, SVS>>(task, store);
      });
  return KTable<K, V>(this, name, store, -1, getter, {store});
}

}  // namespace brook
