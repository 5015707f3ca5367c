// The join nodes, with Kafka Streams' semantics: KStreamKTableJoin (a stream
// record looks up the table's current value; also the GlobalKTable join, with
// a key mapper), KTableKTableJoinSide (a change on one side looks up the
// other side's value), and the windowed stream-stream join
// (KStreamJoinWindow keeps each side's records in a window store,
// KStreamKStreamJoinSide looks up the other side's; left and outer results
// without a match wait in a shared store until the join window has closed,
// as Kafka Streams does since KIP-633).
//
// Joiners take the two values (or the key and the two values); a side that
// may be missing (left and outer joins) is passed as std::optional. One
// instance per task; not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brook/processor.h"
#include "brook/windows.h"
#include "operators/table_nodes.h"

namespace brook::operators {

// Calls joiner(key, a, b) or joiner(a, b).
template <class J, class K, class A, class B>
decltype(auto) call_joiner(J& j, const K& key, A&& a, B&& b) {
  if constexpr (std::is_invocable_v<J&, const K&, A, B>) {
    return j(key, std::forward<A>(a), std::forward<B>(b));
  } else {
    return j(std::forward<A>(a), std::forward<B>(b));
  }
}

enum class JoinType { kInner, kLeft, kOuter };

// The joiner called on (left, right) as the join type passes them: both
// values (inner), the left one and the right as std::optional (left), both as
// std::optional (outer). A value the type needs must be there.
template <JoinType type, class J, class K, class L, class R>
decltype(auto) join_values(J& joiner, const K& key, const std::optional<L>& l,
                           const std::optional<R>& r) {
  if constexpr (type == JoinType::kInner) {
    if (!l || !r) throw std::logic_error("an inner join without both values");
    return call_joiner(joiner, key, *l, *r);
  } else if constexpr (type == JoinType::kLeft) {
    if (!l) throw std::logic_error("a left join without a left value");
    return call_joiner(joiner, key, *l, r);
  } else {
    return call_joiner(joiner, key, l, r);
  }
}

// join_values with this side's value and the other's, in (left, right) order.
template <JoinType type, bool this_left, class J, class K, class T, class O>
decltype(auto) join_sides(J& joiner, const K& key, const std::optional<T>& mine,
                          const std::optional<O>& other) {
  if constexpr (this_left) {
    return join_values<type>(joiner, key, mine, other);
  } else {
    return join_values<type>(joiner, key, other, mine);
  }
}

// A stream joined with a table (Mapper: the key to look up, identity for a
// KTable, the key mapper for a GlobalKTable). Inner: only records whose key
// the table holds; left: every record, with nullopt when the table has none.
// A record with a null key joins nothing (a left join still forwards it), and
// a null value is dropped; both are counted.
template <class K, class V, class KT, class VT, class VR, class Mapper, class Joiner, bool left>
class KStreamKTableJoin final : public NodeBase, public Input<K, V>, public Emitter<K, VR> {
 public:
  KStreamKTableJoin(std::string name, GetterSupplier<KT, VT> table, Mapper mapper, Joiner joiner)
      : NodeBase(std::move(name)),
        supplier_(std::move(table)),
        mapper_(std::move(mapper)),
        joiner_(std::move(joiner)) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    table_ = supplier_(task);
  }

  void process(const Record<K, V>& r) override {
    if (serde_is_null(r.value)) {
      task().on_dropped_record(name(), "null value: nothing to join");
      return;
    }
    // As Kafka Streams 4: the mapper sees every record (a GlobalKTable's key
    // may come from the value); a left join keeps a record without a join key
    // (its own key null, or none mapped), joined with nothing.
    KT key = mapper_(r.key, r.value);
    bool no_key = serde_is_null(key);
    if (no_key && !left) {
      task().on_dropped_record(name(), "null join key");
      return;
    }
    std::optional<ValueAndTimestamp<VT>> found;
    if (!no_key) found = table_->get(key);
    if constexpr (left) {
      emit(r, found ? std::optional<VT>(std::move(found->value)) : std::nullopt);
    } else {
      if (found) emit(r, std::move(found->value));
    }
  }

 private:
  template <class T>
  void emit(const Record<K, V>& r, T&& table_value) {
    this->forward(Record<K, VR>{r.key, call_joiner(joiner_, r.key, r.value, table_value),
                                r.timestamp, r.headers});
  }

  GetterSupplier<KT, VT> supplier_;
  std::unique_ptr<TableGetter<KT, VT>> table_;
  Mapper mapper_;
  Joiner joiner_;
};

// One side of a table-table join: a change of this side's table joined with
// the other side's current value (Kafka Streams' KTableKTableInnerJoin,
// KTableKTableLeftJoin, KTableKTableRightJoin — the right side of a left join
// — and KTableKTableOuterJoin). The joiner always takes (left, right).
// `this_left`: this side is the join's left.
template <class K, class VThis, class VOther, class VR, class Joiner, JoinType type, bool this_left>
class KTableKTableJoinSide final : public NodeBase,
                                   public Input<K, Change<VThis>>,
                                   public Emitter<K, Change<VR>> {
 public:
  KTableKTableJoinSide(std::string name, GetterSupplier<K, VOther> other, Joiner joiner)
      : NodeBase(std::move(name)), supplier_(std::move(other)), joiner_(std::move(joiner)) {}

  void enable_sending_old_values() override { send_old_values_ = true; }
  void init(TaskContext& task) override {
    NodeBase::init(task);
    other_ = supplier_(task);
  }

  void process(const Record<K, Change<VThis>>& r) override {
    if (serde_is_null(r.key)) {
      task().on_dropped_record(name(), "null key");
      return;
    }
    std::optional<ValueAndTimestamp<VOther>> other = other_->get(r.key);
    const std::optional<VThis>& now = r.value.new_value;
    const std::optional<VThis>& before = r.value.old_value;
    // Whether this side's value may be missing from a result, and the other's.
    constexpr bool this_optional =
        type == JoinType::kOuter || (type == JoinType::kLeft && !this_left);
    constexpr bool other_optional =
        type == JoinType::kOuter || (type == JoinType::kLeft && this_left);
    int64_t ts = r.timestamp;
    if (!other) {
      if constexpr (!other_optional) {
        return;
      } else {
        if (!now && !before) return;
      }
    } else {
      ts = std::max(r.timestamp, other->timestamp);
    }
    std::optional<VOther> other_value;
    if (other) other_value = std::move(other->value);
    Record<K, Change<VR>> out{r.key, {}, ts, r.headers};
    auto join = [&](const std::optional<VThis>& mine) -> std::optional<VR> {
      if (!mine && !this_optional) return std::nullopt;
      if (!mine && !other_value) return std::nullopt;
      return join_sides<type, this_left>(joiner_, r.key, mine, other_value);
    };
    out.value.new_value = join(now);
    if (send_old_values_) out.value.old_value = join(before);
    this->forward(out);
  }

 private:
  GetterSupplier<K, VOther> supplier_;
  std::unique_ptr<TableGetter<K, VOther>> other_;
  Joiner joiner_;
  bool send_old_values_ = false;
};

// The value getter of a table-table join's result: both sides' values,
// joined as the join type says; the later timestamp of the two.
template <class K, class VL, class VR2, class VR, class Joiner, JoinType type>
class KTableKTableJoinGetter final : public TableGetter<K, VR> {
 public:
  KTableKTableJoinGetter(std::unique_ptr<TableGetter<K, VL>> left,
                         std::unique_ptr<TableGetter<K, VR2>> right, Joiner joiner)
      : left_(std::move(left)), right_(std::move(right)), joiner_(std::move(joiner)) {}
  std::optional<ValueAndTimestamp<VR>> get(const K& key) override {
    auto l = left_->get(key);
    auto r = right_->get(key);
    int64_t ts = std::max(l ? l->timestamp : -1, r ? r->timestamp : -1);
    std::optional<VL> lv;
    std::optional<VR2> rv;
    if (l) lv = std::move(l->value);
    if (r) rv = std::move(r->value);
    bool held = type == JoinType::kInner  ? lv && rv
                : type == JoinType::kLeft ? lv.has_value()
                                          : lv || rv;
    if (!held) return std::nullopt;
    return ValueAndTimestamp<VR>{join_values<type>(joiner_, key, lv, rv), ts};
  }

 private:
  std::unique_ptr<TableGetter<K, VL>> left_;
  std::unique_ptr<TableGetter<K, VR2>> right_;
  Joiner joiner_;
};

// Forwards what it takes (the merge point of a join's two sides).
template <class K, class V>
class PassThrough final : public NodeBase, public Input<K, V>, public Emitter<K, V> {
 public:
  using NodeBase::NodeBase;
  void process(const Record<K, V>& r) override { this->forward(r); }
};

// --- The windowed stream-stream join ---------------------------------------

// What both sides of one stream-stream join share in a task: the largest
// timestamp either side has seen, and the earliest time in the outer store.
struct JoinTimeTracker {
  int64_t stream_time = -1;
  int64_t min_time = INT64_MAX;
};

// Forwards each record, then keeps it (a non-null key) in its side's window
// store, every record of a key and time (sequence numbers tell them apart).
template <class K, class V, class KS, class VS>
class KStreamJoinWindow final : public NodeBase, public Input<K, V>, public Emitter<K, V> {
 public:
  KStreamJoinWindow(std::string name, std::string store)
      : NodeBase(std::move(name)), store_name_(std::move(store)) {}
  void init(TaskContext& task) override {
    NodeBase::init(task);
    window_ = &task.window_store(store_name_);
  }
  void process(const Record<K, V>& r) override {
    this->forward(r);
    if (serde_is_null(r.key)) return;
    KS::serialize(r.key, key_);
    VS::serialize(r.value, value_);
    std::string_view v = value_;
    task().record_time().timestamp = r.timestamp;
    seq_ = (seq_ + 1) & 0x7fffffff;
    window_->put(key_, &v, r.timestamp, seq_);
  }

 private:
  std::string store_name_;
  state::WindowBytesStore* window_ = nullptr;
  uint32_t seq_ = 0;
  std::string key_, value_;
};

// The outer store's layout: key [time 8][side 1: 0 right, 1 left][key bytes],
// value: the side's values, each 4-byte length then bytes (every unmatched
// record of that key, side and time, in arrival order).
struct OuterJoinKey {
  static std::string make(int64_t time, bool left, std::string_view key) {
    std::string out;
    state::TimeSegments::append_time(out, time);
    out.push_back(left ? '\1' : '\0');
    out.append(key);
    return out;
  }
};

// One side of a stream-stream join. This side's record meets every record
// of the other side's window store with the same key and a time in
// [t - before, t + after] (the window as seen from this side); each match is
// forwarded with the later of the two timestamps. Left and outer: a record
// that met nothing waits in the outer store until no record of the other
// side can meet it any more (its window closed: stream time past
// t + after + grace), then is forwarded with nullopt for the other side —
// or at once when it arrives after that already.
template <class K, class VThis, class VOther, class VR, class Joiner, class KS, class VThisS,
          class VOtherS, JoinType type, bool this_left>
class KStreamKStreamJoinSide final : public NodeBase,
                                     public Input<K, VThis>,
                                     public Emitter<K, VR> {
  // Whether this side's unmatched records are forwarded.
  static constexpr bool outer = type == JoinType::kOuter || (type == JoinType::kLeft && this_left);

 public:
  // `before`/`after`: the window as seen from this side; `windows_before`
  // and `windows_after`: as JoinWindows has them (seen from the left).
  // `shared`: the key both sides of the join share their time under.
  KStreamKStreamJoinSide(std::string name, std::string other_store, std::string outer_store,
                         std::string shared, int64_t before, int64_t after, int64_t windows_before,
                         int64_t windows_after, int64_t grace, Joiner joiner)
      : NodeBase(std::move(name)),
        other_store_(std::move(other_store)),
        outer_store_name_(std::move(outer_store)),
        shared_(std::move(shared)),
        before_(before),
        after_(after),
        windows_before_(windows_before),
        windows_after_(windows_after),
        grace_(grace),
        joiner_(std::move(joiner)) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    other_ = &task.window_store(other_store_);
    if (!outer_store_name_.empty()) outer_store_ = &task.store(outer_store_name_);
    tracker_ = task.shared_state<JoinTimeTracker>(shared_);
  }

  void process(const Record<K, VThis>& r) override {
    const int64_t t = r.timestamp;
    tracker_->stream_time = std::max(tracker_->stream_time, t);
    if constexpr (outer) {
      if (serde_is_null(r.key) && !serde_is_null(r.value)) {
        emit_unmatched(r.key, std::optional<VThis>(r.value), t, r.headers);
        return;
      }
    }
    if (serde_is_null(r.key) || serde_is_null(r.value)) {
      task().on_dropped_record(name(), "null key or value");
      return;
    }
    if (outer_store_ && t == tracker_->stream_time) emit_closed_outer_records(r.headers);
    int64_t from = std::max<int64_t>(0, t - before_);
    int64_t to = std::max<int64_t>(0, t + after_);
    KS::serialize(r.key, key_);
    struct Match {
      int64_t time;
      VOther value;
    };
    std::vector<Match> matches;
    other_->fetch(key_, from, to, [&](std::string_view, int64_t time, std::string_view v) {
      Match m{time, VOther{}};
      if (VOtherS::deserialize(v.data(), v.size(), m.value)) matches.push_back(std::move(m));
      return true;
    });
    for (Match& m : matches) {
      if (outer_store_) {
        // The other side's records of that time met this one: no longer unmatched.
        std::string k = OuterJoinKey::make(m.time, !this_left, key_);
        if (outer_store_->get(k, &value_)) outer_store_->remove(k);
      }
      Record<K, VR> out{r.key,
                        join(r.key, std::optional<VThis>(r.value), std::optional<VOther>(m.value)),
                        std::max(t, m.time), r.headers};
      this->forward(out);
    }
    if (outer && matches.empty()) {
      if (!outer_store_ || to < tracker_->stream_time) {
        emit_unmatched(r.key, std::optional<VThis>(r.value), t, r.headers);
      } else {
        tracker_->min_time = std::min(tracker_->min_time, t);
        std::string k = OuterJoinKey::make(t, this_left, key_);
        std::string list;
        outer_store_->get(k, &list);
        VThisS::serialize(r.value, value_);
        append_entry(list, value_);
        task().record_time().timestamp = t;
        outer_store_->put(k, list);
      }
    }
  }

 private:
  VR join(const K& key, const std::optional<VThis>& mine, const std::optional<VOther>& other) {
    return join_sides<type, this_left>(joiner_, key, mine, other);
  }
  void emit_unmatched(const K& key, const std::optional<VThis>& mine, int64_t t,
                      const Headers& headers) {
    this->forward(Record<K, VR>{key, join(key, mine, std::nullopt), t, headers});
  }
  static void append_entry(std::string& list, std::string_view value) {
    uint32_t n = static_cast<uint32_t>(value.size());
    state::TimeSegments::append_u32(list, n);
    list.append(value);
  }

  // Forwards the unmatched records (of either side) whose window has closed,
  // earliest first, and deletes them.
  void emit_closed_outer_records(const Headers& headers) {
    JoinTimeTracker& tt = *tracker_;
    if (tt.min_time + after_ + grace_ >= tt.stream_time) return;
    tt.min_time = INT64_MAX;
    struct Due {
      std::string key;
      std::string list;
    };
    std::vector<Due> due;
    bool left_open = false, right_open = false;
    outer_store_->for_each([&](std::string_view k, std::string_view v) {
      if (k.size() < 9) return true;
      int64_t time = state::TimeSegments::read_time(k);
      bool left = k[8] != 0;
      tt.min_time = time;
      if (left_open && right_open) return false;
      int64_t look_back = left ? windows_after_ : windows_before_;
      if (tt.min_time + look_back + grace_ >= tt.stream_time) {
        (left ? left_open : right_open) = true;
        return true;
      }
      due.push_back(Due{std::string(k), std::string(v)});
      return true;
    });
    for (const Due& d : due) {
      int64_t time = state::TimeSegments::read_time(d.key);
      bool left = d.key[8] != 0;
      std::string_view kb(d.key);
      kb.remove_prefix(9);
      K key{};
      if (!KS::deserialize(kb.data(), kb.size(), key)) continue;
      std::string_view list(d.list);
      while (list.size() >= 4) {
        uint32_t n = state::TimeSegments::read_u32(list);
        list.remove_prefix(4);
        std::string_view value = list.substr(0, n);
        list.remove_prefix(std::min<size_t>(n, list.size()));
        Record<K, VR> out{key, {}, time, headers};
        if (left == this_left) {
          VThis v{};
          if (!VThisS::deserialize(value.data(), value.size(), v)) continue;
          out.value = join(key, std::optional<VThis>(std::move(v)), std::nullopt);
        } else {
          VOther v{};
          if (!VOtherS::deserialize(value.data(), value.size(), v)) continue;
          out.value = join(key, std::nullopt, std::optional<VOther>(std::move(v)));
        }
        this->forward(out);
      }
      outer_store_->remove(d.key);
    }
  }

  std::string other_store_;
  std::string outer_store_name_;
  std::string shared_;
  int64_t before_, after_, windows_before_, windows_after_, grace_;
  Joiner joiner_;
  state::WindowBytesStore* other_ = nullptr;
  state::KeyValueBytesStore* outer_store_ = nullptr;
  std::shared_ptr<JoinTimeTracker> tracker_;
  std::string key_, value_;
};

}  // namespace brook::operators
