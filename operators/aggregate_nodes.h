// KStreamAggregate: the stateful node behind reduce, aggregate and count. For
// each record it reads the key's aggregate from its store, folds the value in
// and writes it back (in place, when the record cache holds it), then forwards
// the new aggregate as a KTable change — at once when the store is not cached,
// or when the cache flushes (commit or eviction), so repeated updates of a key
// between commits are forwarded once, as in Kafka Streams. One instance per
// task; not thread-safe.
#pragma once

#include <optional>

#include "brook/key_value_store.h"
#include "brook/processor.h"
#include "state/caching_store.h"

namespace brook::operators {

// Folder: how a value meets the current aggregate (or its absence).
//   VA operator()(const K& key, const V& value, std::optional<VA> current)
// KS and VS: the store's serdes.
template <class K, class V, class VA, class Folder, class KS = Serde<K>, class VS = Serde<VA>>
class KStreamAggregate final : public NodeBase, public Input<K, V>, public Emitter<K, Change<VA>> {
 public:
  KStreamAggregate(std::string name, std::string store, Folder folder)
      : NodeBase(std::move(name)), store_name_(std::move(store)), folder_(std::move(folder)) {}

  // Changes carry the aggregate's previous value too (what a table-table join
  // or a regrouping needs), at the price of a copy per record, or of a store
  // lookup per cache flush.
  void enable_sending_old_values() override { send_old_values_ = true; }

  void init(TaskContext& task) override {
    NodeBase::init(task);
    cached_ = task.record_cache(store_name_);
    if (cached_ && !cached_->enabled()) cached_ = nullptr;
    store_.emplace(task.store(store_name_), cached_);
    if (cached_ && send_old_values_) {
      cached_->set_change_listener(
          [this](std::string_view k, const std::string_view* v, const std::string_view* old) {
            Record<K, Change<VA>> out{};
            if (!KS::deserialize(k.data(), k.size(), out.key)) return;
            if (v && !decode(*v, out.value.new_value)) return;
            if (old && !decode(*old, out.value.old_value)) return;
            out.timestamp = this->task().record_time().timestamp;
            this->forward(out);
          });
    } else if (cached_) {
      cached_->set_flush_listener([this](std::string_view k, const std::string_view* v) {
        Record<K, Change<VA>> out{};
        if (!KS::deserialize(k.data(), k.size(), out.key)) return;
        if (v && !decode(*v, out.value.new_value)) return;
        out.timestamp = this->task().record_time().timestamp;
        this->forward(out);
      });
    }
  }

  void process(const Record<K, V>& r) override {
    task().record_time().timestamp = r.timestamp;
    if (cached_) {
      // Forwarded when the cache flushes the key.
      store_->update(r.key, [&](std::optional<VA> current) {
        return folder_(r.key, r.value, std::move(current));
      });
      return;
    }
    Change<VA> change;
    std::optional<VA> current = store_->get(r.key);
    if (send_old_values_) change.old_value = current;
    change.new_value = folder_(r.key, r.value, std::move(current));
    store_->put(r.key, *change.new_value);
    this->forward(Record<K, Change<VA>>{r.key, std::move(change), r.timestamp, r.headers});
  }

 private:
  std::string store_name_;
  Folder folder_;
  std::optional<KeyValueStore<K, VA, KS, VS>> store_;
  state::CachingStore* cached_ = nullptr;
  bool send_old_values_ = false;

  static bool decode(std::string_view bytes, std::optional<VA>& out) {
    VA value{};
    if (!VS::deserialize(bytes.data(), bytes.size(), value)) return false;
    out = std::move(value);
    return true;
  }
};

}  // namespace brook::operators
