#include "brook/time.h"

#include <gtest/gtest.h>

#include "brook/brook.h"
#include "brook/testing/topology_test_driver.h"

namespace brook {
namespace {

TEST(Timestamps, ParseTheDemosFormatInUtc) {
  EXPECT_EQ(parse_timestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(parse_timestamp("2022-12-01 15:10:00.000000"), 1669907400000);
  EXPECT_EQ(parse_timestamp("2022-12-01 15:10:00.123456"), 1669907400123) << "truncated to ms";
  EXPECT_EQ(parse_timestamp("2022-12-01T15:10:00.5Z"), 1669907400500);
  EXPECT_EQ(parse_timestamp("2024-02-29 23:59:59.999"), 1709251199999) << "a leap day";
  EXPECT_EQ(parse_timestamp("1969-12-31 23:59:59"), -1000) << "before the epoch: negative";
}

TEST(Timestamps, RejectWhatIsNotATime) {
  for (const char* bad :
       {"", "2022-12-01", "2022-12-01 15:10", "2022-13-01 15:10:00", "2022-02-30 15:10:00",
        "2022-12-01 24:00:00", "2022-12-01 15:10:00.", "2022-12-01 15:10:00.1234567890",
        "2022/12/01 15:10:00", "2022-12-01 15:10:0x", "2022-12-01 15:10:00 "}) {
    EXPECT_EQ(parse_timestamp(bad), std::nullopt) << bad;
  }
}

TEST(Timestamps, FormatBackToTheDemosFormat) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01 00:00:00.000000");
  EXPECT_EQ(format_timestamp(1669907400123), "2022-12-01 15:10:00.123000");
  EXPECT_EQ(format_timestamp(-1000), "1969-12-31 23:59:59.000000");
  for (int64_t t : {int64_t{1}, int64_t{86399999}, int64_t{1709251199999}}) {
    EXPECT_EQ(parse_timestamp(format_timestamp(t)), t);
  }
}

struct Sale {
  std::string id;
  std::string at;
};
BROOK_JSON(Sale, id, at)

TEST(TimestampExtractor, AFieldTimesTheRecordAndAnUnreadableOneIsSkippedAndCounted) {
  StreamsBuilder b;
  b.stream<std::string, Sale>("sales", with_timestamp_extractor(time_field(&Sale::at))).to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<std::string, Sale>("sales");
  auto out = driver.create_output_topic<std::string, Sale>("out");
  in.pipe_input("k", Sale{"1", "2022-12-01 15:10:00.000000"}, 5);
  in.pipe_input("k", Sale{"2", "yesterday"}, 6);
  in.pipe_input("k", Sale{"3", "1969-12-31 23:59:59"}, 7);
  ASSERT_EQ(out.queue_size(), 1u);
  Record<std::string, Sale> r = out.read_record();
  EXPECT_EQ(r.value.id, "1");
  EXPECT_EQ(r.timestamp, 1669907400000) << "the field's time, not the record's";
  EXPECT_EQ(driver.metrics().dropped_records_total.load(), 2u)
      << "no time, and a negative time: both skipped and counted";
}

}  // namespace
}  // namespace brook
