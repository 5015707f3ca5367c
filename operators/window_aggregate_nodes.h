// The windowed aggregations behind windowed_by(...).count / reduce /
// aggregate, with Kafka Streams' semantics: KStreamWindowAggregate
// (TimeWindows), KStreamSlidingWindowAggregate (SlidingWindows) and
// KStreamSessionWindowAggregate (SessionWindows). Each keeps its aggregates in
// a window or session store view, drops (and counts, as
// dropped-records-total) records whose window closed — window end + grace at
// or before the stream time the node has seen, which starts at its task's
// (restored) stream time — and forwards Change<VA> keyed by Windowed<K>: at
// once without a record cache, else when the cache flushes.
//
// Time-window aggregates are stored with their timestamp — the latest of the
// records in the window — which is also the timestamp they are forwarded
// with; session aggregates are forwarded with the session's end. One instance
// per task; not thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "brook/processor.h"
#include "brook/windows.h"
#include "state/caching_store.h"
#include "state/session_bytes_store.h"
#include "state/window_bytes_store.h"

namespace brook::operators {

// A value stored with its timestamp: 8 bytes big-endian, then the value's bytes.
struct TimestampedValue {
  static void encode(int64_t timestamp, std::string_view value, std::string& out) {
    out.clear();
    for (int i = 7; i >= 0; --i) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(timestamp) >> (8 * i)) & 0xff));
    }
    out.append(value);
  }
  static bool decode(std::string_view in, int64_t* timestamp, std::string_view* value) {
    if (in.size() < 8) return false;
    uint64_t t = 0;
    for (int i = 0; i < 8; ++i) t = (t << 8) | static_cast<unsigned char>(in[i]);
    *timestamp = static_cast<int64_t>(t);
    *value = in.substr(8);
    return true;
  }
};

// What the windowed aggregations share: the store view, the aggregate's
// (de)serialization with its timestamp, forwarding (at once or through the
// cache's flushes), late-record drops and the node's stream time.
// Folder: VA(const K&, const V&, std::optional<VA> current), nullopt for a new
// window. `window_end(start)`: a time window's end.
template <class K, class V, class VA, class Folder, class KS, class VS>
class WindowAggregateBase : public NodeBase,
                            public Input<K, V>,
                            public Emitter<Windowed<K>, Change<VA>> {
 public:
  struct Aggregate {
    VA value;
    int64_t timestamp;
  };

  WindowAggregateBase(std::string name, std::string store, Folder folder, int64_t grace_ms,
                      int64_t window_length_ms)
      : NodeBase(std::move(name)),
        store_name_(std::move(store)),
        folder_(std::move(folder)),
        grace_ms_(grace_ms),
        window_length_ms_(window_length_ms) {}

  void enable_sending_old_values() override { send_old_values_ = true; }

  void init(TaskContext& task) override {
    NodeBase::init(task);
    windows_ = &task.window_store(store_name_);
    state::CachingStore* cache = task.record_cache(store_name_);
    cached_ = cache && cache->enabled();
    if (!cached_) return;
    // Forwarded when the cache flushes an entry (with its own timestamp).
    cache->set_change_listener(
        [this](std::string_view k, const std::string_view* v, const std::string_view* old) {
          std::string_view key;
          int64_t start;
          if (!state::WindowKeySchema::from_store_key(k, &key, &start)) return;
          Record<Windowed<K>, Change<VA>> out{};
          if (!KS::deserialize(key.data(), key.size(), out.key.key)) return;
          out.key.window = Window{start, start + window_length_ms_};
          std::optional<Aggregate> now = v ? decode(*v) : std::nullopt;
          if (now) out.value.new_value = std::move(now->value);
          if (send_old_values_ && old) {
            std::optional<Aggregate> before = decode(*old);
            if (before) out.value.old_value = std::move(before->value);
          }
          out.timestamp = now ? now->timestamp : this->task().record_time().timestamp;
          this->forward(out);
        });
  }

 protected:
  // Moves the node's stream time to the record's; returns the close time:
  // windows ending at or before it take no more records.
  int64_t observe(int64_t timestamp) { return observed_.advance(task(), timestamp) - grace_ms_; }
  bool null_key(const Record<K, V>& r) {
    if (!serde_is_null(r.key)) return false;
    task().on_dropped_record(name(), "null key");
    return true;
  }
  void drop_late(const Record<K, V>& r, const Window& w, int64_t close_time) {
    task().on_dropped_record(name(), "record at " + std::to_string(r.timestamp) +
                                         " for the closed window [" + std::to_string(w.start) +
                                         "," + std::to_string(w.end) + ") (stream time " +
                                         std::to_string(observed_.time) + ", grace " +
                                         std::to_string(grace_ms_) + " ms)");
  }

  // The record's key, serialized once per record.
  const std::string& key_bytes(const K& key) {
    KS::serialize(key, key_buf_);
    return key_buf_;
  }
  std::optional<Aggregate> fetch(std::string_view key, int64_t start) {
    if (!windows_->fetch(key, start, &value_buf_)) return std::nullopt;
    return decode(value_buf_);
  }
  // The windows of `key` starting in [from, to], in start order.
  std::vector<std::pair<int64_t, Aggregate>> fetch_range(std::string_view key, int64_t from,
                                                         int64_t to) {
    std::vector<std::pair<int64_t, Aggregate>> out;
    windows_->fetch(key, from, to, [&](std::string_view, int64_t start, std::string_view v) {
      std::optional<Aggregate> a = decode(v);
      if (a) out.emplace_back(start, std::move(*a));
      return true;
    });
    return out;
  }
  // Writes a window's aggregate and forwards the change (at once, or when
  // the cache flushes it).
  void put_and_forward(const K& key, std::string_view key_bytes, const Window& w,
                       const std::optional<VA>& old_value, const VA& value, int64_t timestamp) {
    VS::serialize(value, encoded_);
    TimestampedValue::encode(timestamp, encoded_, value_buf_);
    task().record_time().timestamp = timestamp;
    std::string_view stored = value_buf_;
    windows_->put(key_bytes, &stored, w.start);
    if (cached_) return;
    Record<Windowed<K>, Change<VA>> out{Windowed<K>{key, w}, {}, timestamp, {}};
    out.value.new_value = value;
    if (send_old_values_) out.value.old_value = old_value;
    this->forward(out);
  }
  // Folds the record into a window whose current aggregate is `current`
  // (nullopt: a new window) and writes it.
  void fold_into(const Record<K, V>& r, std::string_view key, const Window& w,
                 std::optional<Aggregate> current) {
    int64_t ts = current ? std::max(r.timestamp, current->timestamp) : r.timestamp;
    std::optional<VA> old;
    if (current) old = std::move(current->value);
    VA value = folder_(r.key, r.value, send_old_values_ ? old : std::move(old));
    put_and_forward(r.key, key, w, old, value, ts);
  }

  static std::optional<Aggregate> decode(std::string_view bytes) {
    int64_t ts;
    std::string_view v;
    if (!TimestampedValue::decode(bytes, &ts, &v)) return std::nullopt;
    Aggregate a{VA{}, ts};
    if (!VS::deserialize(v.data(), v.size(), a.value)) return std::nullopt;
    return a;
  }

  std::string store_name_;
  Folder folder_;
  int64_t grace_ms_;
  int64_t window_length_ms_;
  state::WindowBytesStore* windows_ = nullptr;
  bool cached_ = false;
  bool send_old_values_ = false;
  ObservedStreamTime observed_;
  std::string key_buf_, value_buf_, encoded_;
};

// TimeWindows (tumbling, hopping): Kafka Streams' KStreamWindowAggregate.
template <class K, class V, class VA, class Folder, class KS, class VS>
class KStreamWindowAggregate final : public WindowAggregateBase<K, V, VA, Folder, KS, VS> {
  using Base = WindowAggregateBase<K, V, VA, Folder, KS, VS>;

 public:
  KStreamWindowAggregate(std::string name, std::string store, Folder folder, TimeWindows windows)
      : Base(std::move(name), std::move(store), std::move(folder), windows.grace_ms,
             windows.size_ms),
        windows_def_(windows) {}

  void process(const Record<K, V>& r) override {
    if (this->null_key(r)) return;
    int64_t close_time = this->observe(r.timestamp);
    std::string key = this->key_bytes(r.key);
    for (const Window& w : windows_def_.windows_for(r.timestamp)) {
      if (w.end <= close_time) {
        this->drop_late(r, w, close_time);
        continue;
      }
      this->fold_into(r, key, w, this->fetch(key, w.start));
    }
  }

 private:
  TimeWindows windows_def_;
};

// SlidingWindows: Kafka Streams' KStreamSlidingWindowAggregate (the variant
// it runs over RocksDB, iterating windows backward): each record creates its left window [t - d, t]
// and, when a later record falls within d after it, its right window [t + 1, t + 1 + d], and
// updates every existing window it falls into.
template <class K, class V, class VA, class Folder, class KS, class VS>
class KStreamSlidingWindowAggregate final : public WindowAggregateBase<K, V, VA, Folder, KS, VS> {
  using Base = WindowAggregateBase<K, V, VA, Folder, KS, VS>;
  using Aggregate = typename Base::Aggregate;

 public:
  KStreamSlidingWindowAggregate(std::string name, std::string store, Folder folder,
                                SlidingWindows windows)
      : Base(std::move(name), std::move(store), std::move(folder), windows.grace_ms,
             windows.time_difference_ms),
        d_(windows.time_difference_ms) {}

  void process(const Record<K, V>& r) override {
    if (this->null_key(r)) return;
    int64_t close_time = this->observe(r.timestamp);
    const int64_t t = r.timestamp;
    if (t + d_ < close_time) {
      this->drop_late(r, Window{t, t + d_}, close_time);
      return;
    }
    std::string key = this->key_bytes(r.key);
    if (t < d_) {
      process_early(r, key, close_time);
      return;
    }
    std::set<int64_t> starts;
    std::optional<Aggregate> left_agg, right_agg;
    bool left_created = false, right_created = false;
    std::optional<int64_t> previous;
    // Latest window first, as Kafka Streams iterates (backward over RocksDB).
    auto found = this->fetch_range(key, std::max<int64_t>(0, t - 2 * d_), t + 1);
    for (auto it = found.rbegin(); it != found.rend(); ++it) {
      auto& [start, agg] = *it;
      starts.insert(start);
      int64_t end = start + d_;
      if (start == t + 1) {
        right_created = true;
      } else if (end > t) {
        if (!right_agg) right_agg = agg;
        update(r, key, Window{start, end}, agg, close_time);
      } else if (end == t) {
        left_created = true;
        update(r, key, Window{start, end}, agg, close_time);
        if (agg.timestamp >= t) return;  // every window it needs exists already
        previous = agg.timestamp;
      } else {
        left_agg = agg;
        previous = agg.timestamp;
        break;
      }
    }
    if (previous) {
      int64_t prev_right = *previous + 1;
      if (!starts.count(prev_right) && prev_right + d_ >= t) {
        update(r, key, Window{prev_right, prev_right + d_}, std::nullopt, close_time);
      }
    }
    if (!left_created) {
      std::optional<Aggregate> a;
      if (previous && t - d_ <= *previous) a = Aggregate{left_agg->value, t};
      update(r, key, Window{t - d_, t}, a, close_time);
    }
    if (!right_created && right_agg && right_agg->timestamp > t) {
      create_right(r, key, *right_agg);
    }
  }

 private:
  // 0 <= t < d: the record goes into the window [0, d] that holds every early
  // record (windows never start before 0).
  void process_early(const Record<K, V>& r, std::string_view key, int64_t close_time) {
    const int64_t t = r.timestamp;
    std::optional<std::pair<int64_t, Aggregate>> combined;
    std::optional<Aggregate> right_agg;
    bool right_created = false;
    std::set<int64_t> starts;
    std::optional<int64_t> previous;
    for (auto& [start, agg] : this->fetch_range(key, 0, t + 1)) {
      starts.insert(start);
      if (start == 0) {
        combined.emplace(start, agg);
        if (agg.timestamp < t) previous = agg.timestamp;
      } else if (start <= t) {
        right_agg = agg;
        update(r, key, Window{start, start + d_}, agg, close_time);
      } else if (start == t + 1) {
        right_created = true;
      }
    }
    if (!right_agg && combined && combined->second.timestamp > t) right_agg = combined->second;
    if (!right_created && right_agg && right_agg->timestamp > t) create_right(r, key, *right_agg);
    if (previous && !starts.count(*previous + 1)) {
      update(r, key, Window{*previous + 1, *previous + 1 + d_}, std::nullopt, close_time);
    }
    if (!combined) {
      update(r, key, Window{0, d_}, std::nullopt, close_time);
    } else {
      update(r, key, Window{0, d_}, combined->second, close_time);
    }
  }
  // The record's right window, holding what the later records gave `agg`.
  void create_right(const Record<K, V>& r, std::string_view key, const Aggregate& agg) {
    Window w{r.timestamp + 1, r.timestamp + 1 + d_};
    this->put_and_forward(r.key, key, w, std::nullopt, agg.value, agg.timestamp);
  }
  void update(const Record<K, V>& r, std::string_view key, const Window& w,
              std::optional<Aggregate> current, int64_t close_time) {
    if (w.end < close_time) {
      this->drop_late(r, w, close_time);
      return;
    }
    this->fold_into(r, key, w, std::move(current));
  }

  int64_t d_;
};

// SessionWindows: Kafka Streams' KStreamSessionWindowAggregate. A record at t
// merges every session of its key within the gap of t into one: the merged
// sessions are forwarded as deleted, the new one with their aggregates
// merged and the record folded in. Folder as for time windows; Merger:
// VA(const K&, std::optional<VA> aggregate, const VA& session's).
template <class K, class V, class VA, class Folder, class Merger, class KS, class VS>
class KStreamSessionWindowAggregate final : public NodeBase,
                                            public Input<K, V>,
                                            public Emitter<Windowed<K>, Change<VA>> {
 public:
  KStreamSessionWindowAggregate(std::string name, std::string store, Folder folder, Merger merger,
                                SessionWindows windows)
      : NodeBase(std::move(name)),
        store_name_(std::move(store)),
        folder_(std::move(folder)),
        merger_(std::move(merger)),
        windows_def_(windows) {}

  void enable_sending_old_values() override { send_old_values_ = true; }

  void init(TaskContext& task) override {
    NodeBase::init(task);
    sessions_ = &task.session_store(store_name_);
    state::CachingStore* cache = task.record_cache(store_name_);
    cached_ = cache && cache->enabled();
    if (!cached_) return;
    cache->set_change_listener(
        [this](std::string_view k, const std::string_view* v, const std::string_view* old) {
          std::string_view key;
          state::SessionWindow w;
          if (!state::SessionKeySchema::from_store_key(k, &key, &w)) return;
          Record<Windowed<K>, Change<VA>> out{};
          if (!KS::deserialize(key.data(), key.size(), out.key.key)) return;
          out.key.window = Window{w.start, w.end};
          if (v && !decode(*v, out.value.new_value)) return;
          if (send_old_values_ && old) decode(*old, out.value.old_value);
          out.timestamp = w.end;
          this->forward(out);
        });
  }

  void process(const Record<K, V>& r) override {
    if (serde_is_null(r.key)) {
      task().on_dropped_record(name(), "null key");
      return;
    }
    const int64_t t = r.timestamp;
    int64_t close_time = observed_.advance(task(), t) - windows_def_.grace_ms - windows_def_.gap_ms;
    KS::serialize(r.key, key_buf_);
    struct Found {
      state::SessionWindow window;
      VA value;
    };
    std::vector<Found> merged;
    state::SessionWindow session{t, t};
    std::optional<VA> agg;
    sessions_->find_sessions(
        key_buf_, t - windows_def_.gap_ms, t + windows_def_.gap_ms,
        [&](std::string_view, const state::SessionWindow& w, std::string_view v) {
          Found f{w, VA{}};
          if (!VS::deserialize(v.data(), v.size(), f.value)) return true;
          agg = merger_(r.key, std::move(agg), f.value);
          session.start = std::min(session.start, w.start);
          session.end = std::max(session.end, w.end);
          merged.push_back(std::move(f));
          return true;
        });
    if (session.end < close_time) {
      task().on_dropped_record(
          name(), "record at " + std::to_string(t) + " for the closed session [" +
                      std::to_string(session.start) + "," + std::to_string(session.end) +
                      "] (stream time " + std::to_string(observed_.time) + ")");
      return;
    }
    if (session != state::SessionWindow{t, t}) {
      for (Found& f : merged) {
        task().record_time().timestamp = f.window.end;
        sessions_->put(key_buf_, f.window, nullptr);
        if (!cached_) emit(r.key, f.window, std::nullopt, std::move(f.value));
      }
    }
    VA value = folder_(r.key, r.value, std::move(agg));
    VS::serialize(value, value_buf_);
    std::string_view stored = value_buf_;
    task().record_time().timestamp = session.end;
    sessions_->put(key_buf_, session, &stored);
    if (!cached_) emit(r.key, session, std::move(value), std::nullopt);
  }

 private:
  void emit(const K& key, const state::SessionWindow& w, std::optional<VA> now,
            std::optional<VA> before) {
    Record<Windowed<K>, Change<VA>> out{Windowed<K>{key, Window{w.start, w.end}}, {}, w.end, {}};
    out.value.new_value = std::move(now);
    if (send_old_values_) out.value.old_value = std::move(before);
    this->forward(out);
  }
  static bool decode(std::string_view bytes, std::optional<VA>& out) {
    VA v{};
    if (!VS::deserialize(bytes.data(), bytes.size(), v)) return false;
    out = std::move(v);
    return true;
  }

  std::string store_name_;
  Folder folder_;
  Merger merger_;
  SessionWindows windows_def_;
  state::SessionBytesStore* sessions_ = nullptr;
  bool cached_ = false;
  bool send_old_values_ = false;
  ObservedStreamTime observed_;
  std::string key_buf_, value_buf_;
};

}  // namespace brook::operators
