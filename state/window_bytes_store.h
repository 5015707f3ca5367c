// WindowBytesStore: a windowed key-value store — one value per key and window
// (and sequence number: a stream-stream join keeps every record of a key and
// time), the window named by its start (ms since the epoch) — as windowed
// aggregations and stream-stream joins keep their state (Kafka Streams'
// WindowStore). It is a view over an ordinary key-value store stack, whose
// keys it lays out with WindowKeySchema: so the stack's layers (caching,
// changelogging, metering, exactly-once staging) serve windows unchanged, and
// at its bottom a SegmentedStore drops windows past retention a whole time
// segment at a time.
//
// WindowKeySchema: the window's time segment (TimeSegments), the key's bytes,
// then the start (8 bytes, sign bit flipped), then the sequence number (4
// bytes), all big-endian: one segment's windows sit together, and within it
// one key's windows in start order.
//
// Fetches visit segments in time order and, within one, keys in byte order:
// one key's windows come in start order; several keys' come segment by
// segment (as in Kafka Streams). A view belongs to one task: not thread-safe.
// I/O failures throw StateStoreError.
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "state/key_value_bytes_store.h"
#include "state/time_segments.h"

namespace brook::state {

struct WindowKeySchema {
  static constexpr size_t kSuffixSize = 12;  // start (8) + sequence number (4)

  static std::string to_store_key(std::string_view key, int64_t window_start, uint32_t seq,
                                  const TimeSegments& segments) {
    std::string out;
    out.reserve(TimeSegments::kPrefixSize + key.size() + kSuffixSize);
    TimeSegments::append_time(out, segments.id(window_start));
    out.append(key);
    TimeSegments::append_time(out, window_start);
    TimeSegments::append_u32(out, seq);
    return out;
  }
  // Splits a store key; false when it is too short to be one.
  static bool from_store_key(std::string_view stored, std::string_view* key, int64_t* window_start,
                             uint32_t* seq = nullptr) {
    if (stored.size() < TimeSegments::kPrefixSize + kSuffixSize) return false;
    size_t n = stored.size() - kSuffixSize;
    *key = stored.substr(TimeSegments::kPrefixSize, n - TimeSegments::kPrefixSize);
    *window_start = TimeSegments::read_time(stored.substr(n, 8));
    if (seq) *seq = TimeSegments::read_u32(stored.substr(n + 8, 4));
    return true;
  }
  // The time a store key is segmented by: its window's start.
  // INT64_MIN for a key too short to be one.
  static int64_t time_of(std::string_view stored) {
    if (stored.size() < TimeSegments::kPrefixSize + kSuffixSize) return INT64_MIN;
    return TimeSegments::read_time(stored.substr(stored.size() - kSuffixSize, 8));
  }
};

// Calls come as the store's key order has them; return false to stop.
using WindowFn =
    std::function<bool(std::string_view key, int64_t window_start, std::string_view value)>;

class WindowBytesStore {
 public:
  // `store`: the top of the stack (borrowed); `segments` and `retention_ms`:
  // as its bottom SegmentedStore has them. The view also keeps retention
  // exactly, above any record cache: a window that started `retention_ms` or
  // more before the latest start written through it is neither written nor
  // read (the bottom drops it later, with its segment).
  WindowBytesStore(KeyValueBytesStore& store, TimeSegments segments, int64_t retention_ms)
      : store_(&store), segments_(segments), retention_ms_(retention_ms) {}

  const std::string& name() const { return store_->name(); }

  // Puts the value of `key` in the window starting at `window_start`; a null
  // value deletes it. A window already past retention is ignored: returns false.
  bool put(std::string_view key, const std::string_view* value, int64_t window_start,
           uint32_t seq = 0);
  // The earliest window start still kept (INT64_MIN before any write).
  int64_t earliest_live() const {
    return observed_ == INT64_MIN ? INT64_MIN : observed_ - retention_ms_ + 1;
  }
  // The value of `key` in the window starting at `window_start`.
  bool fetch(std::string_view key, int64_t window_start, std::string* value, uint32_t seq = 0);
  // The windows of `key` that start in [time_from, time_to], in start order.
  void fetch(std::string_view key, int64_t time_from, int64_t time_to, const WindowFn& fn);
  // The windows of the keys in `keys` that start in [time_from, time_to].
  void fetch(const KeyRange& keys, int64_t time_from, int64_t time_to, const WindowFn& fn);
  // Every window that starts in [time_from, time_to].
  void fetch_all(int64_t time_from, int64_t time_to, const WindowFn& fn);

 private:
  KeyValueBytesStore* store_;
  TimeSegments segments_;
  int64_t retention_ms_;
  int64_t observed_ = INT64_MIN;  // the latest start written
  std::string key_buf_;
};

}  // namespace brook::state
