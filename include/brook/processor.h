// The Processor API: what every node of a topology implements, the DSL's nodes
// included. A Processor<KIn,VIn,KOut,VOut> receives Record<KIn,VIn> and forwards
// Record<KOut,VOut> through its ProcessorContext; types are checked at compile
// time and nothing on the data path is type-erased.
//
// Lifecycle: a Topology holds node *definitions* only, immutable once built. Each
// task creates its own node instances (and so its own Processor objects and
// state), calls init() once, process() per record, close() when the task closes.
// A task runs on one stream thread: processors need no locking.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/record.h"
#include "brook/serde.h"
#include "engine/api/node.h"

namespace brook {

template <class KOut, class VOut>
class ProcessorContext;

// What a user implements for the low-level API.
template <class KIn, class VIn, class KOut = KIn, class VOut = VIn>
class Processor {
 public:
  virtual ~Processor() = default;
  virtual void init(ProcessorContext<KOut, VOut>& context) {}
  virtual void process(const Record<KIn, VIn>& record) = 0;
  virtual void close() {}
};

template <class K, class V, class KS, class VS>
class KeyValueStore;

// What a punctuation follows: the task's stream time (it fires as records
// move stream time past each interval, first at the first record), or
// wall-clock time (every interval from when it was scheduled).
enum class PunctuationType { kStreamTime, kWallClockTime };

// Stops a scheduled punctuation (ProcessorContext::schedule).
class Cancellable {
 public:
  explicit Cancellable(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  void cancel() { *cancelled_ = true; }

 private:
  std::shared_ptr<bool> cancelled_;
};

// Given to Processor::init; valid until close(). Not thread-safe.
template <class KOut, class VOut>
class ProcessorContext {
 public:
  ProcessorContext(Emitter<KOut, VOut>& emitter, TaskContext& task)
      : emitter_(emitter), task_(task) {}

  void forward(const Record<KOut, VOut>& record) { emitter_.forward(record); }

  // The named store, typed, with the serdes KS and VS; the store must be
  // connected to this processor.
  template <class K, class V, class KS = Serde<K>, class VS = Serde<V>>
  KeyValueStore<K, V, KS, VS> key_value_store(const std::string& name);

  const std::string& application_id() const { return task_.application_id(); }
  const std::string& task_id() const { return task_.task_id(); }
  int32_t partition() const { return task_.partition(); }
  int64_t current_stream_time() const { return task_.stream_time(); }
  std::optional<RecordMetadata> record_metadata() const {
    const RecordMetadata* m = task_.record_metadata();
    return m ? std::optional<RecordMetadata>(*m) : std::nullopt;
  }
  void commit() { task_.request_commit(); }
  // Calls punctuator(time) every `interval` of stream or wall-clock time (as
  // Kafka Streams' ProcessorContext#schedule): time is the stream time, or
  // the wall-clock time, when it fires. It may forward and use stores.
  Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                       std::function<void(int64_t time)> punctuator) {
    return Cancellable(task_.schedule(interval.count(), type == PunctuationType::kStreamTime,
                                      std::move(punctuator)));
  }

 private:
  Emitter<KOut, VOut>& emitter_;
  TaskContext& task_;
};

}  // namespace brook

#include "brook/key_value_store.h"

namespace brook {
template <class KOut, class VOut>
template <class K, class V, class KS, class VS>
KeyValueStore<K, V, KS, VS> ProcessorContext<KOut, VOut>::key_value_store(const std::string& name) {
  return KeyValueStore<K, V, KS, VS>(task_.store(name), task_.record_cache(name));
}
}  // namespace brook
