#include "engine/runtime/global_stream_thread.h"

#include <chrono>
#include <filesystem>

#include "engine/common/log.h"
#include "engine/kafka/group_consumer.h"
#include "engine/runtime/task_manager.h"
#include "state/checkpoint_file.h"
#include "state/in_memory_store.h"
#include "state/rocksdb_store.h"
#include "state/synchronized_store.h"

namespace brook {

GlobalStreamThread::~GlobalStreamThread() { shutdown(); }

std::string GlobalStreamThread::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

Status GlobalStreamThread::start() {
  const auto& defs = rt_.topology->global_stores();
  std::string dir = rt_.state_dir + "/global";
  checkpoint_path_ = dir + "/.checkpoint";
  std::vector<std::string> topics;
  try {
    for (const auto& def : defs) {
      std::unique_ptr<state::KeyValueBytesStore> bottom;
      if (def.persistent && !rt_.task_options.in_memory_stores) {
        state::create_store_directory(def.name, dir + "/" + def.name);
        bottom =
            std::make_unique<state::RocksDbStore>(def.name, dir + "/" + def.name, *rt_.rocksdb);
      } else {
        bottom = std::make_unique<state::InMemoryStore>(def.name);
      }
      auto store = std::make_unique<state::SynchronizedStore>(std::move(bottom));
      views_[def.name] = store.get();
      by_topic_[def.topic] = Store{&def, std::move(store)};
      topics.push_back(def.topic);
    }
  } catch (const std::exception& e) {
    return Status::error(std::string("global stores: ") + e.what());
  }
  std::map<std::string, std::string> props = rt_.config.client_properties(true);
  props["client.id"] = rt_.config.application_id() + "-GlobalStreamThread";
  props["group.id"] = rt_.config.application_id() + "-global";  // never joined: assign only
  props["enable.auto.commit"] = "false";
  // The end of a partition moves its position past what is never delivered
  // (transaction markers, aborted records).
  props["enable.partition.eof"] = "true";
  props["isolation.level"] = "read_committed";
  kafka::Conf conf;
  Status s = kafka::make_conf(props, &conf);
  if (s) s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &consumer_);
  if (!s) return s;
  std::map<std::string, int> counts;
  s = kafka::partition_counts(consumer_.get(), topics, &counts);
  if (!s) return s;
  // Persistent stores resume from their checkpoint; the others restore whole.
  std::string warning;
  TopicPartitionOffsets checkpointed = state::CheckpointFile(checkpoint_path_).read(&warning);
  if (!warning.empty()) log::warn("global stores: {}", warning);
  TopicPartitionOffsets ends;
  for (const std::string& t : topics) {
    if (!counts.count(t)) {
      return Status::error("global table topic " + t +
                           " does not exist; create it before starting");
    }
    bool persistent = by_topic_.at(t).def->persistent && !rt_.task_options.in_memory_stores;
    for (int32_t p = 0; p < counts[t]; ++p) {
      int64_t low = 0, high = 0;
      s = kafka::watermarks(consumer_.get(), t, p, &low, &high);
      if (!s) return s;
      TopicPartition tp{t, p};
      auto c = checkpointed.find(tp);
      positions_[tp] = persistent && c != checkpointed.end() ? std::max(c->second, low) : low;
      ends[tp] = high;
    }
  }
  queue_ = rd_kafka_queue_get_consumer(consumer_.get());
  rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), to_partition_list(positions_).get());
  if (err)
    return Status::error(std::string("global stores: cannot assign: ") + rd_kafka_err2str(err));
  // Restore: up to each partition's end as it was at start.
  auto began = std::chrono::steady_clock::now();
  int64_t restored = 0;
  for (;;) {
    bool behind = false;
    for (const auto& [tp, end] : ends) behind = behind || positions_[tp] < end;
    if (!behind) break;
    int64_t before = 0;
    for (const auto& [tp, pos] : positions_) before += pos;
    if (!poll(500)) return Status::error("global stores: " + error());
    int64_t after = 0;
    for (const auto& [tp, pos] : positions_) after += pos;
    restored += after - before;
  }
  checkpoint();
  log::info("global stores restored ({} records in {} ms)", restored,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  began)
                .count());
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void GlobalStreamThread::run() {
  auto last_checkpoint = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    if (!poll(100)) {
      log::error("global stream thread stopped: {}", error());
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_checkpoint >= std::chrono::milliseconds(rt_.config.commit_interval_ms())) {
      checkpoint();
      last_checkpoint = now;
    }
  }
}

bool GlobalStreamThread::poll(int timeout_ms) {
  rd_kafka_message_t* batch[500];
  ssize_t n = rd_kafka_consume_batch_queue(queue_, timeout_ms, batch, 500);
  bool ok = true;
  for (ssize_t i = 0; i < n; ++i) {
    kafka::Message m(batch[i]);
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        int64_t& pos = positions_[TopicPartition{rd_kafka_topic_name(m->rkt), m->partition}];
        pos = std::max(pos, m->offset);
        continue;
      }
      if (!kafka::retriable(m->err)) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = rd_kafka_message_errstr(m.get());
        ok = false;
      }
      continue;
    }
    apply(m.get());
  }
  return ok;
}

bool apply_global_record(const Topology::GlobalStoreDef& def, state::KeyValueBytesStore& store,
                         const RawRecord& raw) {
  if (!raw.key) return true;  // a null key has no place in a table
  std::string_view key(raw.key, raw.key_size);
  if (!raw.value) {
    store.remove(key);
    return true;
  }
  if (def.accepts && !def.accepts(raw)) return false;
  std::string value;
  value.reserve(8 + raw.value_size);
  for (int i = 7; i >= 0; --i) {
    value.push_back(static_cast<char>((static_cast<uint64_t>(raw.timestamp) >> (8 * i)) & 0xff));
  }
  value.append(raw.value, raw.value_size);
  store.put(key, value);
  return true;
}

void GlobalStreamThread::apply(const rd_kafka_message_t* m) {
  std::string topic = rd_kafka_topic_name(m->rkt);
  positions_[TopicPartition{topic, m->partition}] = m->offset + 1;
  auto it = by_topic_.find(topic);
  if (it == by_topic_.end()) return;
  RawRecord raw = to_raw(topic, m, nullptr);
  if (!apply_global_record(*it->second.def, *it->second.store, raw)) {
    rt_.metrics->deserialization_errors_total.fetch_add(1, std::memory_order_relaxed);
    log::warn("global table {}: skipping record {}-{}@{}: cannot deserialize it",
              it->second.def->name, topic, m->partition, m->offset);
  }
}

void GlobalStreamThread::checkpoint() {
  bool any_persistent = false;
  for (auto& [topic, s] : by_topic_) {
    s.store->flush();
    any_persistent = any_persistent || (s.def->persistent && !rt_.task_options.in_memory_stores);
  }
  if (!any_persistent) return;
  try {
    state::CheckpointFile(checkpoint_path_).write(positions_);
  } catch (const std::exception& e) {
    log::warn("global stores: cannot write their checkpoint: {}", e.what());
  }
}

void GlobalStreamThread::shutdown() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    checkpoint();
    if (queue_) rd_kafka_queue_destroy(queue_);
    queue_ = nullptr;
    rd_kafka_consumer_close(consumer_.get());
    consumer_.reset();
  }
  for (auto& [topic, s] : by_topic_) s.store->close();
  by_topic_.clear();
}

}  // namespace brook
