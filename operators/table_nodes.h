// Tables: the source of builder.table(topic) (KTableSource), and how a join
// reads a table's current value for a key (TableGetter: from the store that
// materializes the table, through the filters and mappings that derive one
// table from another, as Kafka Streams' KTableValueGetter).
//
// A table source keeps each key's latest value with its timestamp (8 bytes,
// big-endian, then the value's bytes: TimestampedValue), and forwards each
// update as a Change — at once, or when the record cache flushes it. A null
// value deletes the key; a null key is dropped and counted. One instance per
// task; not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "brook/key_value_store.h"
#include "brook/processor.h"
#include "operators/stateless_nodes.h"
#include "operators/window_aggregate_nodes.h"

namespace brook::operators {

template <class V>
struct ValueAndTimestamp {
  V value;
  int64_t timestamp;  // -1 when the table's store keeps no timestamps
};

// A table's current value of a key, as a join looks it up.
template <class K, class V>
class TableGetter {
 public:
  virtual ~TableGetter() = default;
  virtual std::optional<ValueAndTimestamp<V>> get(const K& key) = 0;
};

// Makes a task's getter (called once per task, at the joining node's init).
template <class K, class V>
using GetterSupplier = std::function<std::unique_ptr<TableGetter<K, V>>(TaskContext&)>;

// Reads a table source's store: values with their timestamps.
template <class K, class V, class KS, class VS>
class TimestampedStoreGetter final : public TableGetter<K, V> {
 public:
  TimestampedStoreGetter(TaskContext& task, const std::string& store) : store_(task.store(store)) {}
  std::optional<ValueAndTimestamp<V>> get(const K& key) override {
    KS::serialize(key, key_);
    if (!store_.get(key_, &bytes_)) return std::nullopt;
    int64_t ts;
    std::string_view v;
    ValueAndTimestamp<V> out{V{}, 0};
    if (!TimestampedValue::decode(bytes_, &ts, &v) ||
        !VS::deserialize(v.data(), v.size(), out.value)) {
      throw state::StateStoreError("store '" + store_.name() + "' holds a value it cannot read");
    }
    out.timestamp = ts;
    return out;
  }

 private:
  state::KeyValueBytesStore& store_;
  std::string key_, bytes_;
};

// Reads an aggregation's store: values without timestamps.
template <class K, class V, class KS, class VS>
class PlainStoreGetter final : public TableGetter<K, V> {
 public:
  PlainStoreGetter(TaskContext& task, const std::string& store)
      : store_(task.store(store), task.record_cache(store)) {}
  std::optional<ValueAndTimestamp<V>> get(const K& key) override {
    std::optional<V> v = store_.get(key);
    if (!v) return std::nullopt;
    return ValueAndTimestamp<V>{std::move(*v), -1};
  }

 private:
  KeyValueStore<K, V, KS, VS> store_;
};

// A derived table's getter: the parent's value, filtered or mapped.
template <class K, class V, class V2, class F>
class MappedGetter final : public TableGetter<K, V2> {
 public:
  MappedGetter(std::unique_ptr<TableGetter<K, V>> parent, F f)
      : parent_(std::move(parent)), f_(std::move(f)) {}
  std::optional<ValueAndTimestamp<V2>> get(const K& key) override {
    std::optional<ValueAndTimestamp<V>> v = parent_->get(key);
    if (!v) return std::nullopt;
    std::optional<V2> mapped = f_(key, std::move(v->value));
    if (!mapped) return std::nullopt;
    return ValueAndTimestamp<V2>{std::move(*mapped), v->timestamp};
  }

 private:
  std::unique_ptr<TableGetter<K, V>> parent_;
  F f_;
};

// What a node materializing a table does (KTableSource, KStreamToTable): keep
// each key's latest value with its timestamp (TimestampedValue) in its store,
// and forward each change — at once, or when the record cache flushes it.
template <class K, class V, class KS, class VS>
class TimestampedTable {
 public:
  void init(TaskContext& task, const std::string& store_name, Emitter<K, Change<V>>& out) {
    task_ = &task;
    out_ = &out;
    store_ = &task.store(store_name);
    state::CachingStore* cache = task.record_cache(store_name);
    cached_ = cache && cache->enabled();
    if (!cached_) return;
    cache->set_change_listener(
        [this](std::string_view k, const std::string_view* v, const std::string_view* old) {
          Record<K, Change<V>> r{};
          if (!KS::deserialize(k.data(), k.size(), r.key)) return;
          int64_t ts = task_->record_time().timestamp;
          if (v) decode(*v, &r.value.new_value, &ts);
          int64_t old_ts;
          if (send_old_values_ && old) decode(*old, &r.value.old_value, &old_ts);
          r.timestamp = ts;
          out_->forward(r);
        });
  }
  void enable_sending_old_values() { send_old_values_ = true; }

  // The key (`key_bytes` serialized) gets `r.value.new_value` (serialized:
  // `value_bytes`; none: deleted) at r.timestamp.
  void write(std::string_view key_bytes, std::string_view value_bytes, Record<K, Change<V>>& r) {
    if (!cached_ && send_old_values_ && store_->get(key_bytes, &bytes_)) {
      int64_t old_ts;
      decode(bytes_, &r.value.old_value, &old_ts);
    }
    task_->record_time().timestamp = r.timestamp;
    if (r.value.new_value) {
      TimestampedValue::encode(r.timestamp, value_bytes, bytes_);
      store_->put(key_bytes, bytes_);
    } else {
      store_->remove(key_bytes);
    }
    if (!cached_) out_->forward(r);
  }

 private:
  static void decode(std::string_view bytes, std::optional<V>* out, int64_t* ts) {
    std::string_view v;
    V value{};
    if (!TimestampedValue::decode(bytes, ts, &v) || !VS::deserialize(v.data(), v.size(), value)) {
      return;
    }
    *out = std::move(value);
  }

  TaskContext* task_ = nullptr;
  Emitter<K, Change<V>>* out_ = nullptr;
  state::KeyValueBytesStore* store_ = nullptr;
  bool cached_ = false;
  bool send_old_values_ = false;
  std::string bytes_;
};

// builder.table(topic): reads the topic as a table into its store.
template <class K, class V, class Extractor, class KS, class VS>
class KTableSource final : public SourceNodeBase, public Emitter<K, Change<V>> {
 public:
  KTableSource(std::string name, std::string store, Extractor extractor)
      : SourceNodeBase(std::move(name)),
        store_name_(std::move(store)),
        extractor_(std::move(extractor)) {}

  void enable_sending_old_values() override { table_.enable_sending_old_values(); }
  void init(TaskContext& task) override {
    NodeBase::init(task);
    table_.init(task, store_name_, *this);
  }

  int64_t process_raw(const RawRecord& raw) override {
    if (raw.key == nullptr) {
      task().on_dropped_record(name(), "null key");
      return -1;
    }
    Record<K, Change<V>> r{};
    if (!KS::deserialize(raw.key, raw.key_size, r.key)) {
      task().on_deserialization_error(raw, "key");
      return -1;
    }
    int64_t ts = raw.timestamp;
    if (raw.value) {
      V v{};
      if (!VS::deserialize(raw.value, raw.value_size, v)) {
        task().on_deserialization_error(raw, "value");
        return -1;
      }
      std::optional<int64_t> t = extract_timestamp(extractor_, r.key, v, raw.timestamp);
      if (!t || *t < 0) {
        task().on_dropped_record(name(),
                                 t ? "negative timestamp" : "no timestamp could be extracted");
        return -1;
      }
      ts = *t;
      r.value.new_value = std::move(v);
    }
    if (raw.headers) r.headers = *raw.headers;
    r.timestamp = ts;
    task().advance_stream_time(ts);
    table_.write(std::string_view(raw.key, raw.key_size),
                 raw.value ? std::string_view(raw.value, raw.value_size) : std::string_view(), r);
    return ts;
  }
  int64_t timestamp_of(const RawRecord& raw) override {
    if constexpr (std::is_same_v<Extractor, RecordTimestamp>) {
      return raw.timestamp;
    } else {
      K k{};
      V v{};
      if (!raw.value || !KS::deserialize(raw.key, raw.key_size, k) ||
          !VS::deserialize(raw.value, raw.value_size, v)) {
        return raw.timestamp;
      }
      std::optional<int64_t> t = extract_timestamp(extractor_, k, v, raw.timestamp);
      return t && *t >= 0 ? *t : raw.timestamp;
    }
  }

 private:
  std::string store_name_;
  Extractor extractor_;
  TimestampedTable<K, V, KS, VS> table_;
};

// KStream::to_table: each record the key's new value (a null value deletes
// the key), kept and forwarded as by a table source. A null key is dropped
// and counted.
template <class K, class V, class KS, class VS>
class KStreamToTable final : public NodeBase, public Input<K, V>, public Emitter<K, Change<V>> {
 public:
  KStreamToTable(std::string name, std::string store)
      : NodeBase(std::move(name)), store_name_(std::move(store)) {}

  void enable_sending_old_values() override { table_.enable_sending_old_values(); }
  void init(TaskContext& task) override {
    NodeBase::init(task);
    table_.init(task, store_name_, *this);
  }
  void process(const Record<K, V>& r) override {
    if (serde_is_null(r.key)) {
      task().on_dropped_record(name(), "null key");
      return;
    }
    KS::serialize(r.key, key_);
    Record<K, Change<V>> out{r.key, {}, r.timestamp, r.headers};
    if (!serde_is_null(r.value)) {
      VS::serialize(r.value, value_);
      out.value.new_value = r.value;
    }
    table_.write(key_, value_, out);
  }

 private:
  std::string store_name_;
  TimestampedTable<K, V, KS, VS> table_;
  std::string key_, value_;
};

}  // namespace brook::operators
