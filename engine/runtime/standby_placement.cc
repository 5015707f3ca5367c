#include "engine/runtime/standby_placement.h"

#include <algorithm>
#include <map>

namespace brook {

std::string process_of(const std::string& client_id) {
  static const std::string kThread = "-StreamThread-";
  size_t at = client_id.rfind(kThread);
  if (at == std::string::npos) return client_id;
  size_t digits = at + kThread.size();
  if (digits == client_id.size()) return client_id;
  for (size_t i = digits; i < client_id.size(); ++i) {
    if (client_id[i] < '0' || client_id[i] > '9') return client_id;
  }
  return client_id.substr(0, at);
}

namespace {

// The range assignor's order of members (librdkafka's
// rd_kafka_group_member_cmp): by group.instance.id when both have one, else
// by member id.
bool range_order(const GroupMemberInfo* a, const GroupMemberInfo* b) {
  if (!a->instance_id.empty() && !b->instance_id.empty()) return a->instance_id < b->instance_id;
  return a->member_id < b->member_id;
}

// The member the range assignor gives partition `p` of a topic with
// `partitions` partitions, among `members` (in range order).
const GroupMemberInfo* range_owner(const std::vector<const GroupMemberInfo*>& members,
                                   int partitions, int p) {
  int n = static_cast<int>(members.size());
  int per = partitions / n;
  int extra = partitions % n;
  for (int i = 0; i < n; ++i) {
    int start = per * i + std::min(i, extra);
    int length = per + (i < extra ? 1 : 0);
    if (p >= start && p < start + length) return members[i];
  }
  return nullptr;
}

}  // namespace

std::set<TaskId> standby_tasks(
    const std::vector<GroupMemberInfo>& members, const std::string& self, int num_standbys,
    const std::function<std::optional<int>(const std::string&)>& subtopology_of,
    const std::function<bool(int)>& stateful) {
  std::set<TaskId> out;
  if (num_standbys <= 0) return out;
  // Each task's owner, and each sub-topology's partition count (every
  // partition is assigned in a stable group).
  std::map<TaskId, const GroupMemberInfo*> owner;
  std::map<int, int> partitions;
  for (const GroupMemberInfo& m : members) {
    for (const TopicPartition& tp : m.partitions) {
      std::optional<int> s = subtopology_of(tp.topic);
      if (!s || !stateful(*s)) continue;
      owner[TaskId{*s, tp.partition}] = &m;
      partitions[*s] = std::max(partitions[*s], tp.partition + 1);
    }
  }
  std::vector<const GroupMemberInfo*> ordered;
  for (const GroupMemberInfo& m : members) ordered.push_back(&m);
  std::sort(ordered.begin(), ordered.end(), range_order);
  for (const auto& [task, first] : owner) {
    std::set<std::string> gone{process_of(first->client_id)};
    for (int k = 0; k < num_standbys; ++k) {
      std::vector<const GroupMemberInfo*> left;
      for (const GroupMemberInfo* m : ordered) {
        if (!gone.count(process_of(m->client_id))) left.push_back(m);
      }
      if (left.empty()) break;
      const GroupMemberInfo* next = range_owner(left, partitions[task.subtopology], task.partition);
      if (!next) break;
      if (next->member_id == self) out.insert(task);
      gone.insert(process_of(next->client_id));
    }
  }
  return out;
}

}  // namespace brook
