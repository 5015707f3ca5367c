// SessionBytesStore: the byte-level interface of a session store — one value
// (an aggregate) per key and session, a session being the span [start, end]
// (ms, both included) of activity of its key, merged as records arrive within
// the inactivity gap (Kafka Streams' SessionStore). Sessions that ended more
// than the retention period before stream time are dropped.
//
// SessionKeySchema: the key's bytes, then the session's end, then its start,
// each as 8 big-endian bytes with the sign bit flipped, so that one key's
// sessions sit together in end order (the order a lookup of the sessions that
// may merge with a new record scans).
//
// A store belongs to one task: not thread-safe. I/O failures throw
// StateStoreError.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "state/key_value_bytes_store.h"

namespace brook::state {

struct SessionWindow {
  int64_t start = 0;
  int64_t end = 0;  // included
  auto operator<=>(const SessionWindow&) const = default;
};

// Calls come in key order, then end order; return false to stop.
using SessionFn =
    std::function<bool(std::string_view key, const SessionWindow& session, std::string_view value)>;

class SessionBytesStore {
 public:
  virtual ~SessionBytesStore() = default;

  virtual const std::string& name() const = 0;
  virtual int64_t retention_ms() const = 0;

  // Puts the aggregate of `key`'s session; a null value removes the session.
  virtual void put(std::string_view key, const SessionWindow& session,
                   const std::string_view* value) = 0;
  virtual bool fetch_session(std::string_view key, const SessionWindow& session,
                             std::string* value) = 0;
  // The sessions of `key` that end at or after `earliest_end` and start at or
  // before `latest_start`: those a record at a time within the gap merges with.
  virtual void find_sessions(std::string_view key, int64_t earliest_end, int64_t latest_start,
                             const SessionFn& fn) = 0;
  // The same for the keys in `keys`.
  virtual void find_sessions(const KeyRange& keys, int64_t earliest_end, int64_t latest_start,
                             const SessionFn& fn) = 0;

  virtual void flush() = 0;
  virtual void wipe() = 0;
  virtual void close() = 0;
};

struct SessionKeySchema {
  static constexpr size_t kSuffixSize = 16;  // end (8) + start (8)

  static std::string to_store_key(std::string_view key, const SessionWindow& session) {
    std::string out;
    out.reserve(key.size() + kSuffixSize);
    out.append(key);
    append(out, session.end);
    append(out, session.start);
    return out;
  }
  static bool from_store_key(std::string_view stored, std::string_view* key,
                             SessionWindow* session) {
    if (stored.size() < kSuffixSize) return false;
    size_t n = stored.size() - kSuffixSize;
    *key = stored.substr(0, n);
    session->end = read(stored.substr(n, 8));
    session->start = read(stored.substr(n + 8, 8));
    return true;
  }
  // The store keys of `key`'s sessions that end at or after `earliest_end`
  // (later conditions, and other keys sharing the prefix, are checked by the
  // scan).
  static KeyRange store_key_range(std::string_view key, int64_t earliest_end) {
    KeyRange r = KeyRange::prefix(key);
    r.from = to_store_key(key, SessionWindow{INT64_MIN, earliest_end});
    return r;
  }

 private:
  static void append(std::string& out, int64_t v) {
    uint64_t u = static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  static int64_t read(std::string_view in) {
    uint64_t v = 0;
    for (char c : in) v = (v << 8) | static_cast<unsigned char>(c);
    return static_cast<int64_t>(v ^ (uint64_t{1} << 63));
  }
};

}  // namespace brook::state
