// SourceNode and SinkNode: where a task's records enter (deserialized, their
// timestamp extracted) and leave (serialized, sent). Not API (brook/detail/);
// one instance per task and topic.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "brook/record.h"
#include "brook/serde.h"
#include "engine/api/node.h"

namespace brook {

// Reads its topics' records with the serdes KS and VS.
template <class K, class V, class Extractor = RecordTimestamp, class KS = Serde<K>,
          class VS = Serde<V>>
class SourceNode final : public SourceNodeBase, public Emitter<K, V> {
 public:
  SourceNode(std::string name, Extractor extractor)
      : SourceNodeBase(std::move(name)), extractor_(std::move(extractor)) {}

  int64_t process_raw(const RawRecord& raw) override {
    if (!KS::deserialize(raw.key, raw.key_size, record_.key)) {
      task().on_deserialization_error(raw, "key");
      return -1;
    }
    if (!VS::deserialize(raw.value, raw.value_size, record_.value)) {
      task().on_deserialization_error(raw, "value");
      return -1;
    }
    std::optional<int64_t> ts =
        extract_timestamp(extractor_, record_.key, record_.value, raw.timestamp);
    if (!ts || *ts < 0) {
      task().on_dropped_record(name(),
                               ts ? "negative timestamp" : "no timestamp could be extracted");
      return -1;
    }
    record_.timestamp = *ts;
    if (raw.headers) {
      record_.headers = *raw.headers;
    } else if (!record_.headers.empty()) {
      record_.headers.clear();
    }
    task().advance_stream_time(record_.timestamp);
    task().record_time().timestamp = record_.timestamp;
    this->forward(record_);
    return record_.timestamp;
  }

  int64_t timestamp_of(const RawRecord& raw) override {
    if constexpr (std::is_same_v<Extractor, RecordTimestamp>) {
      return raw.timestamp;
    } else {
      if (!KS::deserialize(raw.key, raw.key_size, peek_.key) ||
          !VS::deserialize(raw.value, raw.value_size, peek_.value)) {
        return raw.timestamp;
      }
      std::optional<int64_t> ts =
          extract_timestamp(extractor_, peek_.key, peek_.value, raw.timestamp);
      return ts && *ts >= 0 ? *ts : raw.timestamp;
    }
  }

 private:
  Extractor extractor_;
  Record<K, V> record_;  // reused, so strings keep their capacity
  Record<K, V> peek_;    // timestamp_of's, reused likewise
};

// Writes records with the serdes KS and VS.
template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
class SinkNode final : public NodeBase, public Input<K, V> {
 public:
  SinkNode(std::string name, std::string topic, bool internal)
      : NodeBase(std::move(name)), topic_(std::move(topic)), internal_(internal) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    resolved_ = task.resolve_topic(topic_, internal_);
  }
  void process(const Record<K, V>& r) override { write(task(), r.key, &r.value, r); }

  // Sends `key` and `*value` (null: a tombstone) with `r`'s timestamp and
  // headers.
  template <class R>
  void write(TaskContext& task, const K& key, const V* value, const R& r) {
    OutgoingRecord out{resolved_, std::nullopt, std::nullopt, r.timestamp, &r.headers};
    if (!serde_is_null(key)) {
      KS::serialize(key, key_);
      out.key = key_;
    }
    if (value && !serde_is_null(*value)) {
      VS::serialize(*value, value_);
      out.value = value_;
    }
    task.send(out);
  }

 private:
  std::string topic_;
  bool internal_;
  std::string resolved_;
  std::string key_, value_;  // reused buffers
};

// Writes a table's changes: the new value, or a tombstone for a deletion.
template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
class TableSinkNode final : public NodeBase, public Input<K, Change<V>> {
 public:
  TableSinkNode(std::string name, std::string topic, bool internal)
      : NodeBase(name), sink_(std::move(name), std::move(topic), internal) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    sink_.init(task);
  }
  void process(const Record<K, Change<V>>& r) override {
    sink_.write(task(), r.key, r.value.new_value ? &*r.value.new_value : nullptr, r);
  }

 private:
  SinkNode<K, V, KS, VS> sink_;
};

}  // namespace brook
