// SynchronizedStore: a store layer that lets one writer and any number of
// readers on other threads share a store: reads (get, scan) under a shared
// lock, everything else under an exclusive one — as a global store is written
// by its instance's global thread and read by every stream thread.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>

#include "state/wrapped_store.h"

namespace brook::state {

class SynchronizedStore final : public WrappedStore {
 public:
  using WrappedStore::WrappedStore;

  bool get(std::string_view key, std::string* value) override {
    std::shared_lock lock(mu_);
    return inner_->get(key, value);
  }
  void put(std::string_view key, std::string_view value) override {
    std::unique_lock lock(mu_);
    inner_->put(key, value);
  }
  void remove(std::string_view key) override {
    std::unique_lock lock(mu_);
    inner_->remove(key);
  }
  // `fn` must not write to the store (it holds the shared lock).
  void scan(const KeyRange& range, const EntryFn& fn) override {
    std::shared_lock lock(mu_);
    inner_->scan(range, fn);
  }
  void flush() override {
    std::unique_lock lock(mu_);
    inner_->flush();
  }
  void restore(std::string_view key, const std::string_view* value) override {
    std::unique_lock lock(mu_);
    inner_->restore(key, value);
  }
  void wipe() override {
    std::unique_lock lock(mu_);
    inner_->wipe();
  }
  void close() override {
    std::unique_lock lock(mu_);
    inner_->close();
  }

 private:
  std::shared_mutex mu_;
};

}  // namespace brook::state
