#include "state/rocksdb_store.h"

#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <filesystem>

namespace brook::state {
namespace {}  // namespace

void check(const rocksdb::Status& s, const std::string& store, const char* what) {
  if (!s.ok()) {
    throw StateStoreError("state store '" + store + "': " + what + " failed: " + s.ToString());
  }
}

void create_store_directory(const std::string& store, const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    throw StateStoreError("state store '" + store + "': cannot create " + path + ": " +
                          ec.message());
  }
}

namespace {
rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
}  // namespace

rocksdb::Options RocksDbStore::options(const RocksDbResources& resources) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.write_buffer_manager = resources.write_buffer_manager();
  // Memtables are sized from the shared budget, and their arena blocks kept
  // small, so that many stores (one per task) fit a small budget.
  options.write_buffer_size =
      std::clamp<size_t>(resources.budget_bytes() / 8, 256u << 10, 8u << 20);
  options.arena_block_size = 64u << 10;
  options.max_write_buffer_number = 2;
  options.max_open_files = -1;
  // A task's stores open on their own thread (StreamThread opens an assignment's
  // tasks concurrently); RocksDB's default starts 16 threads per open to load
  // table files, even for an empty store.
  options.max_file_opening_threads = 1;
  options.info_log = resources.logger();
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = resources.block_cache();
  table.cache_index_and_filter_blocks = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

RocksDbStore::RocksDbStore(std::string name, std::string path, const RocksDbResources& resources)
    : name_(std::move(name)), path_(std::move(path)), resources_(resources) {
  open();
}

void RocksDbStore::open() {
  create_store_directory(name_, path_);
  rocksdb::DB* db = nullptr;
  check(rocksdb::DB::Open(options(resources_), path_, &db), name_, "open");
  db_.reset(db);
}

void RocksDbStore::wipe() {
  close();
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec)
    throw StateStoreError("state store '" + name_ + "': cannot delete " + path_ + ": " +
                          ec.message());
  open();
}

RocksDbStore::~RocksDbStore() { close(); }

bool RocksDbStore::get(std::string_view key, std::string* value) {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), slice(key), value);
  if (s.IsNotFound()) return false;
  check(s, name_, "get");
  return true;
}

void RocksDbStore::put(std::string_view key, std::string_view value) {
  check(db_->Put(rocksdb::WriteOptions(), slice(key), slice(value)), name_, "put");
}

void RocksDbStore::remove(std::string_view key) {
  check(db_->Delete(rocksdb::WriteOptions(), slice(key)), name_, "delete");
}

void RocksDbStore::scan(const KeyRange& range, const EntryFn& fn) {
  rocksdb::ReadOptions options;
  rocksdb::Slice upper;
  if (range.to) {
    // RocksDB stops at the bound itself, without reading what lies past it.
    upper = slice(*range.to);
    options.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  if (range.from) {
    it->Seek(slice(*range.from));
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid(); it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  check(it->status(), name_, "iterate");
}

void RocksDbStore::remove_range(const KeyRange& range) {
  if (!range.to) {
    KeyValueBytesStore::remove_range(range);
    return;
  }
  std::string from = range.from.value_or(std::string());
  if (from >= *range.to) return;
  check(db_->DeleteRange(rocksdb::WriteOptions(), db_->DefaultColumnFamily(), slice(from),
                         slice(*range.to)),
        name_, "delete a range");
}

uint64_t RocksDbStore::approximate_num_entries() {
  uint64_t n = 0;
  db_->GetIntProperty("rocksdb.estimate-num-keys", &n);
  return n;
}

void RocksDbStore::flush() {
  // Nothing to do: every write that returned is in the WAL (written through to the
  // OS on each write), which survives the process being killed. Forcing memtable
  // flushes on every commit would cost far more than it buys.
}

void RocksDbStore::close() {
  if (!db_) return;
  db_->Close().PermitUncheckedError();
  db_.reset();
}

}  // namespace brook::state
