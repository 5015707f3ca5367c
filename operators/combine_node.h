// KStreamCombine: the map-side half of a combined reduce (see Combine in
// dsl_options.h). Sits between a key-changing operation and the repartition
// sink; folds each key's records into one partial result with the reduce's
// reducer and forwards the partials, in the order their keys first arrived, on
// flush (each commit, and before a clean close), when its wall clock has moved
// `max_delay_ms` past its first tick or last timed flush, or when it holds
// `max_keys` keys.
// Keys are told apart by their bytes under KS, the repartition topic's key
// serde, so any key type with a serde works. A null key passes straight
// through (the aggregation drops it). One instance per task; not thread-safe.
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "brook/dsl_options.h"
#include "brook/processor.h"

namespace brook::operators {

// Reducer: V operator()(V aggregate, const V& value), associative.
template <class K, class V, class Reducer, class KS>
class KStreamCombine final : public NodeBase, public Input<K, V>, public Emitter<K, V> {
 public:
  KStreamCombine(std::string name, Reducer reducer, Combine options)
      : NodeBase(std::move(name)), reducer_(std::move(reducer)), options_(options) {}

  void process(const Record<K, V>& r) override {
    if (serde_is_null(r.key)) {
      this->forward(r);
      return;
    }
    key_bytes_.clear();
    KS::serialize(r.key, key_bytes_);
    auto [it, inserted] = index_.try_emplace(key_bytes_, partials_.size());
    if (inserted) {
      partials_.push_back(Record<K, V>{r.key, r.value, r.timestamp, {}});
      if (partials_.size() >= options_.max_keys) flush();
      return;
    }
    Record<K, V>& partial = partials_[it->second];
    partial.value = reducer_(std::move(partial.value), r.value);
    partial.timestamp = std::max(partial.timestamp, r.timestamp);
  }

  void flush() override {
    for (const Record<K, V>& partial : partials_) this->forward(partial);  // to the sink
    partials_.clear();
    index_.clear();
  }

  void on_wall_clock(int64_t now_ms) override {
    // The first tick starts the clock.
    if (last_timed_flush_ms_ == kNever) last_timed_flush_ms_ = now_ms;
    if (now_ms - last_timed_flush_ms_ < options_.max_delay_ms) return;
    last_timed_flush_ms_ = now_ms;
    if (!partials_.empty()) flush();
  }

 private:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::min();

  Reducer reducer_;
  Combine options_;
  std::vector<Record<K, V>> partials_;             // one per key, first-seen order
  std::unordered_map<std::string, size_t> index_;  // key bytes -> partials_ index
  std::string key_bytes_;                          // reused
  int64_t last_timed_flush_ms_ = kNever;
};

}  // namespace brook::operators
