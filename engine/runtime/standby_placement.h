// Standby placement: which members keep the standby replicas of each task,
// computed alike by every member from the group's description.
//
// librdkafka 2.0 takes no custom assignor, so the range assignor places the
// active tasks and cannot be told where standbys are. The standbys are
// therefore placed where it will move a task when its owner fails: the first
// standby on the member the range assignor gives the task once every member of
// the owner's process has left, the second where it goes once that member's
// process has left too, and so on. A worker that dies hands each of its tasks
// to the worker that kept it warm. Standbys never share a process with the
// task's owner or with each other (a process is a KafkaStreams instance: its
// threads share one state directory).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/kafka/group_consumer.h"
#include "engine/runtime/task_id.h"

namespace brook {

// The instance a member's consumer belongs to: its client.id without the
// "-StreamThread-<n>" suffix stream threads add.
std::string process_of(const std::string& client_id);

// The tasks `self` (a member id) keeps as standbys, `num_standbys` per task.
// `subtopology_of` gives the sub-topology a source topic feeds, nullopt for a
// topic that is none of ours; `stateful` tells whether a sub-topology has
// stores (stateless ones need no standby).
std::set<TaskId> standby_tasks(
    const std::vector<GroupMemberInfo>& members, const std::string& self, int num_standbys,
    const std::function<std::optional<int>(const std::string&)>& subtopology_of,
    const std::function<bool(int)>& stateful);

}  // namespace brook
