#include "state/key_value_store_builder.h"

#include "state/caching_store.h"
#include "state/changelogging_store.h"
#include "state/in_memory_store.h"
#include "state/metered_store.h"
#include "state/rocksdb_store.h"
#include "state/segmented_store.h"
#include "state/transactional_rocksdb_store.h"

namespace brook::state {

std::unique_ptr<KeyValueBytesStore> KeyValueStoreBuilder::open() const {
  if (!resources_) return std::make_unique<InMemoryStore>(name_);
  if (staging_) return std::make_unique<TransactionalRocksDbStore>(name_, path_, *resources_);
  return std::make_unique<RocksDbStore>(name_, path_, *resources_);
}

std::unique_ptr<KeyValueBytesStore> KeyValueStoreBuilder::stack(
    std::unique_ptr<KeyValueBytesStore> store, CachingStore** cache) const {
  if (cache) *cache = nullptr;
  if (time_of_) {
    store = std::make_unique<SegmentedStore>(std::move(store), time_of_, segments_, retention_ms_);
  }
  if (writer_) store = std::make_unique<ChangeloggingStore>(std::move(store), *writer_, *time_);
  if (cache_ && cache_->enabled()) {
    auto caching = std::make_unique<CachingStore>(std::move(store), *cache_, *time_);
    if (cache) *cache = caching.get();
    store = std::move(caching);
  }
  if (registry_) store = std::make_unique<MeteredStore>(std::move(store), *registry_, tags_);
  return store;
}

}  // namespace brook::state
