#include <gtest/gtest.h>

#include "engine/runtime/record_collector.h"

namespace brook {
namespace {

int32_t java_murmur2(const std::string& s) {
  return static_cast<int32_t>(murmur2(s.data(), s.size()));
}

// Vectors from Kafka's own UtilsTest, so keys partition as Java clients do.
TEST(Murmur2, MatchesKafkaJavaClients) {
  EXPECT_EQ(java_murmur2("21"), -973932308);
  EXPECT_EQ(java_murmur2("foobar"), -790332482);
  EXPECT_EQ(java_murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(java_murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(java_murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(java_murmur2("abc"), 479470107);
}

TEST(Murmur2, PartitionIsPositiveModuloCount) {
  for (const std::string k : {"SC01", "CS11", "x", ""}) {
    int32_t p = partition_for_key(k.data(), k.size(), 4);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 4);
  }
}

}  // namespace
}  // namespace brook
