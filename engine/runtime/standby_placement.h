// Standby placement: which members keep the standby replicas of each task,
// computed alike by every member from the group's description.
//
// librdkafka 2.0 takes no custom assignor, so its cooperative-sticky assignor
// places the active tasks and cannot be told where standbys are. The standbys
// are therefore placed where it will move a task when its owner fails: the
// first standby on the member the assignor gives the task's anchor partition
// once every member of the owner's process has left, the second where it goes
// once that member's process has left too, and so on. A worker that dies
// hands each of its tasks to the worker that kept it warm. Standbys never
// share a process with the task's owner or with each other (a process is a
// KafkaStreams instance: its threads share one state directory).
//
// What the assignor (librdkafka 2.0's rdkafka_sticky_assignor.c) does when
// members leave a balanced group whose members all subscribe to the one
// anchor topic: the others keep their partitions, and the partitions of those
// that left go, highest partition first, each to the member then holding the
// fewest (ties: the lowest member id); the result is balanced, so nothing
// else moves. The test of this file checks the prediction against the
// assignor itself.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/kafka/group_consumer.h"
#include "engine/runtime/task_id.h"

namespace brook {

// The instance a member's consumer belongs to: its client.id without the
// "-StreamThread-<n>" suffix stream threads add.
std::string process_of(const std::string& client_id);

// Where the sticky assignor moves the members' partitions of `anchor_topic`
// when every member of the processes `gone` leaves: each member's partitions
// afterwards (by member id; those gone have none).
std::map<std::string, std::set<int>> after_leaving(const std::vector<GroupMemberInfo>& members,
                                                   const std::string& anchor_topic,
                                                   const std::set<std::string>& gone);

// The tasks `self` (a member id) keeps as standbys, `num_standbys` per task.
// Partition p of `anchor_topic` brings task p of every sub-topology;
// `stateful_tasks` gives each sub-topology's task count, 0 for one without
// stores (it needs no standby).
std::set<TaskId> standby_tasks(const std::vector<GroupMemberInfo>& members, const std::string& self,
                               int num_standbys, const std::string& anchor_topic,
                               const std::vector<int>& stateful_tasks);

}  // namespace brook
