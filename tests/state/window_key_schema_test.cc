#include <gtest/gtest.h>

#include "state/in_memory_store.h"
#include "state/session_bytes_store.h"
#include "state/window_bytes_store.h"

namespace brook::state {
namespace {

TEST(WindowKeySchema, RoundTripsKeysStartsAndSequenceNumbersIncludingNegativeTimes) {
  for (int64_t start : {int64_t{0}, int64_t{-1}, int64_t{1669907853000}, INT64_MIN, INT64_MAX}) {
    std::string stored = WindowKeySchema::to_store_key("product", start, 7);
    std::string_view key;
    int64_t got = 0;
    uint32_t seq = 0;
    ASSERT_TRUE(WindowKeySchema::from_store_key(stored, &key, &got, &seq));
    EXPECT_EQ(key, "product");
    EXPECT_EQ(got, start);
    EXPECT_EQ(seq, 7u);
  }
  std::string_view key;
  int64_t start;
  EXPECT_FALSE(WindowKeySchema::from_store_key("short", &key, &start));
}

TEST(WindowKeySchema, OrdersAKeysWindowsByStartNegativeFirst) {
  EXPECT_LT(WindowKeySchema::to_store_key("k", -5), WindowKeySchema::to_store_key("k", 3));
  EXPECT_LT(WindowKeySchema::to_store_key("k", 3), WindowKeySchema::to_store_key("k", 300));
  EXPECT_LT(WindowKeySchema::to_store_key("k", 3, 1), WindowKeySchema::to_store_key("k", 3, 2));
}

TEST(WindowKeySchema, AKeysTimeRangeScansItsWindowsAndSkipsLongerKeysThatShareItsPrefix) {
  InMemoryStore store("w");
  for (int64_t t : {5, 10, 20, 30}) store.put(WindowKeySchema::to_store_key("a", t), "a");
  for (int64_t t : {5, 10, 20}) store.put(WindowKeySchema::to_store_key("ab", t), "ab");
  std::vector<int64_t> starts;
  store.scan(WindowKeySchema::store_key_range("a", 10, 20),
             [&](std::string_view k, std::string_view v) {
               std::string_view key;
               int64_t start;
               EXPECT_TRUE(WindowKeySchema::from_store_key(k, &key, &start));
               if (key == "a") starts.push_back(start);
               return true;
             });
  EXPECT_EQ(starts, (std::vector<int64_t>{10, 20}));
}

TEST(SessionKeySchema, RoundTripsAndOrdersAKeysSessionsByEnd) {
  SessionWindow s{-100, 250};
  std::string stored = SessionKeySchema::to_store_key("k", s);
  std::string_view key;
  SessionWindow got;
  ASSERT_TRUE(SessionKeySchema::from_store_key(stored, &key, &got));
  EXPECT_EQ(key, "k");
  EXPECT_EQ(got, s);
  EXPECT_LT(SessionKeySchema::to_store_key("k", {0, 10}),
            SessionKeySchema::to_store_key("k", {5, 20}));
}

TEST(SessionKeySchema, FindsTheSessionsEndingAtOrAfterATime) {
  InMemoryStore store("s");
  for (SessionWindow w : {SessionWindow{0, 10}, SessionWindow{20, 30}, SessionWindow{40, 50}}) {
    store.put(SessionKeySchema::to_store_key("k", w), "v");
  }
  store.put(SessionKeySchema::to_store_key("k2", {20, 30}), "v");
  std::vector<SessionWindow> found;
  store.scan(SessionKeySchema::store_key_range("k", 25), [&](std::string_view k, std::string_view) {
    std::string_view key;
    SessionWindow w;
    EXPECT_TRUE(SessionKeySchema::from_store_key(k, &key, &w));
    if (key == "k") found.push_back(w);
    return true;
  });
  EXPECT_EQ(found, (std::vector<SessionWindow>{{20, 30}, {40, 50}}));
}

}  // namespace
}  // namespace brook::state
