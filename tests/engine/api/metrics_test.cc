#include "brook/metrics.h"

#include <gtest/gtest.h>

#include "brook/streams_builder.h"
#include "brook/testing/topology_test_driver.h"

namespace brook {
namespace {

using S = std::string;

TEST(MetricsRegistry, GivesOneSensorPerNameAndTagsUntilItsTagsAreRemoved) {
  MetricsRegistry r;
  Sensor& a = r.sensor("put", {{"task-id", "0_1"}, {"store-name", "s"}});
  EXPECT_EQ(&a, &r.sensor("put", {{"task-id", "0_1"}, {"store-name", "s"}}));
  EXPECT_NE(&a, &r.sensor("put", {{"task-id", "0_2"}, {"store-name", "s"}}));
  a.record_ns(30);
  a.record_ns(10);
  r.sensor("commit", {{"thread-id", "t1"}}).record();
  r.remove({{"task-id", "0_1"}});
  auto readings = r.snapshot();
  ASSERT_EQ(readings.size(), 2u) << "the sensor of task 0_1 is gone, the others stay";
  Metrics m;
  m.registry.sensor("put", {{"store-name", "s"}}).record_ns(30);
  m.registry.sensor("put", {{"store-name", "s"}}).record_ns(10);
  auto flat = m.snapshot_with_sensors();
  EXPECT_EQ(flat["put-total{store-name=s}"], 2);
  EXPECT_EQ(flat["put-latency-avg-ns{store-name=s}"], 20);
  EXPECT_EQ(flat["put-latency-max-ns{store-name=s}"], 30);
  EXPECT_EQ(flat.count("commit-total"), 1u) << "the process-wide counters are there too";
}

int64_t total(const Metrics& m, const std::string& name, const MetricTags& tags) {
  for (const auto& r : m.registry.snapshot()) {
    if (r.name == name && r.tags == tags) return r.count;
  }
  return -1;
}

Topology counting() {
  StreamsBuilder b;
  b.stream<S, S>("in").group_by_key().count(Materialized::as("counts")).to_stream().to("out");
  return b.build();
}

TEST(Metrics, DebugRecordingTimesEveryTasksProcessingAndEveryStoreOperation) {
  TopologyTestDriver driver(counting(), StreamsConfig{{"metrics.recording.level", "DEBUG"}}, 1);
  auto in = driver.create_input_topic<S, S>("in");
  in.pipe_input("a", "x", 1);
  in.pipe_input("a", "y", 2);
  EXPECT_EQ(total(driver.metrics(), "process", {{"task-id", "0_0"}}), 2);
  EXPECT_GT(total(driver.metrics(), "flush", {{"task-id", "0_0"}, {"store-name", "counts"}}), 0);
  EXPECT_EQ(total(driver.metrics(), "get", {{"task-id", "0_0"}, {"store-name", "counts"}}), 1)
      << "the first count reads the store; the second finds it in the record cache, which "
         "typed stores use directly (not timed)";
}

TEST(Metrics, InfoRecordingKeepsThePerRecordPathUntimed) {
  TopologyTestDriver driver(counting(), StreamsConfig{}, 1);
  auto in = driver.create_input_topic<S, S>("in");
  in.pipe_input("a", "x", 1);
  EXPECT_EQ(total(driver.metrics(), "process", {{"task-id", "0_0"}}), -1);
  EXPECT_EQ(total(driver.metrics(), "put", {{"task-id", "0_0"}, {"store-name", "counts"}}), -1);
}

}  // namespace
}  // namespace brook
