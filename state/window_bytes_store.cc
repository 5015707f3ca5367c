#include "state/window_bytes_store.h"

#include <algorithm>
#include <climits>

namespace brook::state {

bool WindowBytesStore::put(std::string_view key, const std::string_view* value,
                           int64_t window_start, uint32_t seq) {
  if (window_start > observed_) observed_ = window_start;
  if (window_start < earliest_live()) return false;
  key_buf_ = WindowKeySchema::to_store_key(key, window_start, seq, segments_);
  if (value) {
    store_->put(key_buf_, *value);
  } else {
    store_->remove(key_buf_);
  }
  return true;
}

bool WindowBytesStore::fetch(std::string_view key, int64_t window_start, std::string* value,
                             uint32_t seq) {
  if (window_start < earliest_live()) return false;
  key_buf_ = WindowKeySchema::to_store_key(key, window_start, seq, segments_);
  return store_->get(key_buf_, value);
}

void WindowBytesStore::fetch(std::string_view key, int64_t time_from, int64_t time_to,
                             const WindowFn& fn) {
  time_from = std::max(time_from, earliest_live());
  segments_.for_each_segment(*store_, time_from, time_to, [&](int64_t s) {
    int64_t from = std::max(time_from, segments_.start(s));
    int64_t to = std::min(time_to, segments_.start(s + 1) - 1);
    KeyRange range =
        KeyRange::closed(WindowKeySchema::to_store_key(key, from, 0, segments_),
                         WindowKeySchema::to_store_key(key, to, UINT32_MAX, segments_));
    bool go = true;
    store_->scan(range, [&](std::string_view k, std::string_view v) {
      std::string_view found;
      int64_t start;
      if (!WindowKeySchema::from_store_key(k, &found, &start)) return true;
      // A longer key beginning with `key` may sort inside the range.
      if (found != key) return true;
      return go = fn(found, start, v);
    });
    return go;
  });
}

void WindowBytesStore::fetch(const KeyRange& keys, int64_t time_from, int64_t time_to,
                             const WindowFn& fn) {
  time_from = std::max(time_from, earliest_live());
  segments_.for_each_segment(*store_, time_from, time_to, [&](int64_t s) {
    // From the first key on; up to the segment's end, as a key below `keys.to`
    // followed by its suffix may sort after `keys.to` itself: each is checked.
    std::string prefix = TimeSegments::prefix(s);
    KeyRange range{prefix + keys.from.value_or(std::string()), TimeSegments::prefix(s + 1)};
    bool go = true;
    store_->scan(range, [&](std::string_view k, std::string_view v) {
      std::string_view found;
      int64_t start;
      if (!WindowKeySchema::from_store_key(k, &found, &start)) return true;
      if (!keys.contains(found) || start < time_from || start > time_to) return true;
      return go = fn(found, start, v);
    });
    return go;
  });
}

void WindowBytesStore::fetch_all(int64_t time_from, int64_t time_to, const WindowFn& fn) {
  fetch(KeyRange::all(), time_from, time_to, fn);
}

}  // namespace brook::state
