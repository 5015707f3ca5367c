// Windowed aggregations through the test driver, caching off (every update
// forwarded, as Kafka Streams' own tests run them).
#include <gtest/gtest.h>

#include "brook/brook.h"
#include "brook/testing/topology_test_driver.h"

namespace brook {
namespace {

using S = std::string;
using namespace std::chrono_literals;

std::string show(const Record<Windowed<S>, int64_t>& r) {
  return r.key.key + "@" + std::to_string(r.key.window.start) + "/" +
         std::to_string(r.key.window.end) + "=" + std::to_string(r.value) + "@" +
         std::to_string(r.timestamp);
}

std::vector<std::string> drain(TestOutputTopic<Windowed<S>, int64_t>& out) {
  std::vector<std::string> v;
  while (!out.is_empty()) v.push_back(show(out.read_record()));
  return v;
}

template <class W>
Topology counting(W windows) {
  StreamsBuilder b;
  b.stream<S, S>("in")
      .group_by_key()
      .windowed_by(windows)
      .count(Materialized::as("counts").with_caching_disabled())
      .to_stream()
      .to("out");
  return b.build();
}

TEST(TimeWindowsCount, TumblingWindowsCountPerKeyAndForwardTheLatestRecordTime) {
  Topology t = counting(TimeWindows::of_size_with_no_grace(10ms));
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, S>("in");
  auto out = driver.create_output_topic<Windowed<S>, int64_t>("out");
  in.pipe_input("a", "x", 3);
  in.pipe_input("a", "x", 7);
  in.pipe_input("b", "x", 9);
  in.pipe_input("a", "x", 5);  // out of order, same window: the timestamp stays 7
  in.pipe_input("a", "x", 12);
  EXPECT_EQ(drain(out), (std::vector<std::string>{"a@0/10=1@3", "a@0/10=2@7", "b@0/10=1@9",
                                                  "a@0/10=3@7", "a@10/20=1@12"}));
}

TEST(TimeWindowsCount, HoppingWindowsCountARecordInEachWindowItFallsInto) {
  Topology t = counting(TimeWindows::of_size_with_no_grace(10ms).advance_by(5ms));
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, S>("in");
  auto out = driver.create_output_topic<Windowed<S>, int64_t>("out");
  in.pipe_input("a", "x", 7);
  in.pipe_input("a", "x", 12);
  EXPECT_EQ(drain(out),
            (std::vector<std::string>{"a@0/10=1@7", "a@5/15=1@7", "a@5/15=2@12", "a@10/20=1@12"}));
}

TEST(TimeWindowsCount, ARecordPastItsWindowsEndAndGraceIsDroppedAndCounted) {
  Topology t = counting(TimeWindows::of_size_and_grace(10ms, 5ms));
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, S>("in");
  auto out = driver.create_output_topic<Windowed<S>, int64_t>("out");
  in.pipe_input("a", "x", 1);
  in.pipe_input("a", "x", 14);  // stream time 14: [0,10) closes at 15
  in.pipe_input("a", "x", 2);   // still within grace
  in.pipe_input("b", "x", 15);  // [0,10) closed now
  in.pipe_input("a", "x", 3);   // late: dropped
  EXPECT_EQ(drain(out),
            (std::vector<std::string>{"a@0/10=1@1", "a@10/20=1@14", "a@0/10=2@2", "b@10/20=1@15"}));
  EXPECT_EQ(driver.metrics().dropped_records_total.load(), 1u);
}

std::vector<std::string> sessions_after(SessionWindows windows, std::vector<int64_t> times) {
  StreamsBuilder b;
  b.stream<S, S>("in")
      .group_by_key()
      .windowed_by(windows)
      .count(Materialized::as("sessions").with_caching_disabled())
      .to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, S>("in");
  auto out = driver.create_output_topic<Windowed<S>, std::optional<int64_t>>("out");
  for (int64_t time : times) in.pipe_input("a", "x", time);
  std::vector<std::string> got;
  while (!out.is_empty()) {
    auto r = out.read_record();
    got.push_back(std::to_string(r.key.window.start) + "/" + std::to_string(r.key.window.end) +
                  "=" + (r.value ? std::to_string(*r.value) : "null") + "@" +
                  std::to_string(r.timestamp));
  }
  return got;
}

TEST(SessionWindowsCount, ARecordWithinTheGapOfTwoSessionsMergesThemAndTheirOldSelvesAreDeleted) {
  EXPECT_EQ(sessions_after(SessionWindows::of_inactivity_gap_and_grace(5ms, 20ms), {0, 10, 5}),
            (std::vector<std::string>{"0/0=1@0", "10/10=1@10", "0/0=null@0", "10/10=null@10",
                                      "0/10=3@10"}));
}

TEST(SessionWindowsCount, ASessionPastRetentionIsNotMergedAsInKafkaStreams) {
  // Retention is gap + grace = 5: at stream time 10 the session [0,0] is past
  // it (Kafka Streams' session store reads from 10 - 5 + 1), so the record at
  // 5 merges with [10,10] only.
  EXPECT_EQ(sessions_after(SessionWindows::of_inactivity_gap_with_no_grace(5ms), {0, 10, 5}),
            (std::vector<std::string>{"0/0=1@0", "10/10=1@10", "10/10=null@10", "5/10=2@10"}));
}

}  // namespace
}  // namespace brook
