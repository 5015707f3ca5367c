#include "engine/runtime/standby_placement.h"

#include <algorithm>
#include <map>
#include <tuple>

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

std::map<std::string, std::set<int>> after_leaving(const std::vector<GroupMemberInfo>& members,
                                                   const std::string& anchor_topic,
                                                   const std::set<std::string>& gone) {
  std::map<std::string, std::set<int>> held;
  std::set<int, std::greater<>> orphans;  // the assignor takes the highest first
  for (const GroupMemberInfo& m : members) {
    bool left = gone.count(process_of(m.client_id)) > 0;
    std::set<int>& mine = held[m.member_id];
    for (const TopicPartition& tp : m.partitions) {
      if (tp.topic != anchor_topic) continue;
      if (left) {
        orphans.insert(tp.partition);
      } else {
        mine.insert(tp.partition);
      }
    }
  }
  std::vector<std::string> staying;
  for (const GroupMemberInfo& m : members) {
    if (!gone.count(process_of(m.client_id))) staying.push_back(m.member_id);
  }
  if (staying.empty()) return held;
  for (int p : orphans) {
    auto fewest = std::min_element(
        staying.begin(), staying.end(), [&](const std::string& a, const std::string& b) {
          return std::make_tuple(held[a].size(), a) < std::make_tuple(held[b].size(), b);
        });
    held[*fewest].insert(p);
  }
  return held;
}

std::set<TaskId> standby_tasks(const std::vector<GroupMemberInfo>& members, const std::string& self,
                               int num_standbys, const std::string& anchor_topic,
                               const std::vector<int>& stateful_tasks) {
  std::set<TaskId> out;
  if (num_standbys <= 0) return out;
  int most = 0;
  for (int n : stateful_tasks) most = std::max(most, n);
  std::map<int, const GroupMemberInfo*> owner;  // of each anchor partition with stores
  for (const GroupMemberInfo& m : members) {
    for (const TopicPartition& tp : m.partitions) {
      if (tp.topic == anchor_topic && tp.partition < most) owner[tp.partition] = &m;
    }
  }
  std::map<std::string, const GroupMemberInfo*> by_id;
  for (const GroupMemberInfo& m : members) by_id[m.member_id] = &m;
  // Where each process's partitions go: one simulation per set of processes
  // gone (the owner's, then the first standby's, ...), shared by partitions.
  std::map<std::set<std::string>, std::map<int, std::string>> outcomes;
  auto holder = [&](const std::set<std::string>& gone, int p) -> const GroupMemberInfo* {
    auto it = outcomes.find(gone);
    if (it == outcomes.end()) {
      std::map<int, std::string> where;
      for (const auto& [member, ps] : after_leaving(members, anchor_topic, gone)) {
        for (int q : ps) where[q] = member;
      }
      it = outcomes.emplace(gone, std::move(where)).first;
    }
    auto w = it->second.find(p);
    return w == it->second.end() ? nullptr : by_id.at(w->second);
  };
  for (const auto& [p, first] : owner) {
    std::set<std::string> gone{process_of(first->client_id)};
    for (int k = 0; k < num_standbys; ++k) {
      const GroupMemberInfo* next = holder(gone, p);
      if (!next) break;  // no other process left
      if (next->member_id == self) {
        for (size_t s = 0; s < stateful_tasks.size(); ++s) {
          if (p < stateful_tasks[s]) out.insert(TaskId{static_cast<int>(s), p});
        }
      }
      gone.insert(process_of(next->client_id));
    }
  }
  return out;
}

}  // namespace brook
