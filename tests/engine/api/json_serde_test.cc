#include <gtest/gtest.h>

#include "brook/serde.h"
#include "tests/engine/serde_test_types.h"

namespace brook {
namespace {

using namespace serde_test;

bool parse(const std::string& s, Event& e) {
  return Serde<Event>::deserialize(s.data(), s.size(), e);
}

TEST(JsonSerde, ReadsFieldsInAnyOrderAndIgnoresUnknownOnes) {
  Event e;
  ASSERT_TRUE(parse(
      R"({"inner":{"n":3,"name":"x"},"list":[1,2],"amount":7.98,"unknown":{"deep":[1,{"a":2}]},)"
      R"("flag":true,"ratio":0.5,"count":12,"id":"e1"})",
      e));
  EXPECT_EQ(e.id, "e1");
  EXPECT_EQ(e.count, 12);
  EXPECT_DOUBLE_EQ(e.ratio, 0.5);
  EXPECT_TRUE(e.flag);
  EXPECT_EQ(e.amount.value, 798);
  EXPECT_FALSE(e.note.has_value());
  EXPECT_EQ(e.list, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(e.inner.name, "x");
  EXPECT_EQ(e.inner.n, 3);
}

TEST(JsonSerde, RejectsMissingRequiredFieldsWrongTypesAndNonJson) {
  const std::string ok =
      R"({"id":"a","count":1,"ratio":1,"flag":false,"amount":1,"list":[],"inner":{"name":"","n":0}})";
  Event e;
  EXPECT_TRUE(parse(ok, e));
  EXPECT_FALSE(parse(
      R"({"count":1,"ratio":1,"flag":false,"amount":1,"list":[],"inner":{"name":"","n":0}})", e))
      << "missing id";
  EXPECT_FALSE(parse(
      R"({"id":"a","count":"1","ratio":1,"flag":false,"amount":1,"list":[],"inner":{"name":"","n":0}})",
      e))
      << "count is a string";
  EXPECT_FALSE(parse(
      R"({"id":"a","count":1,"ratio":1,"flag":false,"amount":"1.00","list":[],"inner":{"name":"","n":0}})",
      e))
      << "amount is a string";
  EXPECT_FALSE(parse("", e));
  EXPECT_FALSE(parse("not json", e));
  EXPECT_FALSE(parse("[1,2]", e));
  EXPECT_FALSE(parse(ok + " trailing", e));
  EXPECT_FALSE(parse(ok.substr(0, ok.size() - 5), e)) << "truncated";
  EXPECT_FALSE(Serde<Event>::deserialize(nullptr, 0, e)) << "null value";
}

TEST(JsonSerde, WritesWhatItReads) {
  Event e;
  e.id = "q\"uote\\\n";
  e.count = -3;
  e.ratio = 0.1;
  e.amount = Cents{-1234};
  e.note = "n";
  e.list = {5};
  e.inner = {"in", 9};
  std::string s;
  Serde<Event>::serialize(e, s);
  Event back;
  ASSERT_TRUE(parse(s, back)) << s;
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.count, -3);
  EXPECT_DOUBLE_EQ(back.ratio, 0.1);
  EXPECT_EQ(back.amount.value, -1234);
  EXPECT_EQ(back.note, "n");
  EXPECT_NE(s.find("\"amount\":-12.34"), std::string::npos) << s;
}

TEST(JsonSerde, WritesAndReadsVectorsAndOptionalsOfStructs) {
  Basket b{{Inner{"a", 1}, Inner{"b", 2}}, Inner{"c", 3}};
  std::string s;
  Serde<Basket>::serialize(b, s);
  EXPECT_EQ(s, R"({"items":[{"name":"a","n":1},{"name":"b","n":2}],"extra":{"name":"c","n":3}})");
  Basket back;
  ASSERT_TRUE(Serde<Basket>::deserialize(s.data(), s.size(), back)) << s;
  ASSERT_EQ(back.items.size(), 2u);
  EXPECT_EQ(back.items[1].name, "b");
  EXPECT_EQ(back.extra->n, 3);
}

TEST(Cents, ParsesDecimalTextExactly) {
  int64_t c = 0;
  ASSERT_TRUE(json::parse_cents("7.98", &c));
  EXPECT_EQ(c, 798);
  ASSERT_TRUE(json::parse_cents("0.1", &c));
  EXPECT_EQ(c, 10);
  ASSERT_TRUE(json::parse_cents("12", &c));
  EXPECT_EQ(c, 1200);
  ASSERT_TRUE(json::parse_cents("-0.005", &c));
  EXPECT_EQ(c, -1);
  ASSERT_TRUE(json::parse_cents("2.344", &c));
  EXPECT_EQ(c, 234);
  EXPECT_FALSE(json::parse_cents("1e3", &c));
  EXPECT_FALSE(json::parse_cents("1.", &c));
  EXPECT_FALSE(json::parse_cents("", &c));
  EXPECT_FALSE(json::parse_cents("99999999999999999999", &c));
  // A million additions of 0.01 stay exact, unlike a double.
  Cents total;
  for (int i = 0; i < 1000000; ++i) total += Cents{1};
  std::string out;
  json::write(total, out);
  EXPECT_EQ(out, "10000.00");
}

TEST(PrimitiveSerdes, UseKafkaJavaByteLayouts) {
  std::string out;
  Serde<int32_t>::serialize(0x01020304, out);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04", 4));
  Serde<int64_t>::serialize(-2, out);
  EXPECT_EQ(out, std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
  int64_t back = 0;
  ASSERT_TRUE(Serde<int64_t>::deserialize(out.data(), out.size(), back));
  EXPECT_EQ(back, -2);
  EXPECT_FALSE(Serde<int64_t>::deserialize(out.data(), 3, back));
  Serde<double>::serialize(1.5, out);
  double d = 0;
  ASSERT_TRUE(Serde<double>::deserialize(out.data(), out.size(), d));
  EXPECT_EQ(d, 1.5);
  EXPECT_EQ(out, std::string("\x3f\xf8\0\0\0\0\0\0", 8));
  std::string s;
  ASSERT_TRUE(Serde<std::string>::deserialize(nullptr, 0, s));
  EXPECT_EQ(s, "");
}

}  // namespace
}  // namespace brook
