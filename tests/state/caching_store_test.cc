#include "state/caching_store.h"

#include <gtest/gtest.h>

#include <map>

#include "state/in_memory_store.h"

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
      flushed_.push_back({std::string(k), v ? std::optional<std::string>(std::string(*v)) : std::nullopt,
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

}  // namespace
}  // namespace brook::state
