// SessionBytesStore: a session store — one value (an aggregate) per key and
// session, a session being the span [start, end] (ms, both included) of
// activity of its key, merged as records arrive within the inactivity gap
// (Kafka Streams' SessionStore). Like WindowBytesStore, a view over a
// key-value store stack whose bottom SegmentedStore drops sessions past
// retention, segmented by their end.
//
// SessionKeySchema: the segment of the session's end, the key's bytes, then
// the end, then the start (each time 8 bytes, sign bit flipped, big-endian):
// one key's sessions in a segment sit together in end order, the order the
// lookup of the sessions a new record merges with scans.
//
// A view belongs to one task: not thread-safe. I/O failures throw
// StateStoreError.
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "state/key_value_bytes_store.h"
#include "state/time_segments.h"

namespace brook::state {

struct SessionWindow {
  int64_t start = 0;
  int64_t end = 0;  // included
  auto operator<=>(const SessionWindow&) const = default;
};

struct SessionKeySchema {
  static constexpr size_t kSuffixSize = 16;  // end (8) + start (8)

  static std::string to_store_key(std::string_view key, const SessionWindow& session,
                                  const TimeSegments& segments) {
    std::string out;
    out.reserve(TimeSegments::kPrefixSize + key.size() + kSuffixSize);
    TimeSegments::append_time(out, segments.id(session.end));
    out.append(key);
    TimeSegments::append_time(out, session.end);
    TimeSegments::append_time(out, session.start);
    return out;
  }
  static bool from_store_key(std::string_view stored, std::string_view* key,
                             SessionWindow* session) {
    if (stored.size() < TimeSegments::kPrefixSize + kSuffixSize) return false;
    size_t n = stored.size() - kSuffixSize;
    *key = stored.substr(TimeSegments::kPrefixSize, n - TimeSegments::kPrefixSize);
    session->end = TimeSegments::read_time(stored.substr(n, 8));
    session->start = TimeSegments::read_time(stored.substr(n + 8, 8));
    return true;
  }
  // The time a store key is segmented by: its session's end.
  // INT64_MIN for a key too short to be one.
  static int64_t time_of(std::string_view stored) {
    if (stored.size() < TimeSegments::kPrefixSize + kSuffixSize) return INT64_MIN;
    return TimeSegments::read_time(stored.substr(stored.size() - kSuffixSize, 8));
  }
};

// Calls come in segment order, then key order, then end order; return false
// to stop.
using SessionFn =
    std::function<bool(std::string_view key, const SessionWindow& session, std::string_view value)>;

class SessionBytesStore {
 public:
  // As WindowBytesStore: retention is kept exactly by the view, by session end.
  SessionBytesStore(KeyValueBytesStore& store, TimeSegments segments, int64_t retention_ms)
      : store_(&store), segments_(segments), retention_ms_(retention_ms) {}

  const std::string& name() const { return store_->name(); }

  // Puts the aggregate of `key`'s session; a null value removes the session.
  // A session that ended past retention is ignored: returns false.
  bool put(std::string_view key, const SessionWindow& session, const std::string_view* value);
  int64_t earliest_live() const {
    return observed_ == INT64_MIN ? INT64_MIN : observed_ - retention_ms_ + 1;
  }
  bool fetch_session(std::string_view key, const SessionWindow& session, std::string* value);
  // The sessions of `key` that end at or after `earliest_end` and start at or
  // before `latest_start`: those a record at a time within the gap merges with.
  void find_sessions(std::string_view key, int64_t earliest_end, int64_t latest_start,
                     const SessionFn& fn);
  // The same for the keys in `keys`.
  void find_sessions(const KeyRange& keys, int64_t earliest_end, int64_t latest_start,
                     const SessionFn& fn);

 private:
  void find(const KeyRange* keys, std::string_view key, int64_t earliest_end, int64_t latest_start,
            const SessionFn& fn);

  KeyValueBytesStore* store_;
  TimeSegments segments_;
  int64_t retention_ms_;
  int64_t observed_ = INT64_MIN;  // the latest end written
  std::string key_buf_;
};

}  // namespace brook::state
