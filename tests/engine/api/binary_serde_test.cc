#include <gtest/gtest.h>

#include <climits>

#include "brook/binary.h"
#include "brook/serde.h"
#include "tests/engine/serde_test_types.h"

namespace brook {
namespace {

using namespace serde_test;

using B = BinarySerde<Event>;

Event sample() {
  return Event{"évènement \"1\"\n",
               INT64_MIN,
               -0.125,
               true,
               Cents{-123456789},
               std::string(300, 'x'),
               {0, -1, INT64_MAX},
               Inner{"", INT32_MIN}};
}

std::string encode(const Event& e) {
  std::string out;
  B::serialize(e, out);
  return out;
}

bool decode(const std::string& bytes, Event& e) {
  return B::deserialize(bytes.data(), bytes.size(), e);
}

TEST(BinarySerde, RoundTripsEveryFieldType) {
  for (const Event& e : {sample(), Event{}}) {
    Event back;
    ASSERT_TRUE(decode(encode(e), back));
    EXPECT_TRUE(back == e);
  }
  for (const Basket& b : {Basket{{Inner{"a", 1}, Inner{"b", -2}}, Inner{"c", 3}}, Basket{}}) {
    std::string bytes;
    BinarySerde<Basket>::serialize(b, bytes);
    Basket back{{Inner{"stale", 9}}, Inner{"stale", 9}};
    ASSERT_TRUE(BinarySerde<Basket>::deserialize(bytes.data(), bytes.size(), back));
    EXPECT_TRUE(back == b);
  }
}

TEST(BinarySerde, IsSmallerThanJson) {
  Event e{"product-12", 3, 0, false, Cents{1299}, std::nullopt, {}, Inner{"x", 1}};
  std::string json;
  Serde<Event>::serialize(e, json);
  EXPECT_LT(encode(e).size() * 3, json.size()) << "no names, no number text";
}

TEST(BinarySerde, RefusesTruncatedTrailingAndForeignBytes) {
  std::string bytes = encode(sample());
  Event e;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode(bytes.substr(0, n), e)) << "a prefix of " << n << " bytes";
  }
  EXPECT_FALSE(decode(bytes + '\0', e)) << "a trailing byte";
  std::string other_format = bytes;
  other_format[0] = 2;
  EXPECT_FALSE(decode(other_format, e));
  std::string json;
  Serde<Event>::serialize(sample(), json);
  EXPECT_FALSE(decode(json, e)) << "JSON is not this format";
  EXPECT_FALSE(B::deserialize(nullptr, 0, e)) << "null";
}

TEST(BinarySerde, RefusesOutOfRangeValues) {
  Event e;
  // format, id "" , count 0, ratio 0.0, flag 2 (neither false nor true)
  std::string bad_flag(
      "\1\0\0"
      "\0\0\0\0\0\0\0\0"
      "\2",
      12);
  EXPECT_FALSE(decode(bad_flag, e));
  // A string length far past the bytes there are: refused before allocating.
  std::string huge_length("\1\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
  EXPECT_FALSE(decode(huge_length, e));
  // A varint longer than 64 bits.
  std::string long_varint("\1\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12);
  EXPECT_FALSE(decode(long_varint, e));
  // Inner.n one past int32: the encoding of INT32_MAX with its varint swapped.
  Event small;
  small.inner.n = INT32_MAX;
  std::string ok = encode(small);
  ASSERT_TRUE(decode(ok, e));
  std::string n_max, n_over;
  binary::put_varint(binary::zigzag(INT32_MAX), n_max);
  binary::put_varint(binary::zigzag(int64_t{INT32_MAX} + 1), n_over);
  size_t at = ok.find(n_max);
  ASSERT_NE(at, std::string::npos);
  EXPECT_FALSE(decode(ok.substr(0, at) + n_over + ok.substr(at + n_max.size()), e));
}

TEST(BinarySerde, DecodesIntoAReusedValue) {
  Event e = sample();
  Event fresh{"b", 2, 0, false, Cents{1}, std::nullopt, {7}, Inner{"i", 3}};
  ASSERT_TRUE(decode(encode(fresh), e));
  EXPECT_TRUE(e == fresh) << "optional reset, vectors replaced";
}

}  // namespace
}  // namespace brook
