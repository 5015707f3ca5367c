// Windows of event time, as Kafka Streams has them: TimeWindows (tumbling or
// hopping), SlidingWindows and SessionWindows, each with a grace period after
// a window's end during which late records still count; and Windowed<K>, the
// key of a windowed aggregation's results. Plain values; thread-safe.
//
// Times are milliseconds since the epoch. A TimeWindows window is
// [start, end) (end excluded); a sliding window [start, end] and a session
// [start, end] include both ends, as in Kafka Streams.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "brook/serde.h"

namespace brook {

struct Window {
  int64_t start = 0;
  int64_t end = 0;
  auto operator<=>(const Window&) const = default;
};

// A key and the window its value belongs to.
template <class K>
struct Windowed {
  K key;
  Window window;
  auto operator<=>(const Windowed&) const = default;
  bool operator==(const Windowed&) const = default;
};

// Tumbling (advance == size) or hopping (advance < size) windows, aligned to
// the epoch: a record at time t belongs to every window [start, start + size)
// with start a multiple of the advance, start <= t < start + size, start >= 0.
struct TimeWindows {
  int64_t size_ms = 0;
  int64_t advance_ms = 0;
  int64_t grace_ms = 0;

  static TimeWindows of_size_with_no_grace(std::chrono::milliseconds size) {
    return of_size_and_grace(size, std::chrono::milliseconds(0));
  }
  static TimeWindows of_size_and_grace(std::chrono::milliseconds size,
                                       std::chrono::milliseconds grace) {
    if (size.count() <= 0) throw std::invalid_argument("TimeWindows: the size must be positive");
    if (grace.count() < 0)
      throw std::invalid_argument("TimeWindows: the grace must not be negative");
    return TimeWindows{size.count(), size.count(), grace.count()};
  }
  // Hopping windows: a new one every `advance` (0 < advance <= size).
  TimeWindows advance_by(std::chrono::milliseconds advance) const {
    if (advance.count() <= 0 || advance.count() > size_ms) {
      throw std::invalid_argument(
          "TimeWindows: the advance must be positive and at most the size (" +
          std::to_string(size_ms) + " ms)");
    }
    TimeWindows w = *this;
    w.advance_ms = advance.count();
    return w;
  }

  // The windows a record at `timestamp` belongs to, earliest first.
  std::vector<Window> windows_for(int64_t timestamp) const {
    std::vector<Window> out;
    int64_t start = timestamp - size_ms + advance_ms;
    start = start < 0 ? 0 : start / advance_ms * advance_ms;
    for (; start <= timestamp; start += advance_ms) out.push_back(Window{start, start + size_ms});
    return out;
  }
};

// Windows of fixed length [t - time_difference, t] around each record, as
// Kafka Streams' SlidingWindows: an aggregation emits one window per distinct
// set of records that fall within time_difference of each other.
struct SlidingWindows {
  int64_t time_difference_ms = 0;
  int64_t grace_ms = 0;

  static SlidingWindows of_time_difference_with_no_grace(std::chrono::milliseconds difference) {
    return of_time_difference_and_grace(difference, std::chrono::milliseconds(0));
  }
  static SlidingWindows of_time_difference_and_grace(std::chrono::milliseconds difference,
                                                     std::chrono::milliseconds grace) {
    if (difference.count() <= 0) {
      throw std::invalid_argument("SlidingWindows: the time difference must be positive");
    }
    if (grace.count() < 0) {
      throw std::invalid_argument("SlidingWindows: the grace must not be negative");
    }
    return SlidingWindows{difference.count(), grace.count()};
  }
};

// Sessions of activity per key: records closer than the inactivity gap to
// each other fall into one session, which grows (and merges with others) as
// records arrive.
struct SessionWindows {
  int64_t gap_ms = 0;
  int64_t grace_ms = 0;

  static SessionWindows of_inactivity_gap_with_no_grace(std::chrono::milliseconds gap) {
    return of_inactivity_gap_and_grace(gap, std::chrono::milliseconds(0));
  }
  static SessionWindows of_inactivity_gap_and_grace(std::chrono::milliseconds gap,
                                                    std::chrono::milliseconds grace) {
    if (gap.count() <= 0) throw std::invalid_argument("SessionWindows: the gap must be positive");
    if (grace.count() < 0) {
      throw std::invalid_argument("SessionWindows: the grace must not be negative");
    }
    return SessionWindows{gap.count(), grace.count()};
  }
};

// The window of a stream-stream join: a record at t of the left stream meets
// the right stream's records of the same key in [t - before, t + after];
// grace: how long past that window records are still waited for (left and
// outer results without a match are emitted once it closed).
struct JoinWindows {
  int64_t before_ms = 0;
  int64_t after_ms = 0;
  int64_t grace_ms = 0;

  static JoinWindows of_time_difference_with_no_grace(std::chrono::milliseconds difference) {
    return of_time_difference_and_grace(difference, std::chrono::milliseconds(0));
  }
  static JoinWindows of_time_difference_and_grace(std::chrono::milliseconds difference,
                                                  std::chrono::milliseconds grace) {
    if (difference.count() < 0) {
      throw std::invalid_argument("JoinWindows: the time difference must not be negative");
    }
    if (grace.count() < 0)
      throw std::invalid_argument("JoinWindows: the grace must not be negative");
    return JoinWindows{difference.count(), difference.count(), grace.count()};
  }
  // Only right records from `before` earlier on (and, with after(), up to
  // `after` later); before + after must not be negative.
  JoinWindows before(std::chrono::milliseconds before) const {
    JoinWindows w = *this;
    w.before_ms = before.count();
    if (w.before_ms + w.after_ms < 0) throw std::invalid_argument("JoinWindows: negative window");
    return w;
  }
  JoinWindows after(std::chrono::milliseconds after) const {
    JoinWindows w = *this;
    w.after_ms = after.count();
    if (w.before_ms + w.after_ms < 0) throw std::invalid_argument("JoinWindows: negative window");
    return w;
  }
  int64_t size_ms() const { return before_ms + after_ms; }
};

// Windowed<K> on a topic: the key's bytes (Serde<K>), then the window's start
// and end, 8 bytes each, big-endian. (Kafka Streams' TimeWindowedSerde writes
// the start only, and needs the window size to read it back.)
template <class K>
struct Serde<Windowed<K>> {
  static void serialize(const Windowed<K>& v, std::string& out) {
    Serde<K>::serialize(v.key, out);
    append(out, v.window.start);
    append(out, v.window.end);
  }
  static bool deserialize(const char* data, size_t size, Windowed<K>& out) {
    if (data == nullptr || size < 16) return false;
    if (!Serde<K>::deserialize(data, size - 16, out.key)) return false;
    out.window.start = read(data + size - 16);
    out.window.end = read(data + size - 8);
    return true;
  }
  static constexpr const char* name() { return "windowed"; }

 private:
  static void append(std::string& out, int64_t v) {
    for (int i = 7; i >= 0; --i) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
    }
  }
  static int64_t read(const char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return static_cast<int64_t>(v);
  }
};

}  // namespace brook
