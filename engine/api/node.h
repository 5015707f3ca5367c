// The runtime side of the Processor API: what a node of a task is (NodeBase,
// typed Input and Emitter ends, SourceNodeBase), the records that cross the
// boundary with Kafka (RawRecord, OutgoingRecord), and what a task offers its
// nodes (TaskContext). Not API: the DSL's and the Processor API's node
// templates are built on it, so it ships with them (brook/detail/), but an
// application never names these types.
//
// Nodes are created per task from a Topology's definitions and run on the
// task's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/record.h"
#include "state/caching_store.h"
#include "state/key_value_bytes_store.h"
#include "state/session_bytes_store.h"
#include "state/window_bytes_store.h"

namespace brook {

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
  // The largest timestamp the task has processed (kept across restarts in
  // the committed offsets' metadata), -1 before any.
  virtual int64_t stream_time() const = 0;
  // A source took a record with this (extracted) timestamp: stream time moves
  // to it if it is later, before the record is forwarded.
  virtual void advance_stream_time(int64_t timestamp) = 0;
  virtual const RecordMetadata* record_metadata() const = 0;
  // The timestamp of the record being processed; stores stamp writes with it.
  virtual state::RecordTime& record_time() = 0;
  // The top layer of the named store; throws std::logic_error when the store is
  // not connected to the calling node.
  virtual state::KeyValueBytesStore& store(const std::string& name) = 0;
  // The record-cache layer of the named store's stack, or null when it has
  // none: typed stores keep values deserialized there, and an aggregation
  // forwards what its flushes write.
  virtual state::CachingStore* record_cache(const std::string& name) = 0;
  // The named window (session) store as a view every node of the task
  // shares; throws std::logic_error for a store of another type.
  virtual state::WindowBytesStore& window_store(const std::string& name) = 0;
  virtual state::SessionBytesStore& session_store(const std::string& name) = 0;
  // The full name of a topic: internal topics get the application.id prefix.
  virtual std::string resolve_topic(const std::string& topic, bool internal) const = 0;
  virtual void send(const OutgoingRecord& record) = 0;
  // A source could not deserialize a record: log, count and skip it, send it to
  // the dead-letter topic, or stop, as configured. `what` says what failed.
  virtual void on_deserialization_error(const RawRecord& raw, std::string_view what) = 0;
  // A record was dropped on purpose (e.g. a null key at an aggregation).
  virtual void on_dropped_record(std::string_view node, std::string_view reason) = 0;
  virtual void request_commit() = 0;
  // Schedules fn(time) every `interval_ms` of stream time (`stream_time`) or
  // wall-clock time; returns the flag that cancels it.
  virtual std::shared_ptr<bool> schedule(int64_t interval_ms, bool stream_time,
                                         std::function<void(int64_t)> fn) = 0;

  // State the nodes of one task share under `key` (both sides of a join),
  // made on first use; lives as long as the task.
  template <class T>
  std::shared_ptr<T> shared_state(const std::string& key) {
    std::shared_ptr<void>& slot = shared_slot(key);
    if (!slot) slot = std::make_shared<T>();
    return std::static_pointer_cast<T>(slot);
  }

 protected:
  virtual std::shared_ptr<void>& shared_slot(const std::string& key) = 0;
};

// The stream time a node has seen (windowed aggregations, suppression): the
// latest timestamp it took, starting with its first record at its task's
// stream time — restored from the committed offsets after a restart, so a
// record late before it is late after it.
struct ObservedStreamTime {
  int64_t time = -1;
  int64_t advance(const TaskContext& task, int64_t timestamp) {
    if (time < 0) time = task.stream_time();
    if (timestamp > time) time = timestamp;
    return time;
  }
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
  // A node forwarding a KTable's Change<V>: include the previous values from
  // now on (called before init(), when the topology asks for it).
  virtual void enable_sending_old_values() {}

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
  // Deserializes the record, extracts its timestamp and forwards it. Returns
  // that timestamp, or -1 when the record was skipped (it did not deserialize,
  // or its timestamp could not be extracted or was negative).
  virtual int64_t process_raw(const RawRecord& raw) = 0;
  // The timestamp the record will be processed with, for ordering records
  // buffered from several partitions: the Kafka timestamp, or what the
  // source's extractor finds (raw.timestamp when it finds nothing; processing
  // then skips the record).
  virtual int64_t timestamp_of(const RawRecord& raw) = 0;
};

}  // namespace brook
