#include "engine/runtime/standby_placement.h"

#include <gtest/gtest.h>

#include <map>

namespace brook {
namespace {

// Members named by process and thread: "<process>-StreamThread-<n>" as client
// id, "m-<process>-<n>" as member id (the assignor breaks ties by member id).
GroupMemberInfo member(const std::string& process, int thread,
                       std::vector<TopicPartition> partitions) {
  return {"m-" + process + "-" + std::to_string(thread), "",
          process + "-StreamThread-" + std::to_string(thread), std::move(partitions)};
}

std::vector<TopicPartition> range(const std::string& topic, int from, int to) {
  std::vector<TopicPartition> out;
  for (int p = from; p <= to; ++p) out.push_back({topic, p});
  return out;
}

// Sub-topology 0 has stores and 6 tasks; sub-topology 1 is stateless.
std::map<std::string, std::set<TaskId>> placement(const std::vector<GroupMemberInfo>& members,
                                                  int n, std::vector<int> stateful = {6, 0}) {
  std::map<std::string, std::set<TaskId>> out;
  for (const GroupMemberInfo& m : members) {
    out[m.member_id] = standby_tasks(members, m.member_id, n, "in", stateful);
  }
  return out;
}

TEST(StandbyPlacement, ProcessOfStripsTheThreadSuffixOnly) {
  EXPECT_EQ(process_of("app-1b2c-StreamThread-3"), "app-1b2c");
  EXPECT_EQ(process_of("app-1b2c-StreamThread-12"), "app-1b2c");
  EXPECT_EQ(process_of("app-1b2c-StreamThread-"), "app-1b2c-StreamThread-");
  EXPECT_EQ(process_of("app-1b2c-StreamThread-x"), "app-1b2c-StreamThread-x");
  EXPECT_EQ(process_of("console-consumer"), "console-consumer");
}

TEST(StandbyPlacement, APartingProcesssPartitionsGoHighestFirstToTheMemberWithFewest) {
  // a [0,1,2], b [3,4], c [5,6], d [7,8,9]: without d, 9 goes to b (2, and
  // "m-b-1" < "m-c-1"), 8 to c, 7 to a (3, 3, 3: the lowest id). The others
  // keep theirs.
  std::vector<GroupMemberInfo> members = {
      member("a", 1, range("in", 0, 2)), member("b", 1, range("in", 3, 4)),
      member("c", 1, range("in", 5, 6)), member("d", 1, range("in", 7, 9))};
  auto after = after_leaving(members, "in", {"d"});
  EXPECT_EQ(after["m-a-1"], (std::set<int>{0, 1, 2, 7}));
  EXPECT_EQ(after["m-b-1"], (std::set<int>{3, 4, 9}));
  EXPECT_EQ(after["m-c-1"], (std::set<int>{5, 6, 8}));
  EXPECT_TRUE(after["m-d-1"].empty());
  // Other topics are none of its business.
  members[0].partitions.push_back({"other", 0});
  EXPECT_EQ(after_leaving(members, "in", {"d"})["m-a-1"], (std::set<int>{0, 1, 2, 7}));
}

TEST(StandbyPlacement, AStandbyIsWhereTheAssignorMovesTheTaskWhenItsOwnerLeaves) {
  // Three workers on 6 partitions: a [0,1], b [2,3], c [4,5]. Without a: 1 to
  // b (tie: lowest id), 0 to c. Without b: 3 to a, 2 to c. Without c: 5 to a,
  // 4 to b.
  std::vector<GroupMemberInfo> members = {member("a", 1, range("in", 0, 1)),
                                          member("b", 1, range("in", 2, 3)),
                                          member("c", 1, range("in", 4, 5))};
  auto got = placement(members, 1);
  EXPECT_EQ(got["m-a-1"], (std::set<TaskId>{{0, 3}, {0, 5}}));
  EXPECT_EQ(got["m-b-1"], (std::set<TaskId>{{0, 1}, {0, 4}}));
  EXPECT_EQ(got["m-c-1"], (std::set<TaskId>{{0, 0}, {0, 2}}));
  // Each task has exactly one standby, never on its owner.
  std::map<TaskId, int> count;
  for (const auto& [m, tasks] : got) {
    for (const TaskId& t : tasks) ++count[t];
  }
  EXPECT_EQ(count.size(), 6u);
  for (const auto& [t, c] : count) EXPECT_EQ(c, 1) << t.str();
}

TEST(StandbyPlacement, TwoStandbysGoToTwoOtherProcessesAndNoneToTheOwnersOtherThreads) {
  // Process a has two threads; with two standbys each task has them in the
  // two processes it does not run in, never twice in one.
  std::vector<GroupMemberInfo> members = {
      member("a", 1, range("in", 0, 0)), member("a", 2, range("in", 1, 1)),
      member("b", 1, range("in", 2, 2)), member("c", 1, range("in", 3, 3))};
  auto got = placement(members, 2, {4});
  std::map<TaskId, std::set<std::string>> processes;
  for (const GroupMemberInfo& m : members) {
    for (const TaskId& t : got[m.member_id]) {
      EXPECT_TRUE(processes[t].insert(process_of(m.client_id)).second)
          << "two standbys of " << t.str() << " in " << process_of(m.client_id);
    }
  }
  using Processes = std::set<std::string>;
  EXPECT_EQ(processes[(TaskId{0, 0})], (Processes{"b", "c"}));
  EXPECT_EQ(processes[(TaskId{0, 1})], (Processes{"b", "c"}));
  EXPECT_EQ(processes[(TaskId{0, 2})], (Processes{"a", "c"}));
  EXPECT_EQ(processes[(TaskId{0, 3})], (Processes{"a", "b"}));
}

TEST(StandbyPlacement, EveryStatefulSubtopologysTaskOfAPartitionAndNoOtherGetsOne) {
  // Partition p brings task p of each sub-topology: 0 (4 tasks, stores), 1
  // (stateless), 2 (2 tasks, stores). b keeps a's: 0_0 0_1 2_0 2_1.
  std::vector<GroupMemberInfo> members = {member("a", 1, range("in", 0, 1)),
                                          member("b", 1, range("in", 2, 3))};
  auto got = placement(members, 1, {4, 0, 2});
  EXPECT_EQ(got["m-b-1"], (std::set<TaskId>{{0, 0}, {0, 1}, {2, 0}, {2, 1}}));
  EXPECT_EQ(got["m-a-1"], (std::set<TaskId>{{0, 2}, {0, 3}}));
}

TEST(StandbyPlacement, FewerProcessesThanReplicasAndStatelessSubtopologiesGetNone) {
  std::vector<GroupMemberInfo> alone = {member("a", 1, range("in", 0, 1)),
                                        member("a", 2, range("in", 2, 3))};
  for (const auto& [m, tasks] : placement(alone, 1)) EXPECT_TRUE(tasks.empty()) << m;
  std::vector<GroupMemberInfo> two = {member("a", 1, range("in", 0, 1)),
                                      member("b", 1, range("in", 2, 3))};
  for (const auto& [m, tasks] : placement(two, 1, {0, 0})) EXPECT_TRUE(tasks.empty()) << m;
  for (const auto& [m, tasks] : placement(two, 0)) EXPECT_TRUE(tasks.empty()) << m;
}

}  // namespace
}  // namespace brook
