#include "brook/json.h"

#include <cmath>
#include <memory>

namespace brook::json {

bool parse_cents(std::string_view text, int64_t* out) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
  int64_t whole = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (whole > (INT64_MAX / 100 - 9) / 10) return false;  // would overflow in cents
    whole = whole * 10 + (text[i] - '0');
  }
  int64_t frac = 0;
  int digits = 0;
  bool round_up = false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      if (digits < 2) {
        frac = frac * 10 + (text[i] - '0');
      } else if (digits == 2) {
        round_up = text[i] >= '5';
      }
    }
  }
  if (i != text.size()) return false;  // exponent or garbage
  if (digits == 1) frac *= 10;
  int64_t cents = whole * 100 + frac + (round_up ? 1 : 0);
  *out = negative ? -cents : cents;
  return true;
}

void write_cents(int64_t cents, std::string& out) {
  if (cents < 0) {
    out += '-';
    cents = -cents;
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, cents / 100);
  out.append(buf, r.ptr);
  int64_t c = cents % 100;
  out += '.';
  out += static_cast<char>('0' + c / 10);
  out += static_cast<char>('0' + c % 10);
}

void write_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + start, s.size() - start);
  out += '"';
}

void write(double v, std::string& out) {
  if (!std::isfinite(v)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

simdjson::ondemand::parser& thread_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

const char* padded_copy(const char* data, size_t size) {
  thread_local std::unique_ptr<char[]> buffer;
  thread_local size_t capacity = 0;
  size_t need = size + simdjson::SIMDJSON_PADDING;
  if (need > capacity) {
    capacity = std::max(need, capacity * 2);
    buffer.reset(new char[capacity]);
  }
  if (size) std::memcpy(buffer.get(), data, size);
  std::memset(buffer.get() + size, 0, simdjson::SIMDJSON_PADDING);
  return buffer.get();
}

}  // namespace brook::json
