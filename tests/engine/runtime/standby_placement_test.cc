#include "engine/runtime/standby_placement.h"

#include <gtest/gtest.h>

#include <map>

namespace brook {
namespace {

// Members named by process and thread: "<process>-StreamThread-<n>" as client
// id, "m-<process>-<n>" as member id (the range order is by member id).
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

std::optional<int> subtopology_of(const std::string& topic) {
  if (topic == "in") return 0;
  if (topic == "table") return 0;
  if (topic == "re") return 1;
  return std::nullopt;
}

std::map<std::string, std::set<TaskId>> placement(const std::vector<GroupMemberInfo>& members,
                                                  int n) {
  std::map<std::string, std::set<TaskId>> out;
  for (const GroupMemberInfo& m : members) {
    out[m.member_id] =
        standby_tasks(members, m.member_id, n, subtopology_of, [](int s) { return s == 0; });
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

TEST(StandbyPlacement, AStandbyIsWhereTheRangeAssignorMovesTheTaskWhenItsOwnerLeaves) {
  // Three workers on 6 partitions: a [0,1], b [2,3], c [4,5]. Without a, range
  // gives b [0,1,2] and c [3,4,5]: a's tasks 0 and 1 go to b. Without b: a
  // [0,1,2], c [3,4,5]. Without c: a [0,1,2], b [3,4,5].
  std::vector<GroupMemberInfo> members = {member("a", 1, range("in", 0, 1)),
                                          member("b", 1, range("in", 2, 3)),
                                          member("c", 1, range("in", 4, 5))};
  auto got = placement(members, 1);
  EXPECT_EQ(got["m-a-1"], (std::set<TaskId>{{0, 2}}));
  EXPECT_EQ(got["m-b-1"], (std::set<TaskId>{{0, 0}, {0, 1}, {0, 4}, {0, 5}}));
  EXPECT_EQ(got["m-c-1"], (std::set<TaskId>{{0, 3}}));
  // Each task has exactly one standby, never on its owner.
  std::map<TaskId, int> count;
  for (const auto& [m, tasks] : got) {
    for (const TaskId& t : tasks) ++count[t];
  }
  EXPECT_EQ(count.size(), 6u);
  for (const auto& [t, c] : count) EXPECT_EQ(c, 1) << t.str();
}

TEST(StandbyPlacement, TwoStandbysGoToTwoOtherProcessesAndNoneToTheOwnersOtherThreads) {
  // Process a has two threads; with two standbys each task of b has them on a
  // and c, never twice on a.
  std::vector<GroupMemberInfo> members = {
      member("a", 1, range("in", 0, 0)), member("a", 2, range("in", 1, 1)),
      member("b", 1, range("in", 2, 2)), member("c", 1, range("in", 3, 3))};
  auto got = placement(members, 2);
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

TEST(StandbyPlacement, FewerProcessesThanReplicasAndStatelessSubtopologiesGetNone) {
  std::vector<GroupMemberInfo> alone = {member("a", 1, range("in", 0, 3)),
                                        member("a", 2, range("re", 0, 3))};
  for (const auto& [m, tasks] : placement(alone, 1)) EXPECT_TRUE(tasks.empty()) << m;
  std::vector<GroupMemberInfo> two = {member("a", 1, range("re", 0, 1)),
                                      member("b", 1, range("re", 2, 3))};
  for (const auto& [m, tasks] : placement(two, 1)) EXPECT_TRUE(tasks.empty()) << m;
  for (const auto& [m, tasks] : placement(two, 0)) EXPECT_TRUE(tasks.empty()) << m;
}

TEST(StandbyPlacement, StaticMembersAreOrderedByInstanceIdAsTheRangeAssignorDoes) {
  // Member ids sort b before a; instance ids sort a first: range order is a, b.
  GroupMemberInfo a{"z-member", "w-1", "a-StreamThread-1", range("in", 0, 1)};
  GroupMemberInfo b{"a-member", "w-2", "b-StreamThread-1", range("in", 2, 3)};
  GroupMemberInfo c{"m-member", "w-3", "c-StreamThread-1", {}};
  std::vector<GroupMemberInfo> members = {a, b, c};
  // Without a: b [0,1], c [2,3]. Without b: a [0,1], c [2,3].
  auto got = placement(members, 1);
  EXPECT_EQ(got["a-member"], (std::set<TaskId>{{0, 0}, {0, 1}}));
  EXPECT_EQ(got["m-member"], (std::set<TaskId>{{0, 2}, {0, 3}}));
}

}  // namespace
}  // namespace brook
