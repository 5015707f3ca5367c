// Range and prefix scans, the same on every layer of a store stack: RocksDB,
// RocksDB staging writes for exactly-once, in memory, and a record cache over
// a store (its dirty entries merged over what was written through).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "state/caching_store.h"
#include "state/changelogging_store.h"
#include "state/in_memory_store.h"
#include "state/rocksdb_store.h"
#include "state/transactional_rocksdb_store.h"

namespace brook::state {
namespace {

enum class Kind { kRocksDb, kTransactional, kInMemory, kCachedOverInMemory };

std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
  switch (info.param) {
    case Kind::kRocksDb:
      return "RocksDb";
    case Kind::kTransactional:
      return "TransactionalRocksDb";
    case Kind::kInMemory:
      return "InMemory";
    case Kind::kCachedOverInMemory:
      return "CachedOverInMemory";
  }
  return "";
}

struct NoLog final : ChangelogWriter {
  void log(std::string_view, const std::string_view*, int64_t) override {}
};

class KeyValueScan : public ::testing::TestWithParam<Kind> {
 protected:
  KeyValueScan()
      : dir_(std::filesystem::temp_directory_path() /
             ("brook-scan-" + std::to_string(::getpid()) + "-" +
              std::to_string(static_cast<int>(GetParam())))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    switch (GetParam()) {
      case Kind::kRocksDb:
        store_ = std::make_unique<RocksDbStore>("s", (dir_ / "s").string(), resources_);
        break;
      case Kind::kTransactional: {
        auto txn =
            std::make_unique<TransactionalRocksDbStore>("s", (dir_ / "s").string(), resources_);
        txn_ = txn.get();
        store_ = std::move(txn);
        break;
      }
      case Kind::kInMemory:
        store_ = std::make_unique<InMemoryStore>("s");
        break;
      case Kind::kCachedOverInMemory:
        store_ =
            std::make_unique<CachingStore>(std::make_unique<InMemoryStore>("s"), cache_, time_);
        break;
    }
    // Half the keys reach the layer below (committed, flushed), half stay above
    // (staged, cached), so that a scan has both to merge.
    for (const char* k : {"a", "b/1", "b/3", "c"}) store_->put(k, std::string("v") + k);
    if (txn_) txn_->commit({});
    store_->flush();
    for (const char* k : {"b/2", "b\xff", "d"}) store_->put(k, std::string("v") + k);
    store_->remove("c");
  }
  ~KeyValueScan() override {
    store_->close();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> keys(const KeyRange& range, size_t limit = 100) {
    std::vector<std::string> out;
    store_->scan(range, [&](std::string_view k, std::string_view v) {
      EXPECT_EQ(v, "v" + std::string(k));
      out.emplace_back(k);
      return out.size() < limit;
    });
    return out;
  }

  std::filesystem::path dir_;
  RocksDbResources resources_{8 << 20};
  ThreadCache cache_{1 << 20};
  RecordTime time_;
  std::unique_ptr<KeyValueBytesStore> store_;
  TransactionalRocksDbStore* txn_ = nullptr;
};

TEST_P(KeyValueScan, ScansEveryEntryInKeyOrder) {
  EXPECT_EQ(keys(KeyRange::all()),
            (std::vector<std::string>{"a", "b/1", "b/2", "b/3", "b\xff", "d"}));
}

TEST_P(KeyValueScan, ScansAClosedRangeWithBothEndsIncluded) {
  EXPECT_EQ(keys(KeyRange::closed("b/1", "b/3")), (std::vector<std::string>{"b/1", "b/2", "b/3"}));
  EXPECT_EQ(keys(KeyRange::closed("b/15", "c")), (std::vector<std::string>{"b/2", "b/3", "b\xff"}))
      << "bounds need not be keys; a removed key is not there";
}

TEST_P(KeyValueScan, ScansTheKeysWithAPrefix) {
  EXPECT_EQ(keys(KeyRange::prefix("b/")), (std::vector<std::string>{"b/1", "b/2", "b/3"}));
  EXPECT_EQ(keys(KeyRange::prefix("b")), (std::vector<std::string>{"b/1", "b/2", "b/3", "b\xff"}));
  EXPECT_EQ(keys(KeyRange::prefix("b\xff")), (std::vector<std::string>{"b\xff"}));
  EXPECT_TRUE(keys(KeyRange::prefix("x")).empty());
}

TEST_P(KeyValueScan, StopsWhenTheCallbackSaysSo) {
  EXPECT_EQ(keys(KeyRange::all(), 2), (std::vector<std::string>{"a", "b/1"}));
}

INSTANTIATE_TEST_SUITE_P(EveryLayer, KeyValueScan,
                         ::testing::Values(Kind::kRocksDb, Kind::kTransactional, Kind::kInMemory,
                                           Kind::kCachedOverInMemory),
                         kind_name);

TEST(KeyRange, APrefixOfMaximalBytesHasNoUpperBound) {
  KeyRange r = KeyRange::prefix("\xff\xff");
  EXPECT_FALSE(r.to.has_value());
  EXPECT_TRUE(r.contains("\xff\xff\x01"));
  EXPECT_FALSE(r.contains("\xfe"));
}

}  // namespace
}  // namespace brook::state
