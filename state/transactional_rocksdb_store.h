// TransactionalRocksDbStore: a RocksDB store for exactly-once processing. Writes
// since the last commit are staged in a WriteBatchWithIndex that reads and
// iteration see through; commit() applies them in one atomic RocksDB write
// together with the changelog offsets they correspond to (kept in a metadata
// column family), abort() throws them away. The engine commits only after the
// Kafka transaction holding the same writes' changelog records has committed,
// so after a crash at any instant the database holds exactly a committed state
// and knows which changelog offset it reflects: restoration replays only the
// tail of the changelog past it.
// One per task and store; not thread-safe.
#pragma once

#include <map>
#include <memory>

#include "state/checkpoint_file.h"
#include "state/key_value_bytes_store.h"
#include "state/rocksdb_resources.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace brook::state {

class TransactionalRocksDbStore final : public BottomStore {
 public:
  // Opens (creating if needed) the database at `path`; throws StateStoreError.
  TransactionalRocksDbStore(std::string name, std::string path, const RocksDbResources& resources);
  ~TransactionalRocksDbStore() override;

  const std::string& name() const override { return name_; }
  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void remove(std::string_view key) override;
  void scan(const KeyRange& range, const EntryFn& fn) override;
  uint64_t approximate_num_entries() override;
  void flush() override {}
  // (restore() stages like any write; the commit that ends the restore slice
  // applies it.)
  bool transactional() const override { return true; }
  // Drops the staged writes, deletes the database and opens it empty.
  void wipe() override;
  void close() override;
  void discard() override { abort(); }

  // Applies the staged writes and records `offsets` (changelog topic/partition
  // -> next offset) in one atomic write.
  void commit(const TopicPartitionOffsets& offsets) override;
  // Discards the staged writes.
  void abort();
  size_t staged_writes() const;
  // The changelog offsets of the last commit.
  TopicPartitionOffsets committed_offsets() override;

 private:
  void open();

  std::string name_;
  std::string path_;
  const RocksDbResources& resources_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* data_ = nullptr;  // owned by db_
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;  // owned by db_
  std::unique_ptr<rocksdb::WriteBatchWithIndex> batch_;
  size_t staged_ = 0;
};

}  // namespace brook::state
