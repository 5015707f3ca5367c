// SegmentedStore: the layer right above the bottom of a window or session
// store's stack. Its keys begin with a time segment (WindowKeySchema,
// SessionKeySchema); it tracks the latest time written (window start, session
// end) and drops every segment that ended more than the retention period
// before it, in one range delete at the bottom (RocksDB's DeleteRange), as
// Kafka Streams' segmented stores drop whole segments; writes into a dropped
// segment are ignored and counted. Restored records are re-segmented by their
// own time, so a changelog written with another segment interval restores
// right. The segment interval is recorded in the store at its first use: a
// store opened later with another one fails with a message saying how to go on.
// One per task and store; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>

#include "state/time_segments.h"
#include "state/wrapped_store.h"

namespace brook::state {

class SegmentedStore final : public WrappedStore {
 public:
  // time_of(key): the time a key is segmented by.
  using TimeOf = int64_t (*)(std::string_view stored_key);

  // Throws StateStoreError when the store was written with another interval.
  SegmentedStore(std::unique_ptr<KeyValueBytesStore> inner, TimeOf time_of, TimeSegments segments,
                 int64_t retention_ms);

  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void scan(const KeyRange& range, const EntryFn& fn) override;
  void restore(std::string_view key, const std::string_view* value) override;
  void wipe() override;

  // Writes ignored because their segment had expired.
  uint64_t expired_writes() const { return expired_; }
  // The latest time written, -1 before any since the store opened.
  int64_t observed_time() const { return observed_; }

  // The key the segment interval is kept under: in the last segment, which
  // no time reaches.
  static std::string interval_key();

 private:
  // Moves the latest time on; drops the segments that expire with it.
  void observe(int64_t time);
  bool live(std::string_view key) const;
  void record_interval();

  TimeOf time_of_;
  TimeSegments segments_;
  int64_t retention_ms_;
  int64_t observed_ = -1;
  int64_t min_live_ = INT64_MIN;  // the first segment still live
  uint64_t expired_ = 0;
  std::string key_buf_;
};

}  // namespace brook::state
