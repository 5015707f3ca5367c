// GroupConsumer: a stream thread's member of the application's consumer group —
// subscribing, polling batches, taking revoked and assigned partitions
// (through its Listener; cooperative, so only those that move), pausing them,
// and looking up, rewinding to and committing offsets: the thread's librdkafka
// consumer calls in one place, as values and TopicPartitions instead of
// partition lists. One per StreamThread; used on that thread only (the
// Listener is called from within poll()).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"
#include "brook/topic_partition.h"
#include "engine/kafka/kafka_client.h"

namespace brook {

// A member of the group as the coordinator describes it.
struct GroupMemberInfo {
  std::string member_id;
  std::string instance_id;  // group.instance.id; empty for a dynamic member
  std::string client_id;
  std::vector<TopicPartition> partitions;  // its current assignment
};

class GroupConsumer {
 public:
  // Rebalance events, called from within poll(). The group's protocol is
  // cooperative (librdkafka's cooperative-sticky assignor): a rebalance
  // revokes only the partitions that move, and adds the ones that arrive; the
  // others are read on throughout. A listener that throws fails the
  // rebalance: on_rebalance_failed() is told why.
  class Listener {
   public:
    virtual ~Listener() = default;
    // `added` joined this member's assignment. Must take what it reads
    // because of them (assign()), also when that is nothing.
    virtual void on_assigned(const std::vector<TopicPartition>& added) = 0;
    // `revoked` are to be given up. Returns every partition to stop reading
    // with them (the consumer lets go after the call).
    virtual std::vector<TopicPartition> on_revoked(const std::vector<TopicPartition>& revoked) = 0;
    // `lost` were lost: the group moved on without this member. Returns what
    // to stop reading, as on_revoked.
    virtual std::vector<TopicPartition> on_lost(const std::vector<TopicPartition>& lost) = 0;
    virtual void on_rebalance_failed(const std::string& message) = 0;
  };

  // `properties`: librdkafka consumer configuration (group.id included; the
  // assignment strategy is cooperative-sticky whatever it says).
  static Status create(const std::map<std::string, std::string>& properties, Listener& listener,
                       std::unique_ptr<GroupConsumer>* out);
  ~GroupConsumer();

  rd_kafka_t* handle() const { return rk_.get(); }

  Status subscribe(const std::vector<std::string>& topics);
  void unsubscribe();
  // Up to `max` messages that are ready now; when there are none, waits up to
  // `timeout_ms` for one. The caller owns (and must destroy) what it gets.
  ssize_t poll(rd_kafka_message_t** out, size_t max, int timeout_ms);
  // Messages fetched and not yet polled.
  size_t queued() const;

  // Starts reading the partitions at the given positions, besides those read
  // already (from on_assigned).
  Status assign(const TopicPartitionOffsets& positions);
  void pause(const std::vector<TopicPartition>& partitions);
  void resume(const std::vector<TopicPartition>& partitions);
  // Rewinds (or moves) the partitions to the positions; what was fetched past
  // them is dropped.
  Status seek(const TopicPartitionOffsets& positions);
  // Where each partition resumes: the group's committed offset, or the
  // partition's beginning when it has none (auto.offset.reset=earliest).
  // Never guesses: retriable errors (a coordinator loading or moving) are asked
  // again for up to `timeout`; then, or on any other error, it fails.
  // `times`, when given, gets the partition times committed with the offsets.
  Status committed_positions(const std::vector<TopicPartition>& partitions,
                             std::chrono::milliseconds timeout, TopicPartitionOffsets* out,
                             TopicPartitionOffsets* times = nullptr);
  // Commits the offsets (synchronously), with the partition times in `times`
  // (when given) in their metadata.
  Status commit(const TopicPartitionOffsets& offsets, const TopicPartitionOffsets* times = nullptr);
  // The group's members and their assignments, asked of the coordinator.
  // `*stable` is false (and `members` empty) while a rebalance is under way.
  Status describe_group(std::chrono::milliseconds timeout, std::vector<GroupMemberInfo>* members,
                        bool* stable);
  // This member's id in the group (empty before it joined).
  std::string member_id() const;
  // Leaves the group (the listener's on_revoked runs if partitions are held).
  void close();

 private:
  GroupConsumer(std::string name, Listener& listener)
      : name_(std::move(name)), listener_(listener) {}
  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);

  std::string name_;  // client.id, for the log
  std::string group_id_;
  kafka::Handle rk_;
  Listener& listener_;
  rd_kafka_queue_t* queue_ = nullptr;  // the consumer queue
  bool closed_ = false;
};

// The members of group `group_id` and their assignments, asked through any
// client `rk`; `*stable` is false (and `members` empty) while the group is not
// stable (rebalancing, or empty).
Status describe_group(rd_kafka_t* rk, const std::string& group_id,
                      std::chrono::milliseconds timeout, std::vector<GroupMemberInfo>* members,
                      bool* stable);

// A librdkafka partition list of `offsets`; the partition times in `times`
// (when given) go in each offset's metadata.
kafka::PartitionList to_partition_list(const TopicPartitionOffsets& offsets,
                                       const TopicPartitionOffsets* times = nullptr);
// A partition's time (the largest timestamp processed from it: Kafka Streams
// keeps it in the committed offset's metadata too, so that a task's stream
// time survives restarts and moves) as offset metadata, and back; nullopt for
// metadata that is not one (another application's, or none).
std::string encode_partition_time(int64_t time);
std::optional<int64_t> decode_partition_time(std::string_view metadata);

}  // namespace brook
