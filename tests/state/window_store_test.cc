// Window and session stores over every bottom (memory, RocksDB, RocksDB staging
// for exactly-once), with and without a record cache: key layouts, fetches,
// segment expiry, restoration and the segment-interval check.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

#include "state/caching_store.h"
#include "state/in_memory_store.h"
#include "state/key_value_store_builder.h"
#include "state/rocksdb_store.h"
#include "state/segmented_store.h"
#include "state/session_bytes_store.h"
#include "state/transactional_rocksdb_store.h"
#include "state/window_bytes_store.h"

namespace brook::state {
namespace {

const TimeSegments kSegments{100};

TEST(WindowKeySchema, RoundTripsKeysStartsAndSequenceNumbersIncludingNegativeTimes) {
  for (int64_t start :
       {int64_t{0}, int64_t{-1}, int64_t{1669907853000}, INT64_MIN + 1000, INT64_MAX - 1000}) {
    std::string stored = WindowKeySchema::to_store_key("product", start, 7, kSegments);
    std::string_view key;
    int64_t got = 0;
    uint32_t seq = 0;
    ASSERT_TRUE(WindowKeySchema::from_store_key(stored, &key, &got, &seq));
    EXPECT_EQ(key, "product");
    EXPECT_EQ(got, start);
    EXPECT_EQ(seq, 7u);
    EXPECT_EQ(WindowKeySchema::time_of(stored), start);
    EXPECT_EQ(TimeSegments::read_time(stored), kSegments.id(start)) << "segment first";
  }
  std::string_view key;
  int64_t start;
  EXPECT_FALSE(WindowKeySchema::from_store_key("short", &key, &start));
  EXPECT_EQ(WindowKeySchema::time_of("short"), INT64_MIN);
}

TEST(WindowKeySchema, OrdersBySegmentThenKeyThenStartThenSequence) {
  auto k = [](std::string_view key, int64_t t, uint32_t seq = 0) {
    return WindowKeySchema::to_store_key(key, t, seq, kSegments);
  };
  EXPECT_LT(k("k", -5), k("k", 3)) << "negative times first";
  EXPECT_LT(k("k", 3), k("k", 30));
  EXPECT_LT(k("k", 3, 1), k("k", 3, 2));
  EXPECT_LT(k("z", 3), k("a", 130)) << "a later segment sorts after every key of an earlier one";
}

TEST(TimeSegments, FloorDivisionAndKafkaStreamsIntervals) {
  EXPECT_EQ(kSegments.id(0), 0);
  EXPECT_EQ(kSegments.id(99), 0);
  EXPECT_EQ(kSegments.id(100), 1);
  EXPECT_EQ(kSegments.id(-1), -1);
  EXPECT_EQ(kSegments.id(-100), -1);
  EXPECT_EQ(kSegments.id(-101), -2);
  EXPECT_EQ(TimeSegments::for_retention(1200000).interval_ms, 600000);
  EXPECT_EQ(TimeSegments::for_retention(1000).interval_ms, 60000) << "at least a minute";
}

// The bottoms a window store may sit on.
enum class Bottom { kMemory, kRocksDb, kStaging };

class WindowStoreTest : public ::testing::TestWithParam<std::tuple<Bottom, bool>> {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("brook-window-" + std::to_string(::getpid()) + "-" +
             std::to_string(static_cast<int>(std::get<0>(GetParam()))) +
             (std::get<1>(GetParam()) ? "c" : "")))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A stack as the state manager builds it: Caching(Segmented(bottom)).
  KeyValueBytesStore& open(int64_t (*time_of)(std::string_view), int64_t retention,
                           TimeSegments segments = kSegments) {
    store_.reset();
    KeyValueStoreBuilder b("w");
    Bottom bottom = std::get<0>(GetParam());
    if (bottom != Bottom::kMemory) b.persistent(dir_, resources_, bottom == Bottom::kStaging);
    if (std::get<1>(GetParam())) b.cached(cache_, time_);
    b.segmented(time_of, segments, retention);
    store_ = b.stack(b.open());
    return *store_;
  }
  void commit() {
    store_->flush();
    store_->commit({});
  }

  RocksDbResources resources_{8 << 20};
  ThreadCache cache_{1 << 20};
  RecordTime time_;
  std::string dir_;
  std::unique_ptr<KeyValueBytesStore> store_;
};

std::vector<std::pair<std::string, int64_t>> fetched(WindowBytesStore& w, std::string_view key,
                                                     int64_t from, int64_t to) {
  std::vector<std::pair<std::string, int64_t>> out;
  w.fetch(key, from, to, [&](std::string_view k, int64_t start, std::string_view v) {
    out.emplace_back(std::string(v), start);
    return true;
  });
  return out;
}

TEST_P(WindowStoreTest, FetchesAKeysWindowsInStartOrderAcrossSegmentsAndSkipsLongerKeys) {
  WindowBytesStore w(open(&WindowKeySchema::time_of, 10000), kSegments, 10000);
  std::string_view a = "a", ab = "ab";
  for (int64_t t : {450, 5, 120, 30, 260}) w.put("a", &a, t);
  for (int64_t t : {5, 120, 30}) w.put("ab", &ab, t);
  EXPECT_EQ(fetched(w, "a", 0, 1000),
            (std::vector<std::pair<std::string, int64_t>>{
                {"a", 5}, {"a", 30}, {"a", 120}, {"a", 260}, {"a", 450}}));
  EXPECT_EQ(fetched(w, "a", 30, 260),
            (std::vector<std::pair<std::string, int64_t>>{{"a", 30}, {"a", 120}, {"a", 260}}));
  std::string v;
  ASSERT_TRUE(w.fetch("ab", 120, &v));
  EXPECT_EQ(v, "ab");
  w.put("a", nullptr, 120);
  EXPECT_FALSE(w.fetch("a", 120, &v)) << "a null value deletes";
  commit();
  EXPECT_EQ(fetched(w, "a", 100, 199).size(), 0u);
  std::vector<std::string> all;
  w.fetch_all(0, 200, [&](std::string_view k, int64_t start, std::string_view) {
    all.push_back(std::string(k) + "@" + std::to_string(start));
    return true;
  });
  // Segment by segment, in stored-key order within one: "a" then a start sorts
  // after "ab" (a start's first byte is 0x80 or more).
  EXPECT_EQ(all, (std::vector<std::string>{"ab@5", "ab@30", "a@5", "a@30", "ab@120"}));
}

TEST_P(WindowStoreTest, SegmentsPastRetentionAreDroppedAndLateWritesIgnored) {
  KeyValueBytesStore& stack = open(&WindowKeySchema::time_of, 250);
  WindowBytesStore w(stack, kSegments, 250);
  std::string_view x = "x";
  for (int64_t t : {10, 110, 210, 310}) w.put("k", &x, t);
  commit();
  auto starts = [&] {
    std::vector<int64_t> out;
    for (auto& [v, t] : fetched(w, "k", 0, 1000)) out.push_back(t);
    return out;
  };
  // Latest 310, retention 250: 61 is the earliest live start.
  EXPECT_EQ(starts(), (std::vector<int64_t>{110, 210, 310}));
  w.put("k", &x, 480);  // earliest live 231: segments 0 and 1 go
  commit();
  EXPECT_EQ(starts(), (std::vector<int64_t>{310, 480}));
  EXPECT_FALSE(w.put("k", &x, 50)) << "into a dropped segment: ignored";
  EXPECT_FALSE(w.put("k", &x, 230)) << "480 - 250 = 230: just expired";
  EXPECT_TRUE(w.put("k", &x, 231));
  commit();
  std::string v;
  EXPECT_FALSE(w.fetch("k", 50, &v));
  EXPECT_EQ(starts(), (std::vector<int64_t>{231, 310, 480}));
  // A new view (a restarted task) over the same stack, before it writes: the
  // bottom dropped segments 0 and 1 for good; 210 shares segment 2 with live
  // windows and stays until that segment goes.
  WindowBytesStore fresh(stack, kSegments, 250);
  std::vector<int64_t> kept;
  fresh.fetch("k", 0, 1000, [&](std::string_view, int64_t t, std::string_view) {
    kept.push_back(t);
    return true;
  });
  EXPECT_EQ(kept, (std::vector<int64_t>{210, 231, 310, 480}));
}

TEST_P(WindowStoreTest, RestoredRecordsAreResegmentedByTheirOwnTimeAndExpireToo) {
  KeyValueBytesStore& stack = open(&WindowKeySchema::time_of, 250);
  // A changelog written with segments of 1000 ms.
  TimeSegments old{1000};
  std::string_view v1 = "1", v2 = "2";
  stack.restore(WindowKeySchema::to_store_key("k", 10, 0, old), &v1);
  stack.restore(WindowKeySchema::to_store_key("k", 650, 0, old), &v2);
  commit();
  WindowBytesStore w(stack, kSegments, 250);
  std::string v;
  EXPECT_FALSE(w.fetch("k", 10, &v)) << "expired (650 - 250 > 10): its segment was dropped";
  ASSERT_TRUE(w.fetch("k", 650, &v));
  EXPECT_EQ(v, "2");
}

TEST_P(WindowStoreTest, AStoreWrittenWithAnotherSegmentIntervalFailsToOpenWithAClearMessage) {
  if (std::get<0>(GetParam()) == Bottom::kMemory) return;  // nothing outlives it
  open(&WindowKeySchema::time_of, 250);
  commit();
  try {
    open(&WindowKeySchema::time_of, 250, TimeSegments{500});
    FAIL() << "opened with another interval";
  } catch (const StateStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("time segments of 100 ms"), std::string::npos) << e.what();
  }
  open(&WindowKeySchema::time_of, 250);  // the same interval opens
}

TEST_P(WindowStoreTest, SessionsAreFoundByKeyAndTimeAcrossSegments) {
  SessionBytesStore s(open(&SessionKeySchema::time_of, 100000), kSegments, 100000);
  std::string_view v = "v";
  for (SessionWindow w : {SessionWindow{0, 10}, SessionWindow{20, 130}, SessionWindow{240, 250},
                          SessionWindow{400, 400}}) {
    s.put("k", w, &v);
  }
  s.put("k2", SessionWindow{20, 130}, &v);
  s.put("kk", SessionWindow{100, 120}, &v);
  auto find = [&](int64_t earliest_end, int64_t latest_start) {
    std::vector<SessionWindow> out;
    s.find_sessions("k", earliest_end, latest_start,
                    [&](std::string_view, const SessionWindow& w, std::string_view) {
                      out.push_back(w);
                      return true;
                    });
    return out;
  };
  EXPECT_EQ(find(15, 245), (std::vector<SessionWindow>{{20, 130}, {240, 250}}));
  EXPECT_EQ(find(0, 1000),
            (std::vector<SessionWindow>{{0, 10}, {20, 130}, {240, 250}, {400, 400}}));
  EXPECT_EQ(find(251, 1000), (std::vector<SessionWindow>{{400, 400}}));
  s.put("k", SessionWindow{20, 130}, nullptr);
  commit();
  EXPECT_EQ(find(15, 245), (std::vector<SessionWindow>{{240, 250}}));
  std::string got;
  EXPECT_TRUE(s.fetch_session("k2", SessionWindow{20, 130}, &got));
}

INSTANTIATE_TEST_SUITE_P(Bottoms, WindowStoreTest,
                         ::testing::Combine(::testing::Values(Bottom::kMemory, Bottom::kRocksDb,
                                                              Bottom::kStaging),
                                            ::testing::Bool()));

}  // namespace
}  // namespace brook::state
