// TimeSegments: how window and session stores cut time into segments, so
// that whole segments of expired windows are dropped at once (Kafka Streams'
// segmented stores), and the byte layouts shared by their keys: times as 8
// big-endian bytes with the sign bit flipped (so byte order is time order,
// negative times first), counters as 4 big-endian bytes. A plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "state/key_value_bytes_store.h"

namespace brook::state {

struct TimeSegments {
  static constexpr size_t kPrefixSize = 8;

  int64_t interval_ms = 60000;

  // Kafka Streams' choice for a store kept `retention_ms`: half of it, at
  // least a minute.
  static TimeSegments for_retention(int64_t retention_ms) {
    return TimeSegments{retention_ms / 2 > 60000 ? retention_ms / 2 : 60000};
  }

  // The segment holding `time` (floor division: negative times too).
  int64_t id(int64_t time) const {
    int64_t q = time / interval_ms;
    return (time % interval_ms != 0 && time < 0) ? q - 1 : q;
  }
  // The first time of a segment.
  int64_t start(int64_t segment) const { return segment * interval_ms; }

  static void append_time(std::string& out, int64_t v) {
    uint64_t u = static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  static int64_t read_time(std::string_view in) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    return static_cast<int64_t>(v ^ (uint64_t{1} << 63));
  }
  static void append_u32(std::string& out, uint32_t v) {
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  static uint32_t read_u32(std::string_view in) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    return v;
  }
  // The key prefix of a segment's entries.
  static std::string prefix(int64_t segment) {
    std::string out;
    append_time(out, segment);
    return out;
  }

  // Calls visit(segment) -> bool for each segment of `store` from that of
  // `time_from` to that of `time_to` that holds an entry, in order, skipping
  // empty ones with one short scan each; stops when visit returns false.
  template <class Visit>
  void for_each_segment(KeyValueBytesStore& store, int64_t time_from, int64_t time_to,
                        Visit visit) const {
    if (time_from > time_to) return;
    int64_t last = id(time_to);
    int64_t s = id(time_from);
    while (s <= last) {
      bool any = false;
      store.scan(KeyRange{prefix(s), prefix(last + 1)}, [&](std::string_view k, std::string_view) {
        s = read_time(k);
        any = true;
        return false;
      });
      if (!any || !visit(s)) return;
      ++s;
    }
  }
};

}  // namespace brook::state
