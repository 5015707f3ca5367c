#include "state/transactional_rocksdb_store.h"

#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <charconv>

#include "state/rocksdb_store.h"

namespace brook::state {
namespace {

constexpr const char* kMetaFamily = "brook-meta";
rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

std::string offset_key(const std::string& topic, int32_t partition) {
  return topic + '\0' + std::to_string(partition);
}

}  // namespace

TransactionalRocksDbStore::TransactionalRocksDbStore(std::string name, std::string path,
                                                     const RocksDbResources& resources)
    : name_(std::move(name)), path_(std::move(path)), resources_(resources) {
  open();
}

void TransactionalRocksDbStore::wipe() {
  close();
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec)
    throw StateStoreError("state store '" + name_ + "': cannot delete " + path_ + ": " +
                          ec.message());
  open();
}

void TransactionalRocksDbStore::open() {
  create_store_directory(name_, path_);
  staged_ = 0;
  rocksdb::Options options = RocksDbStore::options(resources_);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options)},
      {kMetaFamily, rocksdb::ColumnFamilyOptions(options)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  check(rocksdb::DB::Open(rocksdb::DBOptions(options), path_, families, &handles, &db), name_,
        "open");
  db_.reset(db);
  data_ = handles[0];
  meta_ = handles[1];
  batch_ = std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                          /*overwrite_key=*/true);
}

TransactionalRocksDbStore::~TransactionalRocksDbStore() { close(); }

bool TransactionalRocksDbStore::get(std::string_view key, std::string* value) {
  rocksdb::Status s =
      batch_->GetFromBatchAndDB(db_.get(), rocksdb::ReadOptions(), data_, slice(key), value);
  if (s.IsNotFound()) return false;
  check(s, name_, "get");
  return true;
}

void TransactionalRocksDbStore::put(std::string_view key, std::string_view value) {
  check(batch_->Put(data_, slice(key), slice(value)), name_, "stage put");
  ++staged_;
}

void TransactionalRocksDbStore::remove(std::string_view key) {
  check(batch_->Delete(data_, slice(key)), name_, "stage delete");
  ++staged_;
}

void TransactionalRocksDbStore::scan(const KeyRange& range, const EntryFn& fn) {
  // The staged writes over what is committed. The staged side knows no upper
  // bound: the loop checks it.
  std::unique_ptr<rocksdb::Iterator> it(
      batch_->NewIteratorWithBase(data_, db_->NewIterator(rocksdb::ReadOptions(), data_)));
  if (range.from) {
    it->Seek(slice(*range.from));
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid(); it->Next()) {
    if (range.past(it->key().ToStringView())) break;
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  check(it->status(), name_, "iterate");
}

uint64_t TransactionalRocksDbStore::approximate_num_entries() {
  uint64_t n = 0;
  db_->GetIntProperty(data_, "rocksdb.estimate-num-keys", &n);
  return n + staged_;
}

void TransactionalRocksDbStore::commit(const TopicPartitionOffsets& offsets) {
  for (const auto& [tp, offset] : offsets) {
    check(batch_->Put(meta_, offset_key(tp.topic, tp.partition), std::to_string(offset)), name_,
          "stage offset");
  }
  // One atomic write: the data and the offsets it corresponds to.
  check(db_->Write(rocksdb::WriteOptions(), batch_->GetWriteBatch()), name_, "commit");
  batch_->Clear();
  staged_ = 0;
}

void TransactionalRocksDbStore::abort() {
  batch_->Clear();
  staged_ = 0;
}

size_t TransactionalRocksDbStore::staged_writes() const { return staged_; }

TopicPartitionOffsets TransactionalRocksDbStore::committed_offsets() {
  ChangelogOffsets out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key = it->key().ToString();
    size_t zero = key.find('\0');
    int32_t partition = 0;
    int64_t offset = 0;
    std::string_view v = it->value().ToStringView();
    if (zero == std::string::npos ||
        std::from_chars(key.data() + zero + 1, key.data() + key.size(), partition).ec !=
            std::errc() ||
        std::from_chars(v.data(), v.data() + v.size(), offset).ec != std::errc()) {
      continue;
    }
    out[{key.substr(0, zero), partition}] = offset;
  }
  return out;
}

void TransactionalRocksDbStore::close() {
  if (!db_) return;
  batch_->Clear();
  db_->DestroyColumnFamilyHandle(data_);
  db_->DestroyColumnFamilyHandle(meta_);
  db_->Close().PermitUncheckedError();
  db_.reset();
}

}  // namespace brook::state
