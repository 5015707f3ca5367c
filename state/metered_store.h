// MeteredStore: the outermost layer of a store stack when metrics are recorded
// at DEBUG: counts and times every operation that passes through it (put,
// get, delete, range, flush, restore), in sensors named after Kafka Streams'
// store metrics and tagged with the store and its task. Typed reads and writes
// of objects held by a record cache go to the cache directly (the task hands
// typed stores its store's cache layer) and are not timed here. One per store; used on the task's
// thread only.
#pragma once

#include <chrono>
#include <memory>

#include "brook/metrics.h"
#include "state/wrapped_store.h"

namespace brook::state {

class MeteredStore final : public WrappedStore {
 public:
  MeteredStore(std::unique_ptr<KeyValueBytesStore> inner, MetricsRegistry& registry,
               const MetricTags& tags)
      : WrappedStore(std::move(inner)),
        put_(registry.sensor("put", tags)),
        get_(registry.sensor("get", tags)),
        delete_(registry.sensor("delete", tags)),
        range_(registry.sensor("range", tags)),
        flush_(registry.sensor("flush", tags)),
        restore_(registry.sensor("restore", tags)) {}

  bool get(std::string_view key, std::string* value) override {
    Timer t(get_);
    return inner_->get(key, value);
  }
  void put(std::string_view key, std::string_view value) override {
    Timer t(put_);
    inner_->put(key, value);
  }
  void remove(std::string_view key) override {
    Timer t(delete_);
    inner_->remove(key);
  }
  void scan(const KeyRange& range, const EntryFn& fn) override {
    Timer t(range_);
    inner_->scan(range, fn);
  }
  void flush() override {
    Timer t(flush_);
    inner_->flush();
  }
  void restore(std::string_view key, const std::string_view* value) override {
    Timer t(restore_);
    inner_->restore(key, value);
  }

 private:
  struct Timer {
    explicit Timer(Sensor& s) : sensor(s), start(std::chrono::steady_clock::now()) {}
    ~Timer() {
      sensor.record_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count());
    }
    Sensor& sensor;
    std::chrono::steady_clock::time_point start;
  };

  Sensor& put_;
  Sensor& get_;
  Sensor& delete_;
  Sensor& range_;
  Sensor& flush_;
  Sensor& restore_;
};

}  // namespace brook::state
