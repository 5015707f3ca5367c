// BinarySerde<T>: a compact binary encoding of a BROOK_JSON struct, for topics
// and stores that only brook reads — a grouping's repartition topic, chosen with
// Grouped::with_value_serde<BinarySerde<T>>(), or a store with
// Materialized::with_value_serde — where JSON's field names and number
// formatting are work and bytes nobody needs.
//
// Layout: one format byte (1), then the fields in declaration order, unnamed:
// integers and Cents as zigzag varints, bool as one byte (0 or 1), double as 8
// bytes little-endian, strings and vectors as a varint length and their
// elements, optionals as a presence byte (0 or 1) and the value, nested structs
// inline. Not self-describing: writer and reader need the same declaration, so
// change a struct that is encoded this way only while its topic or store is
// empty (as with any serde change in Kafka Streams).
//
// Reading checks every length against the bytes there are; truncated input,
// trailing bytes, an unknown format byte or an out-of-range value read as "not
// a T". Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "brook/json.h"

namespace brook {
namespace binary {

inline constexpr char kFormat = 1;

inline void put_varint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
inline uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// The unread rest of an encoded value.
struct Reader {
  const char* p;
  const char* end;

  bool varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      uint8_t b = static_cast<uint8_t>(*p++);
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return shift < 63 || b <= 1;  // the 10th byte holds one bit
    }
    return false;
  }
  bool byte(uint8_t& out) {
    if (p == end) return false;
    out = static_cast<uint8_t>(*p++);
    return true;
  }
  bool flag(bool& out) {
    uint8_t b;
    if (!byte(b) || b > 1) return false;
    out = b == 1;
    return true;
  }
  // A varint length that the remaining bytes can hold, at one byte or more per
  // element: a corrupt length is refused before anything is allocated.
  bool length(size_t& out) {
    uint64_t n;
    if (!varint(n) || n > static_cast<uint64_t>(end - p)) return false;
    out = static_cast<size_t>(n);
    return true;
  }
};

inline void write(const std::string& v, std::string& out) {
  put_varint(v.size(), out);
  out.append(v);
}
inline void write(bool v, std::string& out) { out += v ? '\1' : '\0'; }
inline void write(int64_t v, std::string& out) { put_varint(zigzag(v), out); }
inline void write(int32_t v, std::string& out) { put_varint(zigzag(v), out); }
inline void write(Cents v, std::string& out) { put_varint(zigzag(v.value), out); }
inline void write(double v, std::string& out) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
}
template <class T>
void write(const std::optional<T>& v, std::string& out);
template <class T>
void write(const std::vector<T>& v, std::string& out);
template <class T, std::enable_if_t<json::is_struct<T>::value, int> = 0>
void write(const T& v, std::string& out);

template <class T>
void write(const std::optional<T>& v, std::string& out) {
  write(v.has_value(), out);
  if (v) write(*v, out);
}
template <class T>
void write(const std::vector<T>& v, std::string& out) {
  put_varint(v.size(), out);
  for (const T& x : v) write(x, out);
}
template <class T, std::enable_if_t<json::is_struct<T>::value, int>>
void write(const T& v, std::string& out) {
  constexpr auto fields = brook_json_fields(static_cast<const T*>(nullptr));
  std::apply([&](const auto&... f) { (write(v.*(f.member), out), ...); }, fields);
}

inline bool read(Reader& in, std::string& out) {
  size_t n;
  if (!in.length(n)) return false;
  out.assign(in.p, n);
  in.p += n;
  return true;
}
inline bool read(Reader& in, bool& out) { return in.flag(out); }
inline bool read(Reader& in, int64_t& out) {
  uint64_t v;
  if (!in.varint(v)) return false;
  out = unzigzag(v);
  return true;
}
inline bool read(Reader& in, int32_t& out) {
  int64_t v;
  if (!read(in, v) || v < INT32_MIN || v > INT32_MAX) return false;
  out = static_cast<int32_t>(v);
  return true;
}
inline bool read(Reader& in, Cents& out) { return read(in, out.value); }
inline bool read(Reader& in, double& out) {
  if (in.end - in.p < 8) return false;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i)
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(in.p[i])) << (8 * i);
  in.p += 8;
  std::memcpy(&out, &bits, sizeof out);
  return true;
}
template <class T>
bool read(Reader& in, std::optional<T>& out);
template <class T>
bool read(Reader& in, std::vector<T>& out);
template <class T, std::enable_if_t<json::is_struct<T>::value, int> = 0>
bool read(Reader& in, T& out);

template <class T>
bool read(Reader& in, std::optional<T>& out) {
  bool present;
  if (!in.flag(present)) return false;
  if (!present) {
    out.reset();
    return true;
  }
  if (!out) out.emplace();  // reuse the value (and its capacity) when there is one
  return read(in, *out);
}
template <class T>
bool read(Reader& in, std::vector<T>& out) {
  size_t n;
  if (!in.length(n)) return false;
  out.resize(n);
  for (T& x : out) {
    if (!read(in, x)) return false;
  }
  return true;
}
template <class T, std::enable_if_t<json::is_struct<T>::value, int>>
bool read(Reader& in, T& out) {
  constexpr auto fields = brook_json_fields(static_cast<const T*>(nullptr));
  return std::apply([&](const auto&... f) { return (read(in, out.*(f.member)) && ...); }, fields);
}

}  // namespace binary

template <class T>
struct BinarySerde {
  static_assert(json::is_struct<T>::value, "BinarySerde<T> needs T declared with BROOK_JSON");
  static void serialize(const T& v, std::string& out) {
    out.clear();
    out += binary::kFormat;
    binary::write(v, out);
  }
  // Fills `out` in place, reusing its strings' capacity.
  static bool deserialize(const char* data, size_t size, T& out) {
    if (data == nullptr || size == 0 || data[0] != binary::kFormat) return false;
    binary::Reader in{data + 1, data + size};
    return binary::read(in, out) && in.p == in.end;
  }
  static constexpr const char* name() { return "binary"; }
};

}  // namespace brook
