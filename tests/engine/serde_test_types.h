// Structs that exercise every BROOK_JSON field type, shared by the JSON and the
// binary serde tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "brook/serde.h"

namespace brook::serde_test {

struct Inner {
  std::string name;
  int32_t n = 0;
  friend bool operator==(const Inner&, const Inner&) = default;
};
BROOK_JSON(Inner, name, n)

struct Event {
  std::string id;
  int64_t count = 0;
  double ratio = 0;
  bool flag = false;
  Cents amount;
  std::optional<std::string> note;
  std::vector<int64_t> list;
  Inner inner;
  friend bool operator==(const Event&, const Event&) = default;
};
BROOK_JSON(Event, id, count, ratio, flag, amount, note, list, inner)

// Vectors and optionals of structs.
struct Basket {
  std::vector<Inner> items;
  std::optional<Inner> extra;
  friend bool operator==(const Basket&, const Basket&) = default;
};
BROOK_JSON(Basket, items, extra)

}  // namespace brook::serde_test
