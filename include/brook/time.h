// Event time: parsing and formatting the timestamps records carry in their
// values ("2022-12-01 15:10:00.000000", UTC, as the smoothie-bar demo writes
// them), and the extractor that reads one from a field of a BROOK_JSON struct.
// Times are milliseconds since the epoch, as Kafka's. Pure functions;
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace brook {

// Parses "YYYY-MM-DD HH:MM:SS" with an optional fraction of up to 9 digits
// (kept to the millisecond, truncated), 'T' also accepted between date and
// time and a trailing 'Z' ignored; always UTC. nullopt when `text` is not such
// a time or names no real date (2022-02-30).
inline std::optional<int64_t> parse_timestamp(std::string_view text) {
  auto digits = [&](size_t at, size_t n, int* out) {
    if (at + n > text.size()) return false;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  if (!text.empty() && text.back() == 'Z') text.remove_suffix(1);
  int y, mo, d, h, mi, s;
  if (text.size() < 19 || !digits(0, 4, &y) || text[4] != '-' || !digits(5, 2, &mo) ||
      text[7] != '-' || !digits(8, 2, &d) || (text[10] != ' ' && text[10] != 'T') ||
      !digits(11, 2, &h) || text[13] != ':' || !digits(14, 2, &mi) || text[16] != ':' ||
      !digits(17, 2, &s)) {
    return std::nullopt;
  }
  int64_t millis = 0;
  if (text.size() > 19) {
    size_t n = text.size() - 20;
    if (text[19] != '.' || n == 0 || n > 9) return std::nullopt;
    int frac = 0;
    if (!digits(20, n, &frac)) return std::nullopt;
    for (size_t i = n; i < 3; ++i) frac *= 10;
    for (size_t i = 3; i < n; ++i) frac /= 10;
    millis = frac;
  }
  using namespace std::chrono;
  year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  int64_t days = sys_days{date}.time_since_epoch().count();
  return ((days * 24 + h) * 60 + mi) * 60000 + int64_t{s} * 1000 + millis;
}

// Formats `ms` as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC; the fraction's last three
// digits are zeros: times are milliseconds).
inline std::string format_timestamp(int64_t ms) {
  using namespace std::chrono;
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rest = ms - days * 86400000;
  year_month_day date{sys_days{std::chrono::days{days}}};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d.%03d000",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(rest / 3600000),
                static_cast<int>(rest / 60000 % 60), static_cast<int>(rest / 1000 % 60),
                static_cast<int>(rest % 1000));
  return buf;
}

// A timestamp extractor reading a string field of the value, e.g.
//   Consumed::with_timestamp_extractor(time_field(&Purchase::transaction_time))
// A value whose field does not parse has no timestamp: it is skipped and
// counted as dropped.
// The field is a std::string, or a std::optional<std::string> (absent: no time).
template <class T, class M>
struct TimeField {
  M T::*field;
  template <class K>
  std::optional<int64_t> operator()(const K&, const T& value, int64_t) const {
    const M& text = value.*field;
    if constexpr (std::is_same_v<M, std::string>) {
      return parse_timestamp(text);
    } else {
      if (!text) return std::nullopt;
      return parse_timestamp(*text);
    }
  }
};
template <class T, class M>
TimeField<T, M> time_field(M T::*field) {
  return TimeField<T, M>{field};
}

}  // namespace brook
