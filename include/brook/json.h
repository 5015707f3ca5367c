// JSON for user structs: declare a struct's fields once with BROOK_JSON and the
// struct gets a Serde (see serde.h). Parsing uses simdjson on-demand; fields may
// come in any order, unknown fields are ignored, a declared field that is not a
// std::optional is required. Writing is a tight hand-rolled writer.
//
//   struct Purchase { std::string product_id; int64_t quantity; brook::Cents total_purchase; };
//   BROOK_JSON(Purchase, product_id, quantity, total_purchase)
//
// Supported field types: std::string, bool, int32_t, int64_t, double, brook::Cents,
// std::optional<T>, std::vector<T>, and other BROOK_JSON structs.
// Free functions; thread-safe (each thread parses with its own parser).
#pragma once

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace brook {

// A money amount held exactly as an integer number of cents. Parsed from a JSON
// number's decimal text (never through a double), written with two decimals.
struct Cents {
  int64_t value = 0;
  friend bool operator==(Cents a, Cents b) { return a.value == b.value; }
  friend Cents operator+(Cents a, Cents b) { return Cents{a.value + b.value}; }
  Cents& operator+=(Cents o) {
    value += o.value;
    return *this;
  }
};

namespace json {

template <class C, class M>
struct Field {
  std::string_view name;
  std::string_view key;  // what the writer puts before the value: "name":
  M C::*member;
};

template <class C, class M>
constexpr Field<C, M> field(std::string_view name, std::string_view key, M C::*member) {
  return Field<C, M>{name, key, member};
}

// True when T was declared with BROOK_JSON (found by argument-dependent lookup).
template <class T, class = void>
struct is_struct : std::false_type {};
template <class T>
struct is_struct<T, std::void_t<decltype(brook_json_fields(static_cast<const T*>(nullptr)))>>
    : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// Parses the exact decimal text of a JSON number into cents. More than two
// fractional digits are rounded half away from zero; an exponent is refused.
bool parse_cents(std::string_view text, int64_t* out);
void write_cents(int64_t cents, std::string& out);
void write_string(std::string_view s, std::string& out);

using simdjson::ondemand::value;

inline bool read(value v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}
inline bool read(value v, bool& out) { return !v.get_bool().get(out); }
inline bool read(value v, int64_t& out) { return !v.get_int64().get(out); }
inline bool read(value v, int32_t& out) {
  int64_t x;
  if (v.get_int64().get(x) || x < INT32_MIN || x > INT32_MAX) return false;
  out = static_cast<int32_t>(x);
  return true;
}
inline bool read(value v, double& out) { return !v.get_double().get(out); }
inline bool read(value v, Cents& out) {
  // Check the type first: raw_json_token would also accept a string.
  simdjson::ondemand::json_type t;
  if (v.type().get(t) || t != simdjson::ondemand::json_type::number) return false;
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  return parse_cents(raw, &out.value);
}
template <class T>
bool read(value v, std::optional<T>& out);
template <class T>
bool read(value v, std::vector<T>& out);
template <class T, std::enable_if_t<is_struct<T>::value, int> = 0>
bool read(value v, T& out);

template <class T>
bool read(value v, std::optional<T>& out) {
  bool is_null = false;
  if (!v.is_null().get(is_null) && is_null) {
    out.reset();
    return true;
  }
  if (!out) out.emplace();  // reuse the value (and its capacity) when there is one
  return read(v, *out);
}

template <class T>
bool read(value v, std::vector<T>& out) {
  simdjson::ondemand::array arr;
  if (v.get_array().get(arr)) return false;
  out.clear();
  for (auto element : arr) {
    value ev;
    if (element.get(ev)) return false;
    T x{};
    if (!read(ev, x)) return false;
    out.push_back(std::move(x));
  }
  return true;
}

// Unformatted: clang-format 14 splits an immediately invoked template lambda
// from its call.
// clang-format off
template <class T>
bool read_object(simdjson::ondemand::object obj, T& out) {
  constexpr auto fields = brook_json_fields(static_cast<const T*>(nullptr));
  constexpr size_t n = std::tuple_size_v<std::remove_const_t<decltype(fields)>>;
  static_assert(n <= 64, "BROOK_JSON supports at most 64 fields");
  uint64_t seen = 0;
  for (auto member : obj) {
    simdjson::ondemand::raw_json_string raw_key;
    if (member.key().get(raw_key)) return false;
    bool ok = true;
    bool matched = false;
    [&]<size_t... I>(std::index_sequence<I...>) {
      (void)((!matched && raw_key.unsafe_is_equal(std::get<I>(fields).name)
                  ? (matched = true, seen |= (uint64_t{1} << I),
                     ok = read(member.value(), out.*(std::get<I>(fields).member)), true)
                  : false) ||
             ...);
    }(std::make_index_sequence<n>{});
    if (!ok) return false;
  }
  uint64_t required = 0;
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((required |= is_optional<std::remove_cvref_t<decltype(out.*(std::get<I>(fields).member))>>::value
                       ? 0
                       : (uint64_t{1} << I)),
     ...);
  }(std::make_index_sequence<n>{});
  if ((seen & required) != required) return false;
  // `out` is reused between records: an optional field this document lacks is
  // absent, whatever the previous record had.
  [&]<size_t... I>(std::index_sequence<I...>) {
    (([&] {
       auto& m = out.*(std::get<I>(fields).member);
       if constexpr (is_optional<std::remove_cvref_t<decltype(m)>>::value) {
         if (!(seen & (uint64_t{1} << I))) m.reset();
       }
     }()),
     ...);
  }(std::make_index_sequence<n>{});
  return true;
}

// clang-format on
template <class T, std::enable_if_t<is_struct<T>::value, int>>
bool read(value v, T& out) {
  simdjson::ondemand::object obj;
  if (v.get_object().get(obj)) return false;
  return read_object(obj, out);
}

inline void write(const std::string& v, std::string& out) { write_string(v, out); }
inline void write(bool v, std::string& out) { out += v ? "true" : "false"; }
template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
void write(I v, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void write(double v, std::string& out);
inline void write(Cents v, std::string& out) { write_cents(v.value, out); }
template <class T>
void write(const std::optional<T>& v, std::string& out);
template <class T>
void write(const std::vector<T>& v, std::string& out);
template <class T, std::enable_if_t<is_struct<T>::value, int> = 0>
void write(const T& v, std::string& out);

template <class T>
void write(const std::optional<T>& v, std::string& out) {
  if (v) {
    write(*v, out);
  } else {
    out += "null";
  }
}
template <class T>
void write(const std::vector<T>& v, std::string& out) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    write(v[i], out);
  }
  out += ']';
}
template <class T, std::enable_if_t<is_struct<T>::value, int>>
void write(const T& v, std::string& out) {
  constexpr auto fields = brook_json_fields(static_cast<const T*>(nullptr));
  out += '{';
  bool first = true;
  auto one = [&](const auto& f) {
    if (!first) out += ',';
    first = false;
    out.append(f.key.data(), f.key.size());
    write(v.*(f.member), out);
  };
  std::apply([&](const auto&... f) { (one(f), ...); }, fields);
  out += '}';
}

// Parses `size` bytes of JSON into `out`; false if it is not valid JSON, not an
// object, lacks a required field or has a field of the wrong type. Reuses a
// per-thread parser and padded buffer: no allocation once warmed up.
template <class T>
bool parse(const char* data, size_t size, T& out);

simdjson::ondemand::parser& thread_parser();
// A per-thread buffer holding a copy of the input followed by simdjson's padding.
const char* padded_copy(const char* data, size_t size);

template <class T>
bool parse(const char* data, size_t size, T& out) {
  const char* padded = padded_copy(data, size);
  simdjson::ondemand::document doc;
  if (thread_parser().iterate(padded, size, size + simdjson::SIMDJSON_PADDING).get(doc)) {
    return false;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return false;
  if (!read_object(obj, out)) return false;
  // Trailing content after the object makes the document invalid: at the end,
  // the iterator has no location left.
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

}  // namespace json
}  // namespace brook

#define BROOK_JSON_PARENS ()
#define BROOK_JSON_EXPAND(...) \
  BROOK_JSON_EXPAND4(BROOK_JSON_EXPAND4(BROOK_JSON_EXPAND4(BROOK_JSON_EXPAND4(__VA_ARGS__))))
#define BROOK_JSON_EXPAND4(...) \
  BROOK_JSON_EXPAND3(BROOK_JSON_EXPAND3(BROOK_JSON_EXPAND3(BROOK_JSON_EXPAND3(__VA_ARGS__))))
#define BROOK_JSON_EXPAND3(...) \
  BROOK_JSON_EXPAND2(BROOK_JSON_EXPAND2(BROOK_JSON_EXPAND2(BROOK_JSON_EXPAND2(__VA_ARGS__))))
#define BROOK_JSON_EXPAND2(...) \
  BROOK_JSON_EXPAND1(BROOK_JSON_EXPAND1(BROOK_JSON_EXPAND1(BROOK_JSON_EXPAND1(__VA_ARGS__))))
#define BROOK_JSON_EXPAND1(...) __VA_ARGS__
#define BROOK_JSON_FOR_EACH(macro, T, ...) \
  __VA_OPT__(BROOK_JSON_EXPAND(BROOK_JSON_FOR_EACH_HELPER(macro, T, __VA_ARGS__)))
#define BROOK_JSON_FOR_EACH_HELPER(macro, T, a1, ...) \
  macro(T, a1) __VA_OPT__(, BROOK_JSON_FOR_EACH_AGAIN BROOK_JSON_PARENS(macro, T, __VA_ARGS__))
#define BROOK_JSON_FOR_EACH_AGAIN() BROOK_JSON_FOR_EACH_HELPER
#define BROOK_JSON_FIELD(T, f) ::brook::json::field(#f, "\"" #f "\":", &T::f)

// Declares the JSON fields of struct T; place it in T's namespace, after T.
#define BROOK_JSON(T, ...)                                                         \
  [[maybe_unused]] constexpr auto brook_json_fields(const T*) {                    \
    return std::make_tuple(BROOK_JSON_FOR_EACH(BROOK_JSON_FIELD, T, __VA_ARGS__)); \
  }
