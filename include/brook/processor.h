// The Processor API: what every node of a topology implements, the DSL's nodes
// included. A Processor<KIn,VIn,KOut,VOut> receives Record<KIn,VIn> and forwards
// Record<KOut,VOut> through its ProcessorContext; types are checked at compile
// time and nothing on the data path is type-erased.
//
// Lifecycle: a Topology holds node *definitions* only, immutable once built. Each
// task creates its own node instances (and so its own Processor objects and
// state), calls init() once, process() per record, close() when the task closes.
// A task runs on one stream thread: processors need no locking.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/record.h"
#include "brook/serde.h"
#include "state/key_value_bytes_store.h"

namespace brook {

// Where a record came from; absent for records forwarded from a cache flush.
struct RecordMetadata {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

// A record as consumed, before deserialization. Pointers borrow the consumed
// message; nullptr key or value means null.
struct RawRecord {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp = 0;
  const char* key = nullptr;
  size_t key_size = 0;
  const char* value = nullptr;
  size_t value_size = 0;
  const Headers* headers = nullptr;
};

// A record to produce; an absent key or value means null.
struct OutgoingRecord {
  std::string_view topic;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  int64_t timestamp = 0;
  const Headers* headers = nullptr;
};

// What a task offers its nodes. Implemented by the engine (StreamTask) and by
// the TopologyTestDriver; one per task, used on the task's thread only.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual const std::string& application_id() const = 0;
  virtual const std::string& task_id() const = 0;
  virtual int32_t partition() const = 0;
  virtual int64_t stream_time() const = 0;
  virtual const RecordMetadata* record_metadata() const = 0;
  // The timestamp of the record being processed; stores stamp writes with it.
  virtual state::RecordTime& record_time() = 0;
  // The top layer of the named store; throws std::logic_error when the store is
  // not connected to the calling node.
  virtual state::KeyValueBytesStore& store(const std::string& name) = 0;
  // The full name of a topic: internal topics get the application.id prefix.
  virtual std::string resolve_topic(const std::string& topic, bool internal) const = 0;
  virtual void send(const OutgoingRecord& record) = 0;
  // A source could not deserialize a record: log, count and skip it, send it to
  // the dead-letter topic, or stop, as configured. `what` says what failed.
  virtual void on_deserialization_error(const RawRecord& raw, std::string_view what) = 0;
  // A record was dropped on purpose (e.g. a null key at an aggregation).
  virtual void on_dropped_record(std::string_view node, std::string_view reason) = 0;
  virtual void request_commit() = 0;
};

// A runtime node of one task. Instances are created per task from the Topology's
// node definitions.
class NodeBase {
 public:
  explicit NodeBase(std::string name) : name_(std::move(name)) {}
  virtual ~NodeBase() = default;
  NodeBase(const NodeBase&) = delete;
  NodeBase& operator=(const NodeBase&) = delete;

  const std::string& name() const { return name_; }
  virtual void init(TaskContext& task) { task_ = &task; }
  // Called at each commit and before a clean close, after the task's stores
  // have flushed: a node that holds records back forwards them here, before the
  // commit makes their inputs' offsets durable.
  virtual void flush() {}
  // Called with the wall-clock time in milliseconds by the task's stream thread
  // on each pass of its loop (at least every 50 ms), and by the test driver when
  // its clock moves.
  virtual void on_wall_clock(int64_t now_ms) {}
  // Called once when the task closes (after flush() if the close is clean).
  virtual void close() {}

 protected:
  TaskContext& task() { return *task_; }

 private:
  std::string name_;
  TaskContext* task_ = nullptr;
};

// A node that takes Record<K,V>.
template <class K, class V>
class Input {
 public:
  virtual ~Input() = default;
  virtual void process(const Record<K, V>& record) = 0;
};

// A node that forwards Record<K,V> to its children.
template <class K, class V>
class Emitter {
 public:
  virtual ~Emitter() = default;
  void add_child(Input<K, V>* child) { children_.push_back(child); }
  void forward(const Record<K, V>& record) {
    for (Input<K, V>* c : children_) c->process(record);
  }

 private:
  std::vector<Input<K, V>*> children_;
};

// A node that receives raw records from its topics and deserializes them.
class SourceNodeBase : public NodeBase {
 public:
  using NodeBase::NodeBase;
  virtual void process_raw(const RawRecord& raw) = 0;
};

template <class KOut, class VOut>
class ProcessorContext;

// What a user implements for the low-level API.
template <class KIn, class VIn, class KOut = KIn, class VOut = VIn>
class Processor {
 public:
  virtual ~Processor() = default;
  virtual void init(ProcessorContext<KOut, VOut>& context) {}
  virtual void process(const Record<KIn, VIn>& record) = 0;
  virtual void close() {}
};

template <class K, class V, class KS, class VS>
class KeyValueStore;

// Given to Processor::init; valid until close(). Not thread-safe.
template <class KOut, class VOut>
class ProcessorContext {
 public:
  ProcessorContext(Emitter<KOut, VOut>& emitter, TaskContext& task)
      : emitter_(emitter), task_(task) {}

  void forward(const Record<KOut, VOut>& record) { emitter_.forward(record); }

  // The named store, typed, with the serdes KS and VS; the store must be
  // connected to this processor.
  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
  KeyValueStore<K, V, KS, VS> key_value_store(const std::string& name);

  const std::string& application_id() const { return task_.application_id(); }
  const std::string& task_id() const { return task_.task_id(); }
  int32_t partition() const { return task_.partition(); }
  int64_t current_stream_time() const { return task_.stream_time(); }
  std::optional<RecordMetadata> record_metadata() const {
    const RecordMetadata* m = task_.record_metadata();
    return m ? std::optional<RecordMetadata>(*m) : std::nullopt;
  }
  void commit() { task_.request_commit(); }
  TaskContext& task() { return task_; }

 private:
  Emitter<KOut, VOut>& emitter_;
  TaskContext& task_;
};

// Runs a user Processor as a node.
template <class KIn, class VIn, class KOut, class VOut>
class ProcessorNode final : public NodeBase, public Input<KIn, VIn>, public Emitter<KOut, VOut> {
 public:
  ProcessorNode(std::string name, std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor)
      : NodeBase(std::move(name)), processor_(std::move(processor)) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    context_ = std::make_unique<ProcessorContext<KOut, VOut>>(*this, task);
    processor_->init(*context_);
  }
  void process(const Record<KIn, VIn>& record) override {
    task().record_time().timestamp = record.timestamp;
    processor_->process(record);
  }
  void close() override { processor_->close(); }

 private:
  std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor_;
  std::unique_ptr<ProcessorContext<KOut, VOut>> context_;
};

}  // namespace brook

#include "brook/key_value_store.h"

namespace brook {
template <class KOut, class VOut>
template <class K, class V, class KS, class VS>
KeyValueStore<K, V, KS, VS> ProcessorContext<KOut, VOut>::key_value_store(const std::string& name) {
  return KeyValueStore<K, V, KS, VS>(task_.store(name));
}
}  // namespace brook
