#include "state/caching_store.h"

#include <gtest/gtest.h>

#include <map>

#include "brook/key_value_store.h"
#include "state/in_memory_store.h"

namespace brook::state {

// A value whose serde counts its calls, to see what the typed path skips.
struct Counted {
  int64_t n = 0;
  static inline int serialized = 0;
  static inline int deserialized = 0;
};

}  // namespace brook::state

template <>
struct brook::Serde<brook::state::Counted> {
  static void serialize(const brook::state::Counted& v, std::string& out) {
    ++brook::state::Counted::serialized;
    out = std::to_string(v.n);
  }
  static bool deserialize(const char* data, size_t size, brook::state::Counted& out) {
    ++brook::state::Counted::deserialized;
    out.n = std::stoll(std::string(data, size));
    return true;
  }
  static constexpr const char* name() { return "counted"; }
};

namespace brook::state {
namespace {

struct Flushed {
  std::string key;
  std::optional<std::string> value;
  int64_t timestamp;
};

class CachingStoreTest : public ::testing::Test {
 protected:
  void make(size_t budget) {
    cache_ = std::make_unique<ThreadCache>(budget);
    auto inner = std::make_unique<InMemoryStore>("s");
    inner_ = inner.get();
    store_ = std::make_unique<CachingStore>(std::move(inner), *cache_, time_);
    store_->set_flush_listener([this](std::string_view k, const std::string_view* v) {
      flushed_.push_back({std::string(k),
                          v ? std::optional<std::string>(std::string(*v)) : std::nullopt,
                          time_.timestamp});
    });
  }
  RecordTime time_;
  std::unique_ptr<ThreadCache> cache_;
  InMemoryStore* inner_ = nullptr;
  std::unique_ptr<CachingStore> store_;
  std::vector<Flushed> flushed_;
};

TEST_F(CachingStoreTest, CollapsesRepeatedUpdatesOfAKeyIntoOneFlush) {
  make(1 << 20);
  for (int i = 1; i <= 5; ++i) {
    time_.timestamp = i * 10;
    store_->put("k", std::to_string(i));
  }
  std::string v;
  EXPECT_FALSE(inner_->get("k", &v)) << "nothing reaches the store below before a flush";
  EXPECT_TRUE(flushed_.empty());
  time_.timestamp = 999;
  store_->flush();
  ASSERT_EQ(flushed_.size(), 1u);
  EXPECT_EQ(flushed_[0].value, "5");
  EXPECT_EQ(flushed_[0].timestamp, 50) << "the flush carries the entry's own timestamp";
  EXPECT_EQ(time_.timestamp, 999) << "and restores the caller's";
  ASSERT_TRUE(inner_->get("k", &v));
  EXPECT_EQ(v, "5");
}

TEST_F(CachingStoreTest, ReadsSeeTheLatestCachedValue) {
  make(1 << 20);
  inner_->put("k", "old");
  std::string v;
  ASSERT_TRUE(store_->get("k", &v));
  EXPECT_EQ(v, "old");
  store_->put("k", "new");
  ASSERT_TRUE(store_->get("k", &v));
  EXPECT_EQ(v, "new");
  store_->remove("k");
  EXPECT_FALSE(store_->get("k", &v));
  store_->flush();
  EXPECT_FALSE(inner_->get("k", &v));
  ASSERT_EQ(flushed_.size(), 1u);
  EXPECT_FALSE(flushed_[0].value.has_value()) << "a delete flushes as a tombstone";
}

TEST_F(CachingStoreTest, EvictsLeastRecentlyUsedEntriesWhenOverBudget) {
  make(400);  // room for a few entries only
  for (int i = 0; i < 20; ++i) store_->put("key" + std::to_string(i), std::string(20, 'x'));
  EXPECT_LE(cache_->used_bytes(), 400u);
  EXPECT_FALSE(flushed_.empty());
  EXPECT_EQ(flushed_.front().key, "key0") << "the oldest entry leaves first";
  store_->flush();
  EXPECT_EQ(flushed_.size(), 20u) << "every key reaches downstream exactly once";
  EXPECT_EQ(inner_->approximate_num_entries(), 20u);
}

TEST_F(CachingStoreTest, WritesThroughWhenTheBudgetIsZero) {
  make(0);
  store_->put("a", "1");
  store_->put("a", "2");
  ASSERT_EQ(flushed_.size(), 2u);
  EXPECT_EQ(cache_->used_bytes(), 0u);
}

TEST_F(CachingStoreTest, IteratesCachedAndStoredEntriesInKeyOrder) {
  make(1 << 20);
  inner_->put("a", "1");
  inner_->put("c", "3");
  store_->put("b", "2");
  store_->put("c", "33");
  std::map<std::string, std::string> seen;
  std::vector<std::string> order;
  store_->for_each([&](std::string_view k, std::string_view v) {
    order.emplace_back(k);
    seen[std::string(k)] = std::string(v);
    return true;
  });
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(seen["c"], "33");
}

TEST_F(CachingStoreTest, TypedReadModifyWriteEncodesOnceWhenTheEntryLeaves) {
  make(1 << 20);
  inner_->put("k", "10");
  Counted::serialized = Counted::deserialized = 0;
  KeyValueStore<std::string, Counted> typed(*store_);
  for (int i = 0; i < 100; ++i) {
    Counted c;
    ASSERT_TRUE(typed.get("k", c));
    ++c.n;
    typed.put("k", c);
  }
  EXPECT_EQ(Counted::deserialized, 1) << "only the first read decodes (the stored bytes)";
  EXPECT_EQ(Counted::serialized, 0) << "nothing is encoded while the entry stays cached";
  std::string v;
  ASSERT_TRUE(inner_->get("k", &v));
  EXPECT_EQ(v, "10") << "nor written below";
  store_->flush();
  EXPECT_EQ(Counted::serialized, 1);
  ASSERT_TRUE(inner_->get("k", &v));
  EXPECT_EQ(v, "110");
  ASSERT_EQ(flushed_.size(), 1u);
  EXPECT_EQ(flushed_[0].value, "110");
  Counted c;
  ASSERT_TRUE(typed.get("k", c));
  EXPECT_EQ(c.n, 110) << "the object outlives the flush";
  EXPECT_EQ(Counted::deserialized, 1);
}

TEST_F(CachingStoreTest, BytesReadsWritesAndDeletesSeeTypedWrites) {
  make(1 << 20);
  KeyValueStore<std::string, Counted> typed(*store_);
  typed.put("a", Counted{7});
  std::string v;
  ASSERT_TRUE(store_->get("a", &v)) << "a bytes read encodes the object";
  EXPECT_EQ(v, "7");
  store_->put("a", "8");  // bytes replace the object
  Counted c;
  ASSERT_TRUE(typed.get("a", c));
  EXPECT_EQ(c.n, 8);
  typed.put("a", Counted{9});
  store_->remove("a");
  EXPECT_FALSE(typed.get("a", c)) << "a delete drops the object";
  typed.put("b", Counted{2});
  std::map<std::string, std::string> seen;
  store_->for_each([&](std::string_view k, std::string_view val) {
    seen[std::string(k)] = std::string(val);
    return true;
  });
  EXPECT_EQ(seen, (std::map<std::string, std::string>{{"b", "2"}}));
  store_->close();
  EXPECT_EQ(cache_->used_bytes(), 0u) << "the budget accounts for objects exactly";
}

TEST_F(CachingStoreTest, DroppingTheStoreReturnsItsEntriesToTheBudget) {
  make(1 << 20);
  store_->put("a", "1");
  KeyValueStore<std::string, Counted>(*store_).put("b", Counted{2});
  EXPECT_GT(cache_->used_bytes(), 0u);
  store_.reset();  // as when a task is closed without a flush
  EXPECT_EQ(cache_->used_bytes(), 0u);
}

TEST_F(CachingStoreTest, EvictionEncodesTypedEntries) {
  make(400);
  KeyValueStore<std::string, Counted> typed(*store_);
  for (int i = 0; i < 20; ++i) typed.put("key" + std::to_string(i), Counted{i});
  EXPECT_LE(cache_->used_bytes(), 400u);
  EXPECT_FALSE(flushed_.empty());
  for (const Flushed& f : flushed_) {
    EXPECT_EQ(f.value, f.key.substr(3)) << "evicted entries reach the store below encoded";
  }
  store_->flush();
  EXPECT_EQ(inner_->approximate_num_entries(), 20u);
}

TEST_F(CachingStoreTest, TypedWritesGoThroughWhenTheBudgetIsZero) {
  make(0);
  KeyValueStore<std::string, Counted> typed(*store_);
  typed.put("a", Counted{1});
  ASSERT_EQ(flushed_.size(), 1u);
  EXPECT_EQ(flushed_[0].value, "1");
}

TEST_F(CachingStoreTest, TypedUpdateFoldsACachedValueInPlace) {
  make(1 << 20);
  inner_->put("k", "10");
  Counted::serialized = Counted::deserialized = 0;
  KeyValueStore<std::string, Counted> typed(*store_);
  std::vector<std::optional<int64_t>> seen;
  auto add_one = [&](std::optional<Counted> current) {
    seen.push_back(current ? std::optional<int64_t>(current->n) : std::nullopt);
    return Counted{current ? current->n + 1 : 1};
  };
  for (int i = 0; i < 3; ++i) typed.update("k", add_one);
  typed.update("new", add_one);
  EXPECT_EQ(seen, (std::vector<std::optional<int64_t>>{10, 11, 12, std::nullopt}))
      << "the fold sees the stored value, then each update's result; nothing for a new key";
  EXPECT_EQ(Counted::deserialized, 1) << "only the first update decodes (the stored bytes)";
  EXPECT_EQ(Counted::serialized, 0);
  std::string v;
  ASSERT_TRUE(inner_->get("k", &v));
  EXPECT_EQ(v, "10") << "nothing written below before a flush";
  store_->flush();
  ASSERT_EQ(flushed_.size(), 2u) << "each key flushes once";
  ASSERT_TRUE(inner_->get("k", &v));
  EXPECT_EQ(v, "13");
  ASSERT_TRUE(inner_->get("new", &v));
  EXPECT_EQ(v, "1");
}

TEST_F(CachingStoreTest, TypedUpdateFoldsAValueCachedAsBytes) {
  make(1 << 20);
  KeyValueStore<std::string, Counted> typed(*store_);
  store_->put("k", "5");  // cached as bytes, no object yet
  typed.update("k", [](std::optional<Counted> c) { return Counted{c->n * 2}; });
  Counted c;
  ASSERT_TRUE(typed.get("k", c));
  EXPECT_EQ(c.n, 10);
}

TEST_F(CachingStoreTest, TypedUpdatesGoThroughWhenTheBudgetIsZero) {
  make(0);
  KeyValueStore<std::string, Counted> through(*store_);
  through.update("k", [](std::optional<Counted> c) { return Counted{c ? c->n + 1 : 1}; });
  through.update("k", [](std::optional<Counted> c) { return Counted{c ? c->n + 1 : 1}; });
  ASSERT_EQ(flushed_.size(), 2u) << "with no budget every update goes through";
  EXPECT_EQ(flushed_[1].value, "2");
}

TEST_F(CachingStoreTest, ATypedUpdateThatThrowsDropsTheEntry) {
  make(1 << 20);
  inner_->put("k", "1");
  KeyValueStore<std::string, Counted> typed(*store_);
  typed.update("k", [](std::optional<Counted> c) { return Counted{c->n + 1}; });
  size_t used = cache_->used_bytes();
  EXPECT_GT(used, 0u);
  EXPECT_THROW(typed.update("k",
                            [](std::optional<Counted>) -> Counted {
                              throw std::runtime_error("user code failed");
                            }),
               std::runtime_error);
  EXPECT_EQ(cache_->used_bytes(), 0u) << "the half-folded entry left the cache and its budget";
  Counted c;
  ASSERT_TRUE(typed.get("k", c));
  EXPECT_EQ(c.n, 1) << "what the store below holds (the last flushed value) is read again";
  store_->flush();
  EXPECT_TRUE(flushed_.empty()) << "the dropped update is never forwarded";
}

TEST_F(CachingStoreTest, TypedRangesAndPrefixScansSeeCachedObjectsAndWrittenThroughValues) {
  make(1 << 20);
  inner_->put("ab", "1");
  inner_->put("b", "2");
  KeyValueStore<std::string, Counted> typed(*store_);
  typed.put("aa", Counted{3});  // cached as an object
  typed.put("ac", Counted{4});
  auto prefixed = typed.prefix_scan(std::string("a"));
  ASSERT_EQ(prefixed.size(), 3u);
  EXPECT_EQ(prefixed[0].key, "aa");
  EXPECT_EQ(prefixed[0].value.n, 3);
  EXPECT_EQ(prefixed[1].key, "ab");
  EXPECT_EQ(prefixed[1].value.n, 1);
  EXPECT_EQ(prefixed[2].key, "ac");
  auto ranged = typed.range("ab", "b");
  ASSERT_EQ(ranged.size(), 3u);
  EXPECT_EQ(ranged[0].key, "ab");
  EXPECT_EQ(ranged[2].key, "b");
}

}  // namespace
}  // namespace brook::state
