// The KTable processor nodes: they take and forward Change<V> (a key's new value,
// or a tombstone). One instance per task; not thread-safe.
#pragma once

#include "brook/processor.h"
#include "operators/stateless_nodes.h"

namespace brook::operators {

template <class K, class V>
class KTableToStream final : public NodeBase, public Input<K, Change<V>>, public Emitter<K, V> {
 public:
  using NodeBase::NodeBase;
  void process(const Record<K, Change<V>>& r) override {
    // Deletions have no value to put on a typed stream.
    if (!r.value.new_value) return;
    this->forward(Record<K, V>{r.key, *r.value.new_value, r.timestamp, r.headers});
  }
};

template <class K, class V, class V2, class F>
class KTableMapValues final : public NodeBase,
                              public Input<K, Change<V>>,
                              public Emitter<K, Change<V2>> {
 public:
  KTableMapValues(std::string name, F f) : NodeBase(std::move(name)), f_(std::move(f)) {}
  void process(const Record<K, Change<V>>& r) override {
    Record<K, Change<V2>> out{r.key, {}, r.timestamp, r.headers};
    if (r.value.new_value) out.value.new_value = call_value_fn(f_, r.key, *r.value.new_value);
    if (r.value.old_value) out.value.old_value = call_value_fn(f_, r.key, *r.value.old_value);
    this->forward(out);
  }

 private:
  F f_;
};

template <class K, class V, class P, bool keep>
class KTableFilter final : public NodeBase,
                           public Input<K, Change<V>>,
                           public Emitter<K, Change<V>> {
 public:
  KTableFilter(std::string name, P p) : NodeBase(std::move(name)), p_(std::move(p)) {}
  void enable_sending_old_values() override { send_old_values_ = true; }
  void process(const Record<K, Change<V>>& r) override {
    if (send_old_values_) {
      // With old values (as Kafka Streams' KTableFilter): each side as the
      // filtered table saw it; nothing when the key was absent before and after.
      Record<K, Change<V>> out{r.key, {}, r.timestamp, r.headers};
      if (r.value.new_value && passes(r.key, *r.value.new_value))
        out.value.new_value = r.value.new_value;
      if (r.value.old_value && passes(r.key, *r.value.old_value)) {
        out.value.old_value = r.value.old_value;
      }
      if (out.value.new_value || out.value.old_value) this->forward(out);
      return;
    }
    if (r.value.new_value && passes(r.key, *r.value.new_value)) {
      this->forward(r);
    } else {
      // Filtered out: the key is absent from the result table.
      this->forward(Record<K, Change<V>>{r.key, Change<V>{}, r.timestamp, r.headers});
    }
  }

 private:
  bool passes(const K& key, const V& value) { return static_cast<bool>(p_(key, value)) == keep; }
  P p_;
  bool send_old_values_ = false;
};

}  // namespace brook::operators
