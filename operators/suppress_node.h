// KTableSuppress: suppress(Suppressed::until_window_closes()) — holds each
// window's latest update in a buffer store (changelogged, so it survives a
// restart or a move of the task) and forwards it once, when the stream time
// the node has seen passes the window's end + grace: one final result per
// window, never a partial one (Kafka Streams' KTableSuppressProcessor with
// an unbounded buffer). Under exactly-once the buffer's deletes and the
// forwarded results commit in the same transaction, so each final result is
// written exactly once. Deleted windows (tombstones) are not forwarded.
//
// The buffer's keys are the window end (8 bytes, big-endian, sign flipped)
// then the windowed key's bytes, so a scan from the start meets the windows
// in the order they close (then by key, as Kafka Streams' buffer); its values
// are the update's timestamp (8 bytes) then the value's bytes. One instance
// per task; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "brook/processor.h"
#include "brook/windows.h"
#include "state/time_segments.h"

namespace brook::operators {

template <class K, class V, class KS = Serde<Windowed<K>>, class VS = Serde<V>>
class KTableSuppress final : public NodeBase,
                             public Input<Windowed<K>, Change<V>>,
                             public Emitter<Windowed<K>, Change<V>> {
 public:
  KTableSuppress(std::string name, std::string store, int64_t grace_ms)
      : NodeBase(std::move(name)), store_name_(std::move(store)), grace_ms_(grace_ms) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    buffer_ = &task.store(store_name_);
  }

  void process(const Record<Windowed<K>, Change<V>>& r) override {
    observed_.advance(task(), r.timestamp);
    key_buf_.clear();
    state::TimeSegments::append_time(key_buf_, r.key.window.end);
    KS::serialize(r.key, serialized_);
    key_buf_.append(serialized_);
    value_buf_.clear();
    state::TimeSegments::append_time(value_buf_, r.timestamp);
    if (r.value.new_value) {
      VS::serialize(*r.value.new_value, serialized_);
      value_buf_.push_back('v');
      value_buf_.append(serialized_);
    } else {
      value_buf_.push_back('-');  // a deletion: kept so it replaces an earlier update
    }
    task().record_time().timestamp = r.timestamp;
    buffer_->put(key_buf_, value_buf_);
    if (r.key.window.end < min_end_) min_end_ = r.key.window.end;
    evict();
  }

 private:
  // Forwards (and deletes) every buffered window that closed.
  void evict() {
    int64_t expiry = observed_.time - grace_ms_;
    if (min_end_ != kUnknown && min_end_ > expiry) return;
    struct Due {
      std::string key;
      std::string value;
    };
    std::vector<Due> due;
    min_end_ = INT64_MAX;
    buffer_->for_each([&](std::string_view k, std::string_view v) {
      if (k.size() < 8) return true;
      int64_t end = state::TimeSegments::read_time(k);
      if (end > expiry) {
        min_end_ = end;
        return false;
      }
      due.push_back(Due{std::string(k), std::string(v)});
      return true;
    });
    for (const Due& d : due) {
      buffer_->remove(d.key);
      if (d.value.size() < 9 || d.value[8] != 'v') continue;  // a deletion: not forwarded
      Record<Windowed<K>, Change<V>> out{};
      std::string_view k(d.key);
      k.remove_prefix(8);
      V value{};
      if (!KS::deserialize(k.data(), k.size(), out.key) ||
          !VS::deserialize(d.value.data() + 9, d.value.size() - 9, value)) {
        continue;
      }
      out.value.new_value = std::move(value);
      out.timestamp = state::TimeSegments::read_time(d.value);
      task().record_time().timestamp = out.timestamp;
      this->forward(out);
    }
  }

  // min_end_ before the buffer was looked at (a restart restores it unseen).
  static constexpr int64_t kUnknown = INT64_MIN;

  std::string store_name_;
  int64_t grace_ms_;
  state::KeyValueBytesStore* buffer_ = nullptr;
  ObservedStreamTime observed_;
  int64_t min_end_ = kUnknown;  // the earliest window end buffered (INT64_MAX: none)
  std::string key_buf_, value_buf_, serialized_;
};

}  // namespace brook::operators
