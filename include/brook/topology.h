// Topology: the immutable description of a stream-processing program — source,
// processor and sink node definitions, the edges between them and their state
// stores — built by the DSL (StreamsBuilder::build) or by hand with the
// low-level API below. The engine splits it into sub-topologies at repartition
// topics and instantiates each sub-topology once per partition (a task).
// Build it on one thread; once handed to KafkaStreams it is only read.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "brook/processor.h"
#include "brook/serde.h"
#include "engine/api/processor_node.h"
#include "engine/api/source_sink_nodes.h"

namespace brook {

// A topology that cannot run (unknown parent, duplicate name, type mismatch).
class TopologyError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class Topology {
 public:
  enum class NodeKind { kSource, kProcessor, kSink };

  struct NodeDef {
    NodeKind kind = NodeKind::kProcessor;
    std::string name;
    std::vector<std::string> predecessors;
    std::vector<std::string> successors;  // filled in by add_node
    std::vector<std::string> topics;      // a source's topics, or a sink's one topic
    bool internal_topics = false;         // repartition topics (application.id-prefixed)
    std::vector<std::string> stores;
    // A KTable node whose changes must carry old values (a table-table join
    // or a regrouping reads them), and whether its table derives from its
    // parent's (map_values, filter), which must then send them too.
    bool send_old_values = false;
    bool table_from_parent = false;
    std::function<std::unique_ptr<NodeBase>()> create;
    // Wires `child` below `self`; knows self's output types. Null for sinks.
    std::function<void(NodeBase& self, NodeBase& child)> connect;
  };

  enum class StoreType { kKeyValue, kWindow, kSession };

  struct StoreDef {
    std::string name;
    bool persistent = true;  // RocksDB; false: in-memory
    bool logging = true;     // changelog topic <application.id>-<name>-changelog
    bool caching = true;
    // Window and session stores: how long (ms) a window is kept past its
    // start (a session past its end), and the time segments they are dropped
    // by; their changelogs are also cleaned by time (compact,delete).
    StoreType type = StoreType::kKeyValue;
    int64_t retention_ms = 0;
    int64_t segment_interval_ms = 0;
  };

  // A global store: the whole of `topic` (every partition) in a store on
  // every instance, restored before processing starts and kept current by
  // the instance's global thread; tasks read it (a GlobalKTable join), never
  // write it. `accepts(raw)`: whether a record's value is one the table's
  // serdes read (else it is skipped, as a record that cannot be deserialized).
  struct GlobalStoreDef {
    std::string name;
    std::string topic;
    bool persistent = true;
    std::function<bool(const RawRecord&)> accepts;
  };

  struct Subtopology {
    int id = 0;
    std::vector<const NodeDef*> nodes;  // in insertion order
    std::vector<std::string> source_topics;
    std::vector<std::string> internal_source_topics;
    std::vector<std::string> sink_topics;
    std::vector<std::string> internal_sink_topics;
    std::vector<std::string> stores;
  };

  Topology() = default;
  Topology(Topology&&) = default;
  Topology& operator=(Topology&&) = default;

  // --- The low-level API ---------------------------------------------------
  // KS and VS: the serdes that read the topics' keys and values.
  template <class K, class V, class Extractor = RecordTimestamp, class KS = Serde<K>,
            class VS = Serde<V>>
  Topology& add_source(const std::string& name, std::vector<std::string> topics,
                       Extractor extractor = {}) {
    return add_source_node<K, V, Extractor, KS, VS>(name, std::move(topics), false,
                                                    std::move(extractor));
  }

  // `supplier()` returns a new std::unique_ptr<Processor<KIn,VIn,KOut,VOut>> per task.
  template <class KIn, class VIn, class KOut, class VOut, class Supplier>
  Topology& add_processor(const std::string& name, Supplier supplier,
                          std::vector<std::string> parents) {
    NodeDef d;
    d.kind = NodeKind::kProcessor;
    d.name = name;
    d.predecessors = std::move(parents);
    d.create = [name, supplier]() -> std::unique_ptr<NodeBase> {
      return std::make_unique<ProcessorNode<KIn, VIn, KOut, VOut>>(name, supplier());
    };
    d.connect = connector<KOut, VOut>();
    add_node(std::move(d));
    return *this;
  }

  // KS and VS: the serdes that write the topic's keys and values.
  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
  Topology& add_sink(const std::string& name, const std::string& topic,
                     std::vector<std::string> parents) {
    return add_sink_node<K, V, KS, VS>(name, topic, std::move(parents), false);
  }

  Topology& add_global_store(GlobalStoreDef store);
  const std::vector<GlobalStoreDef>& global_stores() const { return global_stores_; }

  // Adds a store and connects it to the named processors.
  Topology& add_state_store(StoreDef store, const std::vector<std::string>& processors);
  Topology& connect_processor_and_store(const std::string& processor, const std::string& store);

  // Sub-topologies, nodes, topics and stores, in Kafka Streams' format.
  std::string describe() const;

  // --- Used by the DSL and the engine ---------------------------------------
  template <class K, class V, class Extractor = RecordTimestamp, class KS = Serde<K>,
            class VS = Serde<V>>
  Topology& add_source_node(const std::string& name, std::vector<std::string> topics, bool internal,
                            Extractor extractor = {}) {
    NodeDef d;
    d.kind = NodeKind::kSource;
    d.name = name;
    d.topics = std::move(topics);
    d.internal_topics = internal;
    d.create = [name, extractor]() -> std::unique_ptr<NodeBase> {
      return std::make_unique<SourceNode<K, V, Extractor, KS, VS>>(name, extractor);
    };
    d.connect = connector<K, V>();
    add_node(std::move(d));
    return *this;
  }
  // Node: SinkNode (records) or TableSinkNode (a table's changes).
  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>,
            class Node = SinkNode<K, V, KS, VS>>
  Topology& add_sink_node(const std::string& name, const std::string& topic,
                          std::vector<std::string> parents, bool internal) {
    NodeDef d;
    d.kind = NodeKind::kSink;
    d.name = name;
    d.topics = {topic};
    d.internal_topics = internal;
    d.predecessors = std::move(parents);
    d.create = [name, topic, internal]() -> std::unique_ptr<NodeBase> {
      return std::make_unique<Node>(name, topic, internal);
    };
    add_node(std::move(d));
    return *this;
  }
  // A node of any kind whose `create` and `connect` the caller provides.
  void add_node(NodeDef def);

  template <class K, class V>
  static std::function<void(NodeBase&, NodeBase&)> connector() {
    return [](NodeBase& self, NodeBase& child) {
      auto* emitter = dynamic_cast<Emitter<K, V>*>(&self);
      auto* input = dynamic_cast<Input<K, V>*>(&child);
      if (emitter == nullptr || input == nullptr) {
        throw TopologyError("node '" + child.name() + "' cannot take the records that '" +
                            self.name() + "' forwards (key or value types differ)");
      }
      emitter->add_child(input);
    };
  }

  const std::vector<NodeDef>& nodes() const { return nodes_; }
  const NodeDef* find_node(const std::string& name) const;
  const std::vector<StoreDef>& stores() const { return stores_; }
  const StoreDef* find_store(const std::string& name) const;
  // Makes the KTable node `name` (and the tables it derives from) forward old
  // values with new ones; throws TopologyError for an unknown node.
  void enable_sending_old_values(const std::string& name);
  // The nodes (a join's parents) whose source topics must be co-partitioned:
  // the same partition count, so that one key's records of every topic meet
  // in one task. A repartition topic among them takes the others' count.
  void add_copartition_group(std::vector<std::string> nodes);
  // Each group's topics: the source topics upstream of its nodes (internal
  // ones without the application.id prefix, flagged).
  struct TopicRef {
    std::string name;
    bool internal;
    auto operator<=>(const TopicRef&) const = default;
  };
  std::vector<std::vector<TopicRef>> copartition_groups() const;
  std::vector<Subtopology> subtopologies() const;
  // Changelog topic name (without the application.id prefix) of a logged store.
  static std::string changelog_topic(const std::string& store) { return store + "-changelog"; }
  // Repartition topic name (without the application.id prefix) for `name`.
  static std::string repartition_topic(const std::string& name) { return name + "-repartition"; }

 private:
  std::vector<NodeDef> nodes_;
  std::vector<std::vector<std::string>> copartition_nodes_;
  std::vector<GlobalStoreDef> global_stores_;
  std::map<std::string, size_t> index_;
  std::vector<StoreDef> stores_;
};

}  // namespace brook
