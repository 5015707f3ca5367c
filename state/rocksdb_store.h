// RocksDbStore: a KeyValueBytesStore in its own RocksDB instance under the task's
// directory (<state.dir>/<application.id>/<task id>/<store>/). The write-ahead log
// stays on (without fsync): a process killed at any instant keeps every write that
// returned, so a checkpoint written after a commit never runs ahead of the store.
// One per task and store; not thread-safe.
#pragma once

#include <memory>

#include "state/key_value_bytes_store.h"
#include "state/rocksdb_resources.h"

#include <rocksdb/options.h>

namespace rocksdb {
class DB;
class Status;
}  // namespace rocksdb

namespace brook::state {

class RocksDbStore final : public BottomStore {
 public:
  // Opens (creating if needed) the database at `path`; throws StateStoreError.
  RocksDbStore(std::string name, std::string path, const RocksDbResources& resources);
  ~RocksDbStore() override;

  const std::string& name() const override { return name_; }
  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void remove(std::string_view key) override;
  void scan(const KeyRange& range, const EntryFn& fn) override;
  // One range tombstone (DeleteRange) when the range is bounded above.
  void remove_range(const KeyRange& range) override;
  uint64_t approximate_num_entries() override;
  void flush() override;
  // Closes the database, deletes its files and opens it empty.
  void wipe() override;
  void close() override;

  // Options shared by every RocksDB store of brook: the process budget's cache
  // and write-buffer manager, memtables sized from it.
  static rocksdb::Options options(const RocksDbResources& resources);

 private:
  void open();

  std::string name_;
  std::string path_;
  const RocksDbResources& resources_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Throws StateStoreError naming the store and the operation when `s` failed.
void check(const rocksdb::Status& s, const std::string& store, const char* what);
// Creates a store's directory (and its parents); throws StateStoreError naming
// the store when it cannot.
void create_store_directory(const std::string& store, const std::string& path);

}  // namespace brook::state
