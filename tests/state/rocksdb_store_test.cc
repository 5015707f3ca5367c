#include "state/rocksdb_store.h"

#include <gtest/gtest.h>

#include <rocksdb/env.h>
#include <rocksdb/write_buffer_manager.h>

#include <filesystem>
#include <fstream>

#include "state/changelogging_store.h"
#include "state/checkpoint_file.h"
#include "state/task_directory.h"

namespace brook::state {
namespace {

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("brook-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(RocksDbStore, KeepsWritesAcrossReopen) {
  std::string dir = temp_dir("rocks");
  RocksDbResources resources(8 << 20);
  {
    RocksDbStore store("s", dir + "/s", resources);
    store.put("a", "1");
    store.put("b", "2");
    store.put("c", "3");
    store.remove("b");
  }
  RocksDbStore store("s", dir + "/s", resources);
  std::string v;
  ASSERT_TRUE(store.get("a", &v));
  EXPECT_EQ(v, "1");
  EXPECT_FALSE(store.get("b", &v));
  std::vector<std::string> keys;
  store.for_each([&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c"}));
  std::filesystem::remove_all(dir);
}

TEST(RocksDbResources, BoundsMemoryOfManyStoresWithOneBudget) {
  std::string dir = temp_dir("budget");
  RocksDbResources resources(4 << 20);
  std::vector<std::unique_ptr<RocksDbStore>> stores;
  for (int i = 0; i < 8; ++i) {
    stores.push_back(std::make_unique<RocksDbStore>("s" + std::to_string(i),
                                                    dir + "/s" + std::to_string(i), resources));
  }
  std::string value(1000, 'v');
  for (int i = 0; i < 20000; ++i) stores[i % 8]->put("key" + std::to_string(i), value);
  // 20 MB written; the shared cache charges memtables and stays near its budget.
  EXPECT_LT(resources.usage_bytes(), size_t{8} << 20);
  // Nothing was read, so what the cache holds is the memtables' charge: eight
  // stores' unflushed writes, over a megabyte.
  EXPECT_GT(resources.write_buffer_manager()->memory_usage(), size_t{1} << 20);
  EXPECT_GE(resources.usage_bytes(), resources.write_buffer_manager()->memory_usage())
      << "memtables are not charged to the shared cache";
  stores.clear();
  std::filesystem::remove_all(dir);
}

TEST(RocksDbResources, HandsRocksDbWarningsToTheSinkAndWritesNoLogFile) {
  std::string dir = temp_dir("logger");
  std::vector<std::string> lines;
  RocksDbResources resources(8 << 20, [&](std::string_view line) { lines.emplace_back(line); });
  {
    RocksDbStore store("s", dir + "/s", resources);
    store.put("a", "1");
  }
  // Opening dumps options and logs progress at info level: none of it reaches
  // the sink, and no store has a LOG file of its own.
  EXPECT_TRUE(lines.empty()) << lines.front();
  EXPECT_FALSE(std::filesystem::exists(dir + "/s/LOG"));
  rocksdb::Header(resources.logger(), "header %d", 0);
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, resources.logger(), "info %d", 1);
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, resources.logger(), "warning %d", 2);
  rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, resources.logger(), "error %s", "three");
  EXPECT_EQ(lines, (std::vector<std::string>{"warning 2", "error three"}));
  std::filesystem::remove_all(dir);
}

class RecordingWriter : public ChangelogWriter {
 public:
  void log(std::string_view key, const std::string_view* value, int64_t ts) override {
    records.push_back({std::string(key), value ? std::string(*value) : "<null>", ts});
  }
  struct Rec {
    std::string key, value;
    int64_t ts;
  };
  std::vector<Rec> records;
};

TEST(ChangeloggingStore, LogsEveryPutAndDeleteWithTheRecordTimestamp) {
  std::string dir = temp_dir("log");
  RocksDbResources resources(8 << 20);
  RecordingWriter writer;
  RecordTime time;
  ChangeloggingStore store(std::make_unique<RocksDbStore>("s", dir + "/s", resources), writer,
                           time);
  time.timestamp = 7;
  store.put("k", "v");
  time.timestamp = 8;
  store.remove("k");
  ASSERT_EQ(writer.records.size(), 2u);
  EXPECT_EQ(writer.records[0].value, "v");
  EXPECT_EQ(writer.records[0].ts, 7);
  EXPECT_EQ(writer.records[1].value, "<null>");
  EXPECT_EQ(writer.records[1].ts, 8);
  std::string v;
  EXPECT_FALSE(store.get("k", &v));
  std::filesystem::remove_all(dir);
}

TEST(CheckpointFile, RoundTripsOffsetsAndTreatsGarbageAsMissing) {
  std::string dir = temp_dir("ckpt");
  CheckpointFile file(dir + "/.checkpoint");
  EXPECT_TRUE(file.read().empty());
  ChangelogOffsets offsets{{{"app-store-changelog", 0}, 42}, {{"app-store-changelog", 3}, 7}};
  file.write(offsets);
  EXPECT_EQ(file.read(), offsets);
  {
    std::ofstream out(dir + "/.checkpoint", std::ios::trunc);
    out << "garbage";
  }
  std::string warning;
  EXPECT_TRUE(file.read(&warning).empty());
  EXPECT_FALSE(warning.empty());
  std::filesystem::remove_all(dir);
}

TEST(TaskDirectory, AllowsOneHolderAtATime) {
  std::string dir = temp_dir("lock");
  std::string error;
  auto first = TaskDirectory::lock(dir + "/0_1", &error);
  ASSERT_TRUE(first) << error;
  // flock is per open file description: a second open conflicts even in-process.
  auto second = TaskDirectory::lock(dir + "/0_1", &error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("locked"), std::string::npos);
  first.reset();
  auto third = TaskDirectory::lock(dir + "/0_1", &error);
  EXPECT_TRUE(third);
  std::filesystem::remove_all(dir);
}

TEST(CheckpointNeeded, WaitsForEnoughRecordsUnlessEnforced) {
  ChangelogOffsets written{{{"c", 0}, 100}, {{"d", 0}, 50}};
  ChangelogOffsets little{{{"c", 0}, 5000}, {{"d", 0}, 50}};
  ChangelogOffsets enough{{{"c", 0}, 5000}, {{"d", 0}, 5150}};
  EXPECT_FALSE(checkpoint_needed(written, little, false, 10000));
  EXPECT_TRUE(checkpoint_needed(written, enough, false, 10000)) << "deltas add up over partitions";
  EXPECT_TRUE(checkpoint_needed(written, little, true, 10000)) << "closing writes any change";
  EXPECT_FALSE(checkpoint_needed(written, written, true, 10000))
      << "nothing changed, nothing written";
  EXPECT_FALSE(checkpoint_needed(written, {}, true, 10000));
  EXPECT_TRUE(checkpoint_needed({}, ChangelogOffsets{{{"c", 0}, 10000}}, false, 10000))
      << "no checkpoint yet: counted from offset 0";
}

}  // namespace
}  // namespace brook::state
