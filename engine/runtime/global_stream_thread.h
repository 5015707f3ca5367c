// GlobalStreamThread: the global stores of one KafkaStreams instance (a
// GlobalKTable each) — every partition of each store's topic, on every
// instance. start() opens the stores and restores them from their topics,
// from their checkpoint (persistent stores) up to the topics' ends, before
// any stream thread processes; then the thread keeps them current as records
// arrive, checkpointing every commit interval and at shutdown (Kafka Streams'
// GlobalStreamThread). Stream threads read the stores concurrently (each is a
// SynchronizedStore). A record that the table's serdes cannot read is logged,
// counted and skipped; a null key is skipped; a null value deletes the key.
// Owned by KafkaStreams; start() and shutdown() from its thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "brook/status.h"
#include "brook/topic_partition.h"
#include "engine/kafka/kafka_client.h"
#include "engine/runtime/runtime_context.h"
#include "state/key_value_bytes_store.h"

namespace brook {

// Applies a record of a global store's topic to it: put with its timestamp,
// delete for a null value, nothing for a null key. False when the table's
// serdes cannot read the value (the record is skipped).
bool apply_global_record(const Topology::GlobalStoreDef& def, state::KeyValueBytesStore& store,
                         const RawRecord& raw);

class GlobalStreamThread {
 public:
  explicit GlobalStreamThread(const RuntimeContext& rt) : rt_(rt) {}
  ~GlobalStreamThread();

  // Opens and restores the stores (blocking), then starts the thread.
  Status start();
  // Stops the thread, checkpoints and closes the stores.
  void shutdown();
  // The stores by name, for the tasks (valid from start() to shutdown()).
  const std::map<std::string, state::KeyValueBytesStore*>& stores() const { return views_; }
  // What stopped the thread, if something did.
  std::string error() const;

 private:
  void run();
  // Polls once; applies what arrived. Returns false on a fatal error.
  bool poll(int timeout_ms);
  void apply(const rd_kafka_message_t* m);
  void checkpoint();

  const RuntimeContext& rt_;
  struct Store {
    const Topology::GlobalStoreDef* def;
    std::unique_ptr<state::KeyValueBytesStore> store;  // synchronized
  };
  std::map<std::string, Store> by_topic_;  // topic -> its store
  std::map<std::string, state::KeyValueBytesStore*> views_;
  kafka::Handle consumer_;
  rd_kafka_queue_t* queue_ = nullptr;  // the consumer's queue, polled by poll()
  TopicPartitionOffsets positions_;    // next offset to apply, per partition
  std::string checkpoint_path_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string error_;
};

}  // namespace brook
