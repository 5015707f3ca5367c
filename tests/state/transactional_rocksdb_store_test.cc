#include "state/transactional_rocksdb_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace brook::state {
namespace {

class TransactionalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("brook-txn-" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<TransactionalRocksDbStore> open() {
    return std::make_unique<TransactionalRocksDbStore>("s", dir_, resources_);
  }
  RocksDbResources resources_{8 << 20};
  std::string dir_;
};

TEST_F(TransactionalStoreTest, ReadsSeeStagedWritesThatRocksDbDoesNotHoldUntilCommit) {
  auto store = open();
  store->put("a", "1");
  store->put("b", "2");
  store->remove("b");
  std::string v;
  ASSERT_TRUE(store->get("a", &v));
  EXPECT_EQ(v, "1");
  EXPECT_FALSE(store->get("b", &v));
  std::vector<std::string> keys;
  store->for_each([&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  EXPECT_EQ(keys, std::vector<std::string>{"a"});
  // A crash now (close without commit) leaves nothing in RocksDB.
  store.reset();
  store = open();
  EXPECT_FALSE(store->get("a", &v));
  EXPECT_TRUE(store->committed_offsets().empty());
}

TEST_F(TransactionalStoreTest, CommitAppliesWritesAtomicallyWithTheirChangelogOffsets) {
  auto store = open();
  store->put("a", "1");
  store->commit({{{"app-s-changelog", 2}, 17}});
  store->put("a", "2");  // staged, then lost in a crash
  store.reset();
  store = open();
  std::string v;
  ASSERT_TRUE(store->get("a", &v));
  EXPECT_EQ(v, "1");
  EXPECT_EQ(store->committed_offsets(), (ChangelogOffsets{{{"app-s-changelog", 2}, 17}}));
}

TEST_F(TransactionalStoreTest, AbortDiscardsStagedWrites) {
  auto store = open();
  store->put("a", "1");
  store->commit({});
  store->put("a", "2");
  store->put("c", "3");
  EXPECT_EQ(store->staged_writes(), 2u);
  store->abort();
  std::string v;
  ASSERT_TRUE(store->get("a", &v));
  EXPECT_EQ(v, "1");
  EXPECT_FALSE(store->get("c", &v));
  EXPECT_EQ(store->staged_writes(), 0u);
}

}  // namespace
}  // namespace brook::state
