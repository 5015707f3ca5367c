#include "state/session_bytes_store.h"

#include <algorithm>
#include <climits>

namespace brook::state {

bool SessionBytesStore::put(std::string_view key, const SessionWindow& session,
                            const std::string_view* value) {
  if (session.end > observed_) observed_ = session.end;
  if (session.end < earliest_live()) return false;
  key_buf_ = SessionKeySchema::to_store_key(key, session, segments_);
  if (value) {
    store_->put(key_buf_, *value);
  } else {
    store_->remove(key_buf_);
  }
  return true;
}

bool SessionBytesStore::fetch_session(std::string_view key, const SessionWindow& session,
                                      std::string* value) {
  if (session.end < earliest_live()) return false;
  key_buf_ = SessionKeySchema::to_store_key(key, session, segments_);
  return store_->get(key_buf_, value);
}

void SessionBytesStore::find_sessions(std::string_view key, int64_t earliest_end,
                                      int64_t latest_start, const SessionFn& fn) {
  find(nullptr, key, earliest_end, latest_start, fn);
}

void SessionBytesStore::find_sessions(const KeyRange& keys, int64_t earliest_end,
                                      int64_t latest_start, const SessionFn& fn) {
  find(&keys, {}, earliest_end, latest_start, fn);
}

void SessionBytesStore::find(const KeyRange* keys, std::string_view key, int64_t earliest_end,
                             int64_t latest_start, const SessionFn& fn) {
  // A session's end is not bounded by latest_start: every later segment may
  // hold one (the probe skips empty segments).
  int64_t latest = segments_.start(segments_.id(INT64_MAX) - 1);
  earliest_end = std::max(earliest_end, earliest_live());
  segments_.for_each_segment(*store_, earliest_end, latest, [&](int64_t s) {
    std::string prefix = TimeSegments::prefix(s);
    KeyRange range;
    if (keys) {
      range = KeyRange{prefix + keys->from.value_or(std::string()), TimeSegments::prefix(s + 1)};
    } else {
      // The key's sessions of this segment ending at or after earliest_end
      // (longer keys sharing its prefix may sort inside: each is checked).
      SessionWindow first{INT64_MIN, std::max(earliest_end, segments_.start(s))};
      range = KeyRange::prefix(prefix + std::string(key));
      range.from = SessionKeySchema::to_store_key(key, first, segments_);
    }
    bool go = true;
    store_->scan(range, [&](std::string_view k, std::string_view v) {
      std::string_view found;
      SessionWindow w;
      if (!SessionKeySchema::from_store_key(k, &found, &w)) return true;
      if (keys ? !keys->contains(found) : found != key) return true;
      if (w.end < earliest_end || w.start > latest_start) return true;
      return go = fn(found, w, v);
    });
    return go;
  });
}

}  // namespace brook::state
