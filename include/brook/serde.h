// Serde<T>: how a key or value type turns into bytes and back. Specialized for
// std::string (UTF-8), int32_t/int64_t/double (big-endian, as Kafka's Java serdes),
// brook::Bytes (raw), brook::Cents and every BROOK_JSON struct (JSON). Specialize Serde<T> for
// your own types. BinarySerde<T> (binary.h) is a compact alternative for BROOK_JSON
// structs on topics only brook reads. Static functions; thread-safe.
//
// deserialize() gets `data == nullptr` for a null key or value and returns false
// when the bytes are not a T; the engine then applies the configured
// deserialization error handler.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

#include "brook/binary.h"
#include "brook/json.h"

namespace brook {

// Raw bytes, passed through untouched.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

template <class T, class = void>
struct Serde {
  static_assert(json::is_struct<T>::value,
                "no brook::Serde<T> for this type: declare it with BROOK_JSON or specialize "
                "brook::Serde");
  static void serialize(const T& v, std::string& out) {
    out.clear();
    json::write(v, out);
  }
  // Fills `out` in place (reusing its strings' capacity): every required field
  // is overwritten, and optional fields the document lacks are reset.
  static bool deserialize(const char* data, size_t size, T& out) {
    if (data == nullptr) return false;
    return json::parse(data, size, out);
  }
  static constexpr const char* name() { return "json"; }
};

template <>
struct Serde<std::string> {
  static void serialize(const std::string& v, std::string& out) { out.assign(v); }
  // A null key or value reads as the empty string.
  static bool deserialize(const char* data, size_t size, std::string& out) {
    if (data == nullptr) {
      out.clear();
    } else {
      out.assign(data, size);
    }
    return true;
  }
  static constexpr const char* name() { return "string"; }
};

template <>
struct Serde<Bytes> {
  static void serialize(const Bytes& v, std::string& out) { out.assign(v.data); }
  static bool deserialize(const char* data, size_t size, Bytes& out) {
    if (data == nullptr) {
      out.data.clear();
    } else {
      out.data.assign(data, size);
    }
    return true;
  }
  static constexpr const char* name() { return "bytes"; }
};

namespace detail {
template <class U>
void put_big_endian(U v, std::string& out) {
  out.resize(sizeof(U));
  for (size_t i = 0; i < sizeof(U); ++i) {
    out[i] = static_cast<char>((v >> (8 * (sizeof(U) - 1 - i))) & 0xff);
  }
}
template <class U>
U get_big_endian(const char* data) {
  U v = 0;
  for (size_t i = 0; i < sizeof(U); ++i) v = (v << 8) | static_cast<uint8_t>(data[i]);
  return v;
}
}  // namespace detail

template <>
struct Serde<int32_t> {
  static void serialize(int32_t v, std::string& out) {
    detail::put_big_endian(static_cast<uint32_t>(v), out);
  }
  static bool deserialize(const char* data, size_t size, int32_t& out) {
    if (data == nullptr || size != 4) return false;
    out = static_cast<int32_t>(detail::get_big_endian<uint32_t>(data));
    return true;
  }
  static constexpr const char* name() { return "int32"; }
};

template <>
struct Serde<int64_t> {
  static void serialize(int64_t v, std::string& out) {
    detail::put_big_endian(static_cast<uint64_t>(v), out);
  }
  static bool deserialize(const char* data, size_t size, int64_t& out) {
    if (data == nullptr || size != 8) return false;
    out = static_cast<int64_t>(detail::get_big_endian<uint64_t>(data));
    return true;
  }
  static constexpr const char* name() { return "int64"; }
};

template <>
struct Serde<double> {
  static void serialize(double v, std::string& out) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    detail::put_big_endian(bits, out);
  }
  static bool deserialize(const char* data, size_t size, double& out) {
    if (data == nullptr || size != 8) return false;
    uint64_t bits = detail::get_big_endian<uint64_t>(data);
    std::memcpy(&out, &bits, sizeof out);
    return true;
  }
  static constexpr const char* name() { return "double"; }
};

// A nullable key or value: null bytes read as nullopt, and nullopt is written as
// a real null (no key: the producer spreads the record; no value: a tombstone).
// Use std::optional<std::string> as the key type of topics written without keys
// to keep their keys null downstream; plain std::string reads null as "".
template <class T>
struct Serde<std::optional<T>> {
  static bool is_null(const std::optional<T>& v) { return !v.has_value(); }
  static void serialize(const std::optional<T>& v, std::string& out) {
    if (v) {
      Serde<T>::serialize(*v, out);
    } else {
      out.clear();
    }
  }
  static bool deserialize(const char* data, size_t size, std::optional<T>& out) {
    if (data == nullptr) {
      out.reset();
      return true;
    }
    T v{};
    if (!Serde<T>::deserialize(data, size, v)) return false;
    out = std::move(v);
    return true;
  }
  static constexpr const char* name() { return "optional"; }
};

// Whether a value serializes to null (only nullable serdes define is_null).
template <class T>
bool serde_is_null(const T& v) {
  if constexpr (requires { Serde<T>::is_null(v); }) {
    return Serde<T>::is_null(v);
  } else {
    return false;
  }
}

// Cents as its integer count, 8 bytes big-endian.
template <>
struct Serde<Cents> {
  static void serialize(Cents v, std::string& out) { Serde<int64_t>::serialize(v.value, out); }
  static bool deserialize(const char* data, size_t size, Cents& out) {
    return Serde<int64_t>::deserialize(data, size, out.value);
  }
  static constexpr const char* name() { return "cents"; }
};

}  // namespace brook
