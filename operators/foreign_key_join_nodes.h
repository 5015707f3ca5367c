// The foreign-key table-table join (Kafka Streams' KIP-213), in four nodes
// and two internal topics:
//
//   left table ──► FkSubscriptionSender ──► subscription topic (keyed by the
//   foreign key, so co-partitioned with the right table)
//   subscription topic ──► FkSubscriptionReceiver: keeps who subscribes to
//   which foreign key (the subscription store), and answers with the right
//   table's value
//   right table ──► FkForeignTableJoin: a change of a right record answers
//   every left record subscribed to it
//   answers ──► response topic (keyed by the left key) ──► FkResponseJoin:
//   joins the answer with the left table's current value
//
// Each subscription carries a 128-bit hash of the left value it was sent for;
// an answer whose hash is not that of the left key's value now is stale (the
// value changed while the answer was on its way) and is dropped, so a result
// always joins the left value the table holds. Instructions and results as
// Kafka Streams' SubscriptionSendProcessorSupplier, SubscriptionReceive- and
// SubscriptionJoinProcessorSupplier (one node here), ForeignTableJoin- and
// ResponseJoinProcessorSupplier. One instance per task; not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "brook/processor.h"
#include "operators/join_nodes.h"
#include "operators/murmur3.h"
#include "operators/table_nodes.h"

namespace brook::operators {

// What the receiving side does with a subscription.
enum class FkInstruction : uint8_t {
  kDeleteAndPropagate = 0,    // unsubscribe; answer "no value" (the result goes)
  kDeleteNoPropagate = 1,     // unsubscribe; the subscription to the new key answers
  kPropagateNullIfNone = 2,   // subscribe; answer, with "no value" if none
  kPropagateOnlyIfValue = 3,  // subscribe; answer only if there is a value
};

// A hash as the internal topics carry it: whether there is one, then its 16
// bytes (big-endian halves).
inline void put_hash(const std::optional<Hash128>& h, std::string& out) {
  out.push_back(h ? 1 : 0);
  if (!h) return;
  for (uint64_t part : *h) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((part >> shift) & 0xff));
  }
}
inline bool get_hash(const char* data, size_t size, size_t* at, std::optional<Hash128>* out) {
  if (*at >= size) return false;
  bool has = data[(*at)++] != 0;
  out->reset();
  if (!has) return true;
  if (size - *at < 16) return false;
  Hash128 h{};
  for (uint64_t& part : h) {
    for (int i = 0; i < 8; ++i) part = (part << 8) | static_cast<uint8_t>(data[(*at)++]);
  }
  *out = h;
  return true;
}

// A left record's subscription to a foreign key: its instruction, the hash of
// the left value it was sent for (none: the value was deleted), the left key.
template <class K>
struct FkSubscription {
  FkInstruction instruction = FkInstruction::kPropagateNullIfNone;
  std::optional<Hash128> hash;
  K primary_key{};
};

// The right table's answer to a subscription: the hash it was sent for, and
// the foreign value (none: no right record).
template <class VO>
struct FkResponse {
  std::optional<Hash128> hash;
  std::optional<VO> foreign_value;
};

// Hash of a value's bytes as its serde writes them.
template <class V, class VS = Serde<V>>
Hash128 value_hash(const V& v, std::string& scratch) {
  VS::serialize(v, scratch);
  return murmur3_128(scratch);
}

// Calls the foreign-key extractor, f(value) or f(key, value), as an optional
// key: none when it gives none (a std::optional) or a null key.
template <class KO, class F, class K, class V>
std::optional<KO> extract_foreign_key(F& f, const K& key, const V& value) {
  auto fk = [&]() -> decltype(auto) {
    if constexpr (std::is_invocable_v<F&, const K&, const V&>) {
      return f(key, value);
    } else {
      return f(value);
    }
  }();
  if constexpr (requires { fk.has_value(); }) {
    if (!fk || serde_is_null(*fk)) return std::nullopt;
    return KO(std::move(*fk));
  } else {
    if (serde_is_null(fk)) return std::nullopt;
    return KO(std::move(fk));
  }
}

// Left side: each change of the left table becomes the subscriptions (at the
// old and the new foreign key) that keep the result right, as Kafka Streams
// 4.4 sends them. A left join subscribes with a null foreign key too (the
// answer: no value); an inner join drops a record without one (counted),
// taking back the result of the key it had before.
template <class K, class V, class KO, class F, bool left>
class FkSubscriptionSender final : public NodeBase,
                                   public Input<K, Change<V>>,
                                   public Emitter<std::optional<KO>, FkSubscription<K>> {
 public:
  FkSubscriptionSender(std::string name, F extractor)
      : NodeBase(std::move(name)), extractor_(std::move(extractor)) {}

  void process(const Record<K, Change<V>>& r) override {
    hash_.reset();
    hashed_ = false;
    const std::optional<V>& now = r.value.new_value;
    const std::optional<V>& before = r.value.old_value;
    auto fk_of = [&](const std::optional<V>& v) -> std::optional<KO> {
      if (!v) return std::nullopt;
      return extract_foreign_key<KO>(extractor_, r.key, *v);
    };
    using I = FkInstruction;
    std::optional<KO> old_fk = fk_of(before);
    if constexpr (left) {
      if (!before && !now) return;
      std::optional<KO> new_fk = fk_of(now);
      if (old_fk && !same_key(old_fk, new_fk)) send(r, old_fk, I::kDeleteNoPropagate);
      send(r, new_fk, I::kPropagateNullIfNone);
    } else {
      if (now) {
        std::optional<KO> new_fk = fk_of(now);
        if (!new_fk) {
          dropped();
          if (old_fk) send(r, old_fk, I::kDeleteAndPropagate);
        } else if (old_fk && !same_key(old_fk, new_fk)) {
          // A new foreign key: leave the old one quietly; the new one answers
          // even without a value, to take back the result the old one made.
          send(r, old_fk, I::kDeleteNoPropagate);
          send(r, new_fk, I::kPropagateNullIfNone);
        } else {
          send(r, new_fk, I::kPropagateOnlyIfValue);
        }
      } else if (old_fk) {
        send(r, old_fk, I::kDeleteAndPropagate);
      }
    }
  }

 private:
  bool same_key(const std::optional<KO>& a, const std::optional<KO>& b) {
    if (!a || !b) return !a && !b;
    Serde<KO>::serialize(*a, a_);
    Serde<KO>::serialize(*b, b_);
    return a_ == b_;
  }
  void send(const Record<K, Change<V>>& r, const std::optional<KO>& fk, FkInstruction instruction) {
    if (!hashed_) {
      if (r.value.new_value) hash_ = value_hash(*r.value.new_value, a_);
      hashed_ = true;
    }
    this->forward(Record<std::optional<KO>, FkSubscription<K>>{
        fk, FkSubscription<K>{instruction, hash_, r.key}, r.timestamp, r.headers});
  }
  void dropped() { task().on_dropped_record(name(), "null foreign key"); }

  F extractor_;
  std::optional<Hash128> hash_;
  bool hashed_ = false;
  std::string a_, b_;
};

// The subscription store's key: the foreign key's length (4 bytes,
// big-endian) and bytes, then the left key's bytes — so that one prefix scan
// finds every subscriber of a foreign key.
inline void fk_store_prefix(std::string_view foreign_key, std::string& out) {
  out.clear();
  uint32_t n = static_cast<uint32_t>(foreign_key.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(foreign_key);
}

// Right side: keeps the subscriptions, and answers each with the foreign
// value as its instruction says.
template <class K, class KO, class VO>
class FkSubscriptionReceiver final : public NodeBase,
                                     public Input<std::optional<KO>, FkSubscription<K>>,
                                     public Emitter<K, FkResponse<VO>> {
 public:
  FkSubscriptionReceiver(std::string name, std::string store, GetterSupplier<KO, VO> foreign)
      : NodeBase(std::move(name)), store_name_(std::move(store)), supplier_(std::move(foreign)) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    store_ = &task.store(store_name_);
    foreign_ = supplier_(task);
  }

  void process(const Record<std::optional<KO>, FkSubscription<K>>& r) override {
    using I = FkInstruction;
    const FkSubscription<K>& s = r.value;
    if (!r.key && s.instruction != I::kPropagateNullIfNone) {
      task().on_dropped_record(name(), "null foreign key");
      return;
    }
    std::optional<ValueAndTimestamp<VO>> found;
    if (r.key) {
      Serde<KO>::serialize(*r.key, bytes_);
      fk_store_prefix(bytes_, key_);
      Serde<K>::serialize(s.primary_key, bytes_);
      key_.append(bytes_);
      if (s.instruction == I::kDeleteAndPropagate || s.instruction == I::kDeleteNoPropagate) {
        store_->remove(key_);
      } else {
        Serde<FkSubscription<K>>::serialize(s, bytes_);
        TimestampedValue::encode(r.timestamp, bytes_, value_);
        store_->put(key_, value_);
      }
      found = foreign_->get(*r.key);
    }
    int64_t ts = found ? std::max(r.timestamp, found->timestamp) : r.timestamp;
    auto answer = [&](std::optional<VO> value) {
      this->forward(Record<K, FkResponse<VO>>{
          s.primary_key, FkResponse<VO>{s.hash, std::move(value)}, ts, r.headers});
    };
    switch (s.instruction) {
      case I::kDeleteAndPropagate:
        answer(std::nullopt);
        break;
      case I::kPropagateNullIfNone:
        answer(found ? std::optional<VO>(std::move(found->value)) : std::nullopt);
        break;
      case I::kPropagateOnlyIfValue:
        if (found) answer(std::move(found->value));
        break;
      case I::kDeleteNoPropagate:
        break;
    }
  }

 private:
  std::string store_name_;
  GetterSupplier<KO, VO> supplier_;
  state::KeyValueBytesStore* store_ = nullptr;
  std::unique_ptr<TableGetter<KO, VO>> foreign_;
  std::string key_, value_, bytes_;
};

// Right side: a change of a right record answers every left record
// subscribed to its key, with the new value (none: deleted), at the change's
// timestamp.
template <class K, class KO, class VO>
class FkForeignTableJoin final : public NodeBase,
                                 public Input<KO, Change<VO>>,
                                 public Emitter<K, FkResponse<VO>> {
 public:
  FkForeignTableJoin(std::string name, std::string store)
      : NodeBase(std::move(name)), store_name_(std::move(store)) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    store_ = &task.store(store_name_);
  }

  void process(const Record<KO, Change<VO>>& r) override {
    if (serde_is_null(r.key)) {
      task().on_dropped_record(name(), "null key");
      return;
    }
    Serde<KO>::serialize(r.key, bytes_);
    fk_store_prefix(bytes_, prefix_);
    // Collected first: forwarding may write to the store (never this one
    // today, but the scan forbids it).
    subscribers_.clear();
    store_->scan(state::KeyRange::prefix(prefix_), [&](std::string_view, std::string_view v) {
      int64_t ts;
      std::string_view bytes;
      FkSubscription<K> s;
      if (!TimestampedValue::decode(v, &ts, &bytes) ||
          !Serde<FkSubscription<K>>::deserialize(bytes.data(), bytes.size(), s)) {
        throw state::StateStoreError("store '" + store_name_ +
                                     "' holds a subscription it cannot read");
      }
      subscribers_.push_back(std::move(s));
      return true;
    });
    for (FkSubscription<K>& s : subscribers_) {
      this->forward(Record<K, FkResponse<VO>>{std::move(s.primary_key),
                                              FkResponse<VO>{s.hash, r.value.new_value},
                                              r.timestamp, r.headers});
    }
  }

 private:
  std::string store_name_;
  state::KeyValueBytesStore* store_ = nullptr;
  std::string bytes_, prefix_;
  std::vector<FkSubscription<K>> subscribers_;
};

// Left side: an answer joined with the left key's current value — dropped if
// that value is not the one the subscription was sent for. The result table
// is materialized (its store: values with timestamps), and a result without
// a value (an inner join without a match, the left value deleted) deletes
// the key.
template <class K, class V, class VO, class VR, class Joiner, bool left>
class FkResponseJoin final : public NodeBase,
                             public Input<K, FkResponse<VO>>,
                             public Emitter<K, Change<VR>> {
 public:
  FkResponseJoin(std::string name, GetterSupplier<K, V> table, Joiner joiner, std::string store)
      : NodeBase(std::move(name)),
        supplier_(std::move(table)),
        joiner_(std::move(joiner)),
        store_name_(std::move(store)) {}

  void enable_sending_old_values() override { table_.enable_sending_old_values(); }
  void init(TaskContext& task) override {
    NodeBase::init(task);
    this_ = supplier_(task);
    table_.init(task, store_name_, *this);
  }

  void process(const Record<K, FkResponse<VO>>& r) override {
    std::optional<ValueAndTimestamp<V>> current = this_->get(r.key);
    std::optional<Hash128> hash;
    if (current) hash = value_hash(current->value, bytes_);
    if (hash != r.value.hash) return;  // an answer for a value this key no longer has
    Record<K, Change<VR>> out{r.key, {}, r.timestamp, r.headers};
    const std::optional<VO>& foreign = r.value.foreign_value;
    if (current && (foreign || left)) {
      if constexpr (left) {
        out.value.new_value = call_joiner(joiner_, r.key, current->value, foreign);
      } else {
        out.value.new_value = call_joiner(joiner_, r.key, current->value, *foreign);
      }
    }
    Serde<K>::serialize(r.key, key_);
    if (out.value.new_value) Serde<VR>::serialize(*out.value.new_value, value_);
    table_.write(key_, value_, out);
  }

 private:
  GetterSupplier<K, V> supplier_;
  std::unique_ptr<TableGetter<K, V>> this_;
  Joiner joiner_;
  std::string store_name_;
  TimestampedTable<K, VR, Serde<K>, Serde<VR>> table_;
  std::string bytes_, key_, value_;
};

}  // namespace brook::operators

namespace brook {

// Subscription: version 0, instruction, whether a hash follows, the hash
// (16 bytes), the left key's bytes.
template <class K>
struct Serde<operators::FkSubscription<K>> {
  static void serialize(const operators::FkSubscription<K>& s, std::string& out) {
    std::string key;
    Serde<K>::serialize(s.primary_key, key);
    out.clear();
    out.push_back(0);
    out.push_back(static_cast<char>(s.instruction));
    operators::put_hash(s.hash, out);
    out.append(key);
  }
  static bool deserialize(const char* data, size_t size, operators::FkSubscription<K>& out) {
    if (data == nullptr || size < 3 || data[0] != 0 || static_cast<uint8_t>(data[1]) > 3)
      return false;
    out.instruction = static_cast<operators::FkInstruction>(data[1]);
    size_t at = 2;
    if (!operators::get_hash(data, size, &at, &out.hash)) return false;
    return Serde<K>::deserialize(data + at, size - at, out.primary_key);
  }
  static constexpr const char* name() { return "fk-subscription"; }
};

// Response: version 0, the hash (as in a subscription), whether a value
// follows, the foreign value's bytes.
template <class VO>
struct Serde<operators::FkResponse<VO>> {
  static void serialize(const operators::FkResponse<VO>& r, std::string& out) {
    std::string value;
    if (r.foreign_value) Serde<VO>::serialize(*r.foreign_value, value);
    out.clear();
    out.push_back(0);
    operators::put_hash(r.hash, out);
    out.push_back(r.foreign_value ? 1 : 0);
    out.append(value);
  }
  static bool deserialize(const char* data, size_t size, operators::FkResponse<VO>& out) {
    if (data == nullptr || size < 3 || data[0] != 0) return false;
    size_t at = 1;
    if (!operators::get_hash(data, size, &at, &out.hash) || at >= size) return false;
    bool has = data[at++] != 0;
    out.foreign_value.reset();
    if (!has) return true;
    VO v{};
    if (!Serde<VO>::deserialize(data + at, size - at, v)) return false;
    out.foreign_value = std::move(v);
    return true;
  }
  static constexpr const char* name() { return "fk-response"; }
};

}  // namespace brook
