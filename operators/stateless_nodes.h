// The DSL's stateless processor nodes, one class per operator, named input kind
// + operation as in Kafka Streams (KStreamMap, KStreamFilter, ...). Each is a
// template of the user's function type, so the per-record call is direct (no
// std::function). Instances belong to one task; not thread-safe.
#pragma once

#include <type_traits>
#include <utility>

#include "brook/processor.h"

namespace brook::operators {

// Calls f(value) or f(key, value), whichever f takes.
template <class F, class K, class V>
decltype(auto) call_value_fn(F& f, const K& key, const V& value) {
  if constexpr (std::is_invocable_v<F&, const K&, const V&>) {
    return f(key, value);
  } else {
    return f(value);
  }
}

template <class F, class K, class V>
using value_fn_result_t = std::remove_cvref_t<decltype(call_value_fn(
    std::declval<F&>(), std::declval<const K&>(), std::declval<const V&>()))>;

template <class K, class V, class K2, class V2, class F>
class KStreamMap final : public NodeBase, public Input<K, V>, public Emitter<K2, V2> {
 public:
  KStreamMap(std::string name, F f) : NodeBase(std::move(name)), f_(std::move(f)) {}
  void process(const Record<K, V>& r) override {
    auto kv = f_(r.key, r.value);
    out_.key = std::move(kv.key);
    out_.value = std::move(kv.value);
    out_.timestamp = r.timestamp;
    out_.headers = r.headers;
    this->forward(out_);
  }

 private:
  F f_;
  Record<K2, V2> out_{};  // reused: assignments keep the strings' capacity
};

template <class K, class V, class V2, class F>
class KStreamMapValues final : public NodeBase, public Input<K, V>, public Emitter<K, V2> {
 public:
  KStreamMapValues(std::string name, F f) : NodeBase(std::move(name)), f_(std::move(f)) {}
  void process(const Record<K, V>& r) override {
    out_.key = r.key;
    out_.value = call_value_fn(f_, r.key, r.value);
    out_.timestamp = r.timestamp;
    out_.headers = r.headers;
    this->forward(out_);
  }

 private:
  F f_;
  Record<K, V2> out_{};  // reused: assignments keep the strings' capacity
};

template <class K, class V, class K2, class F>
class KStreamSelectKey final : public NodeBase, public Input<K, V>, public Emitter<K2, V> {
 public:
  KStreamSelectKey(std::string name, F f) : NodeBase(std::move(name)), f_(std::move(f)) {}
  void process(const Record<K, V>& r) override {
    out_.key = f_(r.key, r.value);
    out_.value = r.value;
    out_.timestamp = r.timestamp;
    out_.headers = r.headers;
    this->forward(out_);
  }

 private:
  F f_;
  Record<K2, V> out_{};  // reused: assignments keep the strings' capacity
};

template <class K, class V, class K2, class V2, class F>
class KStreamFlatMap final : public NodeBase, public Input<K, V>, public Emitter<K2, V2> {
 public:
  KStreamFlatMap(std::string name, F f) : NodeBase(std::move(name)), f_(std::move(f)) {}
  void process(const Record<K, V>& r) override {
    for (auto&& kv : f_(r.key, r.value)) {
      this->forward(Record<K2, V2>{std::move(kv.key), std::move(kv.value), r.timestamp, r.headers});
    }
  }

 private:
  F f_;
};

template <class K, class V, class V2, class F>
class KStreamFlatMapValues final : public NodeBase, public Input<K, V>, public Emitter<K, V2> {
 public:
  KStreamFlatMapValues(std::string name, F f) : NodeBase(std::move(name)), f_(std::move(f)) {}
  void process(const Record<K, V>& r) override {
    for (auto&& v : call_value_fn(f_, r.key, r.value)) {
      this->forward(Record<K, V2>{r.key, std::move(v), r.timestamp, r.headers});
    }
  }

 private:
  F f_;
};

// filter (keep == true) and filter_not (keep == false).
template <class K, class V, class P, bool keep>
class KStreamFilter final : public NodeBase, public Input<K, V>, public Emitter<K, V> {
 public:
  KStreamFilter(std::string name, P p) : NodeBase(std::move(name)), p_(std::move(p)) {}
  void process(const Record<K, V>& r) override {
    if (static_cast<bool>(p_(r.key, r.value)) == keep) this->forward(r);
  }

 private:
  P p_;
};

// peek (forwards) and foreach (terminal: no children).
template <class K, class V, class F>
class KStreamPeek final : public NodeBase, public Input<K, V>, public Emitter<K, V> {
 public:
  KStreamPeek(std::string name, F f) : NodeBase(std::move(name)), f_(std::move(f)) {}
  void process(const Record<K, V>& r) override {
    f_(r.key, r.value);
    this->forward(r);
  }

 private:
  F f_;
};

// merge: several parents, records pass through unchanged.
template <class K, class V>
class KStreamPassThrough final : public NodeBase, public Input<K, V>, public Emitter<K, V> {
 public:
  using NodeBase::NodeBase;
  void process(const Record<K, V>& r) override { this->forward(r); }
};

}  // namespace brook::operators
