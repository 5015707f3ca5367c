// WindowBytesStore: the byte-level interface of a windowed key-value store —
// one value per key and window, the window named by its start (ms since the
// epoch) — as windowed aggregations and stream-stream joins keep their state
// (Kafka Streams' WindowStore). Layers stack as for key-value stores
// (caching over changelogging over the bottom store); windows that ended more
// than the retention period before stream time are dropped.
//
// WindowKeySchema: how a (key, window start, sequence number) is laid out in a
// key-value store's key so that one key's windows sit together in start order:
// the key's bytes, then the start as 8 big-endian bytes with the sign bit
// flipped (so negative times sort first), then the sequence number as 4
// big-endian bytes (duplicates of a key and time in a join's store).
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

// Calls come in key order, then start order; return false to stop.
using WindowFn =
    std::function<bool(std::string_view key, int64_t window_start, std::string_view value)>;

class WindowBytesStore {
 public:
  virtual ~WindowBytesStore() = default;

  virtual const std::string& name() const = 0;
  // How long (ms) a window is kept after its end, relative to stream time.
  virtual int64_t retention_ms() const = 0;

  // Puts the value of `key` in the window starting at `window_start`; a null
  // value deletes it. A window already past retention is ignored.
  virtual void put(std::string_view key, const std::string_view* value, int64_t window_start) = 0;
  // The value of `key` in the window starting at `window_start`.
  virtual bool fetch(std::string_view key, int64_t window_start, std::string* value) = 0;
  // The windows of `key` that start in [time_from, time_to].
  virtual void fetch(std::string_view key, int64_t time_from, int64_t time_to,
                     const WindowFn& fn) = 0;
  // The windows of the keys in `keys` that start in [time_from, time_to].
  virtual void fetch(const KeyRange& keys, int64_t time_from, int64_t time_to,
                     const WindowFn& fn) = 0;
  // Every window that starts in [time_from, time_to].
  virtual void fetch_all(int64_t time_from, int64_t time_to, const WindowFn& fn) = 0;

  virtual void flush() = 0;
  virtual void wipe() = 0;
  virtual void close() = 0;
};

struct WindowKeySchema {
  static constexpr size_t kSuffixSize = 12;  // start (8) + sequence number (4)

  static std::string to_store_key(std::string_view key, int64_t window_start, uint32_t seq = 0) {
    std::string out;
    out.reserve(key.size() + kSuffixSize);
    out.append(key);
    append_big_endian(out, static_cast<uint64_t>(window_start) ^ (uint64_t{1} << 63), 8);
    append_big_endian(out, seq, 4);
    return out;
  }
  // Splits a store key; false when it is too short to be one.
  static bool from_store_key(std::string_view stored, std::string_view* key, int64_t* window_start,
                             uint32_t* seq = nullptr) {
    if (stored.size() < kSuffixSize) return false;
    size_t n = stored.size() - kSuffixSize;
    *key = stored.substr(0, n);
    uint64_t start = read_big_endian(stored.substr(n, 8));
    *window_start = static_cast<int64_t>(start ^ (uint64_t{1} << 63));
    if (seq) *seq = static_cast<uint32_t>(read_big_endian(stored.substr(n + 8, 4)));
    return true;
  }
  // The store keys of `key`'s windows that start in [time_from, time_to]. It
  // may hold other keys' windows too (a longer key with `key` as its prefix):
  // a scan checks each key it meets.
  static KeyRange store_key_range(std::string_view key, int64_t time_from, int64_t time_to) {
    return KeyRange::closed(to_store_key(key, time_from, 0),
                            to_store_key(key, time_to, UINT32_MAX));
  }

 private:
  static void append_big_endian(std::string& out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  static uint64_t read_big_endian(std::string_view in) {
    uint64_t v = 0;
    for (char c : in) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
  }
};

}  // namespace brook::state
