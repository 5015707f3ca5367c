#include "engine/runtime/state_manager.h"

#include <filesystem>
#include <fstream>

#include "engine/common/log.h"
#include "engine/kafka/topic_names.h"
#include "engine/runtime/task_options.h"
#include "state/changelogging_store.h"
#include "state/key_value_store_builder.h"
#include "state/session_bytes_store.h"
#include "state/window_bytes_store.h"

namespace brook {

// Sends a store's writes to its changelog partition (the task's partition).
class ProcessorStateManager::Writer final : public state::ChangelogWriter {
 public:
  Writer(RecordCollector& collector, std::string topic, int32_t partition)
      : collector_(collector), topic_(std::move(topic)), partition_(partition) {}
  void log(std::string_view key, const std::string_view* value, int64_t timestamp) override {
    OutgoingRecord r;
    r.topic = topic_;
    r.key = key;
    if (value) r.value = *value;
    r.timestamp = timestamp;
    collector_.send(r, partition_);
  }

 private:
  RecordCollector& collector_;
  std::string topic_;
  int32_t partition_;
};

struct ProcessorStateManager::StoreStack {
  explicit StoreStack(const std::string& name) : builder(name) {}
  const Topology::StoreDef* def = nullptr;
  state::KeyValueStoreBuilder builder;
  std::unique_ptr<Writer> writer;
  std::unique_ptr<state::KeyValueBytesStore> opened;  // the bottom, until stacked
  std::unique_ptr<state::KeyValueBytesStore> top;
  state::CachingStore* cache = nullptr;  // the record-cache layer of `top`, if any
  // The one window or session view of `top` every node of the task shares,
  // so that retention is kept by the latest time any of them wrote.
  std::unique_ptr<state::WindowBytesStore> window_view;
  std::unique_ptr<state::SessionBytesStore> session_view;
};

ProcessorStateManager::ProcessorStateManager(TaskId id, const Topology& topology,
                                             const std::vector<std::string>& store_names,
                                             const TaskOptions& options,
                                             std::unique_ptr<state::TaskDirectory> directory,
                                             const state::RocksDbResources* rocksdb,
                                             state::ThreadCache& cache,
                                             state::RecordTime& record_time, Metrics& metrics)
    : id_(id),
      id_str_(id.str()),
      topology_(topology),
      store_names_(store_names),
      options_(options),
      directory_(std::move(directory)),
      rocksdb_(rocksdb),
      cache_(cache),
      record_time_(record_time),
      metrics_(metrics) {}

ProcessorStateManager::~ProcessorStateManager() = default;

// Stores written under one guarantee cannot be trusted under the other: an
// at-least-once store may hold writes that were never logged (a crash before
// their commit), which exactly-once would keep for good; an exactly-once store
// carries its offsets in a column family that an at-least-once store does not
// open. So a task directory names the guarantee its stores were written under,
// and stores from another — or from before brook wrote that name — are wiped
// and restored from their changelogs.
void ProcessorStateManager::check_guarantee_of_directory() {
  if (!directory_) return;
  const char* wanted = options_.exactly_once ? "exactly_once_v2" : "at_least_once";
  std::string marker = directory_->path() + "/.guarantee";
  std::string found;
  if (std::ifstream in(marker); in) std::getline(in, found);
  if (found == wanted) return;
  bool any = false;
  for (const std::string& name : store_names_) {
    std::error_code ec;
    any |= std::filesystem::exists(directory_->store_path(name), ec);
  }
  if (any) {
    log::warn(
        "task {}: its stores were written under {}; under {} they are wiped and restored "
        "from their changelogs",
        id_str_, found.empty() ? "an unknown guarantee" : found, wanted);
    for (const std::string& name : store_names_) {
      std::filesystem::remove_all(directory_->store_path(name));
    }
    state::CheckpointFile(directory_->checkpoint_path()).remove();
  }
  std::ofstream out(marker, std::ios::trunc);
  out << wanted << "\n";
  if (!out) throw state::StateStoreError("task " + id_str_ + ": cannot write " + marker);
}

void ProcessorStateManager::open_stores() {
  if (stores_open_) return;
  check_guarantee_of_directory();
  for (const std::string& name : store_names_) {
    auto stack = std::make_unique<StoreStack>(name);
    stack->def = topology_.find_store(name);
    if (!stack->def) throw TopologyError("store '" + name + "' is not defined");
    if (stack->def->persistent && !options_.in_memory_stores) {
      if (!directory_ || !rocksdb_) throw std::logic_error("persistent store without a directory");
      stack->builder.persistent(directory_->store_path(name), *rocksdb_, options_.exactly_once);
    }
    try {
      stack->opened = stack->builder.open();
    } catch (const state::StateStoreError& e) {
      throw state::StateStoreError("task " + id_str_ + ": " + e.what());
    }
    stores_[name] = std::move(stack);
  }
  stores_open_ = true;
}

void ProcessorStateManager::initialize(RecordCollector& collector) {
  open_stores();
  TopicPartitionOffsets checkpoint;
  if (directory_ && !options_.exactly_once) {
    std::string warning;
    checkpoint = state::CheckpointFile(directory_->checkpoint_path()).read(&warning);
    if (!warning.empty()) log::warn("task {}: {}", id_str_, warning);
  } else if (directory_) {
    // Under exactly-once the stores carry their own offsets; a checkpoint left by
    // an at-least-once run says nothing about what they hold.
    state::CheckpointFile(directory_->checkpoint_path()).remove();
  }
  for (const std::string& name : store_names_) {
    StoreStack* stack = stores_.at(name).get();
    if (stack->opened->transactional()) {
      for (const auto& [tp, offset] : stack->opened->committed_offsets()) checkpoint[tp] = offset;
    }
    if (stack->def->logging) {
      std::string topic = changelog_topic(options_.application_id, name);
      stack->writer = std::make_unique<Writer>(collector, topic, id_.partition);
      stack->builder.logged(*stack->writer, record_time_);
      changelogs_.push_back(Changelog{name, topic, id_.partition});
      // Only a persistent store keeps what a checkpoint says it has.
      auto it = checkpoint.find({topic, id_.partition});
      if (stack->builder.is_persistent() && it != checkpoint.end()) {
        changelog_offsets_[it->first] = it->second;
      }
    }
    if (stack->def->type != Topology::StoreType::kKeyValue) {
      stack->builder.segmented(
          stack->def->type == Topology::StoreType::kWindow ? &state::WindowKeySchema::time_of
                                                           : &state::SessionKeySchema::time_of,
          state::TimeSegments{stack->def->segment_interval_ms}, stack->def->retention_ms);
    }
    if (stack->def->caching) stack->builder.cached(cache_, record_time_);
    if (metrics_.recording_level == RecordingLevel::kDebug) {
      stack->builder.metered(metrics_.registry, {{"task-id", id_str_}, {"store-name", name}});
    }
    stack->top = stack->builder.stack(std::move(stack->opened), &stack->cache);
  }
}

state::KeyValueBytesStore& ProcessorStateManager::store(const std::string& name) {
  auto it = stores_.find(name);
  if (it == stores_.end() && options_.global_stores) {
    auto g = options_.global_stores->find(name);
    if (g != options_.global_stores->end()) return *g->second;
  }
  if (it == stores_.end()) {
    throw std::logic_error("store '" + name + "' is not connected to task " + id_str_);
  }
  return *it->second->top;
}

state::CachingStore* ProcessorStateManager::record_cache(const std::string& name) {
  store(name);                               // throws for a store not connected
  if (!stores_.count(name)) return nullptr;  // a global store
  return stores_.at(name)->cache;
}

state::WindowBytesStore& ProcessorStateManager::window_store(const std::string& name) {
  StoreStack& s = *stores_.at((store(name), name));
  if (s.def->type != Topology::StoreType::kWindow) {
    throw std::logic_error("store '" + name + "' is not a window store");
  }
  if (!s.window_view) {
    s.window_view = std::make_unique<state::WindowBytesStore>(
        *s.top, state::TimeSegments{s.def->segment_interval_ms}, s.def->retention_ms);
  }
  return *s.window_view;
}

state::SessionBytesStore& ProcessorStateManager::session_store(const std::string& name) {
  StoreStack& s = *stores_.at((store(name), name));
  if (s.def->type != Topology::StoreType::kSession) {
    throw std::logic_error("store '" + name + "' is not a session store");
  }
  if (!s.session_view) {
    s.session_view = std::make_unique<state::SessionBytesStore>(
        *s.top, state::TimeSegments{s.def->segment_interval_ms}, s.def->retention_ms);
  }
  return *s.session_view;
}

state::KeyValueBytesStore& ProcessorStateManager::restore_target(const std::string& store) {
  return *stores_.at(store)->top;
}

void ProcessorStateManager::wipe_store(const std::string& name) {
  StoreStack& s = *stores_.at(name);
  if (!s.builder.is_persistent()) return;
  // In place: the task's nodes hold the stack.
  s.top->wipe();
  std::string topic = changelog_topic(options_.application_id, name);
  for (auto it = changelog_offsets_.begin(); it != changelog_offsets_.end();) {
    it = it->first.topic == topic ? changelog_offsets_.erase(it) : std::next(it);
  }
}

void ProcessorStateManager::set_changelog_offset(const TopicPartition& changelog,
                                                 int64_t next_offset) {
  changelog_offsets_[changelog] = next_offset;
}

void ProcessorStateManager::advance_changelog_offset(const TopicPartition& changelog,
                                                     int64_t next_offset) {
  int64_t& offset = changelog_offsets_[changelog];
  offset = std::max(offset, next_offset);
}

void ProcessorStateManager::flush() {
  for (auto& [name, s] : stores_) s->top->flush();
}

bool ProcessorStateManager::transactional(const std::string& store) const {
  auto it = stores_.find(store);
  return it != stores_.end() && it->second->top->transactional();
}

void ProcessorStateManager::commit_stores() {
  // Each store with the offsets of its own changelog (an unlogged store has
  // none, but may stage writes all the same).
  for (auto& [name, s] : stores_) {
    if (!s->top->transactional()) continue;
    TopicPartitionOffsets offsets;
    if (s->def->logging) {
      auto it =
          changelog_offsets_.find({changelog_topic(options_.application_id, name), id_.partition});
      if (it != changelog_offsets_.end()) offsets[it->first] = it->second;
    }
    s->top->commit(offsets);
  }
}

void ProcessorStateManager::write_checkpoint(bool enforce) {
  if (!directory_ || options_.exactly_once) return;
  state::ChangelogOffsets offsets;
  for (const Changelog& c : changelogs_) {
    if (!stores_.at(c.store)->builder.is_persistent()) continue;
    auto it = changelog_offsets_.find({c.topic, c.partition});
    if (it != changelog_offsets_.end()) offsets[it->first] = it->second;
  }
  if (!state::checkpoint_needed(checkpointed_, offsets, enforce, kCheckpointDelta)) return;
  state::CheckpointFile(directory_->checkpoint_path()).write(offsets);
  checkpointed_ = std::move(offsets);
}

void ProcessorStateManager::close(bool clean) {
  for (auto& [name, s] : stores_) {
    state::KeyValueBytesStore& store = s->top ? *s->top : *s->opened;
    // Unflushed cache entries and staged writes are dropped: the inputs that
    // produced them are not committed and will be processed again.
    if (!clean) store.discard();
    store.close();
  }
  stores_.clear();
  directory_.reset();
}

}  // namespace brook
