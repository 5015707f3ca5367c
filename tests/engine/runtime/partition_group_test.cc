#include "engine/runtime/partition_group.h"

#include <gtest/gtest.h>

namespace brook {
namespace {

// Records are told apart by their timestamps here: the messages themselves are
// empty (a PartitionGroup never looks inside one).
int64_t pop_timestamp(PartitionGroup& g, int64_t now,
                      std::map<PartitionGroup::Queue*, std::deque<int64_t>>& sent) {
  PartitionGroup::Queue* q = g.next(now);
  if (!q) return -1;
  g.pop(*q);
  int64_t ts = sent[q].front();
  sent[q].pop_front();
  q->next_offset += 1;
  return ts;
}

struct TwoPartitions {
  explicit TwoPartitions(int64_t max_idle_ms) : group(max_idle_ms) {
    a = &group.add_partition({"left", 0}, nullptr, 0);
    b = &group.add_partition({"right", 0}, nullptr, 0);
  }
  void add(PartitionGroup::Queue* q, int64_t ts) {
    group.add(*q, kafka::Message(nullptr), ts);
    sent[q].push_back(ts);
  }
  int64_t next(int64_t now = 0) { return pop_timestamp(group, now, sent); }

  PartitionGroup group;
  PartitionGroup::Queue* a;
  PartitionGroup::Queue* b;
  std::map<PartitionGroup::Queue*, std::deque<int64_t>> sent;
};

TEST(PartitionGroup, ProcessesTheRecordWithTheSmallestHeadTimestampFirst) {
  TwoPartitions p(PartitionGroup::kNeverWait);
  p.add(p.a, 5);
  p.add(p.a, 9);
  p.add(p.b, 3);
  p.add(p.b, 7);
  EXPECT_EQ(p.next(), 3);
  EXPECT_EQ(p.next(), 5);
  EXPECT_EQ(p.next(), 7);
  EXPECT_EQ(p.next(), 9);
  EXPECT_EQ(p.next(), -1);
  EXPECT_FALSE(p.group.any_buffered());
}

TEST(PartitionGroup, WaitsForAnEmptyPartitionWhoseRecordsMayBeOnTheirWay) {
  TwoPartitions p(0);
  p.add(p.a, 10);
  EXPECT_EQ(p.next(), -1) << "right has not been read to its end: an earlier record may come";
  p.add(p.b, 4);
  EXPECT_EQ(p.next(), 4);
  EXPECT_EQ(p.next(), -1) << "right is empty again, and its end not seen since";
  p.group.at_end(*p.b, 1);
  EXPECT_EQ(p.next(), 10) << "right is read to its end: nothing to wait for";
}

TEST(PartitionGroup, NeverWaitsWhenMaxTaskIdleIsMinusOne) {
  TwoPartitions p(PartitionGroup::kNeverWait);
  p.add(p.a, 10);
  EXPECT_EQ(p.next(), 10);
}

TEST(PartitionGroup, WaitsMaxTaskIdleForAPartitionAtItsEndThenProcessesAndCountsIt) {
  TwoPartitions p(100);
  p.group.at_end(*p.b, 0);
  p.add(p.a, 10);
  EXPECT_EQ(p.next(/*now=*/1000), -1) << "right is at its end, but new records may come";
  EXPECT_EQ(p.next(1099), -1);
  EXPECT_EQ(p.group.enforced_processing(), 0u);
  EXPECT_EQ(p.next(1100), 10) << "waited max.task.idle.ms";
  EXPECT_EQ(p.group.enforced_processing(), 1u);
}

TEST(PartitionGroup, ARecordArrivingEndsTheWait) {
  TwoPartitions p(100);
  p.group.at_end(*p.b, 0);
  p.add(p.a, 10);
  EXPECT_EQ(p.next(1000), -1);
  p.add(p.b, 2);
  EXPECT_EQ(p.next(1001), 2);
  EXPECT_EQ(p.group.enforced_processing(), 0u);
}

TEST(PartitionGroup, TheEndMovesAnEmptyPartitionsPositionPastWhatIsNeverDelivered) {
  TwoPartitions p(0);
  p.group.at_end(*p.a, 7);  // e.g. a transaction marker at 6
  EXPECT_EQ(p.a->next_offset, 7);
  p.add(p.b, 1);
  p.group.at_end(*p.b, 9);
  EXPECT_EQ(p.b->next_offset, 0) << "records still buffered: the position stays before them";
}

TEST(PartitionGroup, AMarkerAfterThePartitionsLastRecordHoldsNothingBack) {
  TwoPartitions p(0);
  p.add(p.b, 1);            // offset 0
  p.group.at_end(*p.b, 2);  // a transaction marker at 1
  p.add(p.a, 5);
  EXPECT_EQ(p.next(), 1);
  EXPECT_EQ(p.b->next_offset, 1);
  p.group.at_end(*p.a, 1);
  EXPECT_EQ(p.next(), 5) << "right is read to its end, marker included: nothing to wait for";
  EXPECT_EQ(p.b->next_offset, 2) << "its position to commit is past the marker";
}

TEST(PartitionGroup, PausedPartitionsAreNeitherProcessedNorWaitedFor) {
  TwoPartitions p(0);
  p.b->paused = true;
  p.add(p.a, 10);
  EXPECT_EQ(p.next(), 10);
  p.add(p.b, 1);
  EXPECT_EQ(p.next(), -1);
  p.b->paused = false;
  EXPECT_EQ(p.next(), -1) << "left, empty again, may still bring an earlier record";
  p.group.at_end(*p.a, 1);
  EXPECT_EQ(p.next(), 1);
}

TEST(PartitionGroup, ASinglePartitionIsSingle) {
  PartitionGroup g(0);
  g.add_partition({"in", 3}, nullptr, 0);
  EXPECT_TRUE(g.single());
  g.add_partition({"other", 3}, nullptr, 0);
  EXPECT_FALSE(g.single());
}

}  // namespace
}  // namespace brook
