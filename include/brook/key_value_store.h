// KeyValueStore<K,V>: typed access to a task's key-value store, serializing keys
// and values with KS/VS (default Serde<K>/Serde<V>) around the byte-level store stack
// (Caching(Changelogging(RocksDB))). Over an enabled record cache, values written
// stay in the cache deserialized: reading them back decodes nothing, and they are
// encoded once, when their entry is flushed or evicted. A light handle: the task
// owns the store. Not thread-safe; use it on the task's thread only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "brook/record.h"
#include "brook/serde.h"
#include "state/caching_store.h"
#include "state/key_value_bytes_store.h"

namespace brook {

template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
class KeyValueStore {
 public:
  // `cache`: the record-cache layer of `store`'s stack, if any.
  explicit KeyValueStore(state::KeyValueBytesStore& store, state::CachingStore* cache = nullptr)
      : store_(&store), cache_(cache) {
    if (cache_ && !cache_->enabled()) cache_ = nullptr;
  }
  // A store whose top layer is a record cache.
  explicit KeyValueStore(state::CachingStore& cache) : KeyValueStore(cache, &cache) {}

  const std::string& name() const { return store_->name(); }

  bool get(const K& key, V& out) {
    KS::serialize(key, key_buf_);
    if (cache_) {
      state::CachedObject* o = cache_->find_object(key_buf_);
      if (o && o->type() == Object::tag()) {
        out = static_cast<Object*>(o)->value;
        return true;
      }
    }
    if (!store_->get(key_buf_, &value_buf_)) return false;
    if (!VS::deserialize(value_buf_.data(), value_buf_.size(), out)) {
      throw state::StateStoreError("store '" + store_->name() + "' holds a value that " +
                                   value_serde_name() + " cannot read");
    }
    return true;
  }
  std::optional<V> get(const K& key) {
    V v{};
    if (!get(key, v)) return std::nullopt;
    return v;
  }
  void put(const K& key, const V& value) {
    KS::serialize(key, key_buf_);
    if (cache_) {
      // Kept deserialized: the next get of this key decodes nothing. (VS
      // must round-trip, deserialize(serialize(v)) == v, as for any stored value.)
      cache_->put_object(key_buf_, [&](std::unique_ptr<state::CachedObject>& slot) {
        if (slot && slot->type() == Object::tag()) {
          static_cast<Object*>(slot.get())->value = value;
        } else {
          slot = std::make_unique<Object>(value);
        }
      });
      return;
    }
    VS::serialize(value, value_buf_);
    store_->put(key_buf_, value_buf_);
  }
  // Folds into the key's value and writes the result: fold(std::optional<V>
  // current) -> V, current being nullopt when the key has none. Over the
  // record cache, a value held there deserialized is folded in place: one
  // lookup, nothing copied. A fold that throws leaves the key's uncommitted
  // value undefined (see CachingStore::update_object).
  template <class Fold>
  void update(const K& key, Fold&& fold) {
    KS::serialize(key, key_buf_);
    if (cache_ && cache_->update_object(key_buf_, [&](state::CachedObject& o) {
          if (o.type() != Object::tag()) return false;
          V& value = static_cast<Object&>(o).value;
          value = fold(std::optional<V>(std::move(value)));
          return true;
        })) {
      return;
    }
    put(key, fold(get(key)));
  }
  void remove(const K& key) {
    KS::serialize(key, key_buf_);
    store_->remove(key_buf_);
  }
  // Every entry, in the order of the serialized keys.
  std::vector<KeyValue<K, V>> all() { return collect(state::KeyRange::all()); }
  // The entries from `from` to `to`, both included, in the order of the
  // serialized keys (as Kafka Streams' range: byte order, not K's order).
  std::vector<KeyValue<K, V>> range(const K& from, const K& to) {
    std::string f, t;
    KS::serialize(from, f);
    KS::serialize(to, t);
    return collect(state::KeyRange::closed(f, t));
  }
  // The entries whose serialized key starts with `prefix` serialized by PS
  // (Kafka Streams' prefixScan).
  template <class P, class PS = Serde<P>>
  std::vector<KeyValue<K, V>> prefix_scan(const P& prefix) {
    std::string p;
    PS::serialize(prefix, p);
    return collect(state::KeyRange::prefix(p));
  }
  uint64_t approximate_num_entries() { return store_->approximate_num_entries(); }

 private:
  std::vector<KeyValue<K, V>> collect(const state::KeyRange& range) {
    std::vector<KeyValue<K, V>> out;
    store_->scan(range, [&](std::string_view k, std::string_view v) {
      KeyValue<K, V> kv{};
      if (KS::deserialize(k.data(), k.size(), kv.key) &&
          VS::deserialize(v.data(), v.size(), kv.value)) {
        out.push_back(std::move(kv));
      }
      return true;
    });
    return out;
  }
  static std::string value_serde_name() {
    if constexpr (requires { VS::name(); }) {
      return VS::name();
    } else {
      return "its value serde";
    }
  }
  // A V held by the record cache.
  struct Object final : state::CachedObject {
    explicit Object(const V& v) : value(v) {}
    static const void* tag() {
      static const char t = 0;
      return &t;
    }
    const void* type() const override { return tag(); }
    void serialize(std::string* out) const override { VS::serialize(value, *out); }
    V value;
  };

  state::KeyValueBytesStore* store_;
  state::CachingStore* cache_;  // the store when it is an enabled record cache
  std::string key_buf_;
  std::string value_buf_;
};

}  // namespace brook
