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

  void init(TaskContext& task) override {
    NodeBase::init(task);
    state::KeyValueBytesStore& store = task.store(store_name_);
    store_.emplace(store);
    cached_ = store.as_cache();
    if (cached_) {
      cached_->set_flush_listener([this](std::string_view k, const std::string_view* v) {
        Record<K, Change<VA>> out{};
        if (!KS::deserialize(k.data(), k.size(), out.key)) return;
        if (v) {
          VA agg{};
          if (!VS::deserialize(v->data(), v->size(), agg)) return;
          out.value.new_value = std::move(agg);
        }
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
    VA aggregate = folder_(r.key, r.value, store_->get(r.key));
    store_->put(r.key, aggregate);
    this->forward(
        Record<K, Change<VA>>{r.key, Change<VA>{std::move(aggregate)}, r.timestamp, r.headers});
  }

 private:
  std::string store_name_;
  Folder folder_;
  std::optional<KeyValueStore<K, VA, KS, VS>> store_;
  state::CachingStore* cached_ = nullptr;
};

}  // namespace brook::operators
