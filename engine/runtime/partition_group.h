// PartitionGroup: the input partitions of one task as its stream thread feeds
// them — a queue of fetched records per partition, the choice of the record to
// process next (the smallest head timestamp, so a task reading several inputs,
// a join, sees them in time order), and when to wait for a partition that has
// nothing buffered rather than run ahead of it (max.task.idle.ms, as Kafka
// Streams). It also keeps each partition's position: the next offset to process,
// which is the offset to commit, and the last committed one.
//
// A task with a single input partition has nothing to order: the stream thread
// processes its records as they arrive and never buffers them (single()).
// Owned by the TaskManager beside its task; used on the owning thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "brook/topic_partition.h"
#include "engine/kafka/kafka_client.h"

namespace brook {

class SourceNodeBase;

class PartitionGroup {
 public:
  // max.task.idle.ms: -1 never waits for an empty partition; 0 waits only
  // while it may still have records on their way (the consumer has not seen its
  // end); > 0 also waits that long past its end for new records.
  static constexpr int64_t kNeverWait = -1;

  struct Queue {
    TopicPartition tp;
    SourceNodeBase* source = nullptr;  // the task's node reading this topic
    int64_t next_offset = -1;          // next to process (= offset to commit)
    int64_t committed = -1;
    // The largest timestamp processed from this partition (Kafka Streams'
    // partition time), committed with its offset; -1 before any.
    int64_t partition_time = -1;
    bool paused = false;  // the task restores: nothing of it is processed
    // Too much is buffered (the task waits for another partition): the
    // consumer stops fetching it until half is processed.
    bool throttled = false;

    bool empty() const { return records.empty(); }
    size_t size() const { return records.size(); }

   private:
    friend class PartitionGroup;
    struct Buffered {
      int64_t timestamp;
      kafka::Message message;
    };
    std::deque<Buffered> records;
    // The end of the partition as the consumer last reported it, -1 when a
    // record has arrived since (more may follow).
    int64_t end_seen = -1;
    // Since when (ms) the group has waited for this partition, -1 if not waiting.
    int64_t idle_since = -1;
  };

  explicit PartitionGroup(int64_t max_task_idle_ms) : max_idle_ms_(max_task_idle_ms) {}

  Queue& add_partition(const TopicPartition& tp, SourceNodeBase* source, int64_t next_offset);
  const std::vector<std::unique_ptr<Queue>>& partitions() const { return queues_; }
  bool single() const { return queues_.size() == 1; }

  // Buffers a fetched record with its timestamp.
  void add(Queue& q, kafka::Message message, int64_t timestamp);
  // The consumer reached the partition's end at `end_offset`: every record before
  // it has been delivered. With nothing buffered, the position moves there too,
  // past transaction markers and aborted records, which take offsets but are
  // never delivered (as Kafka Streams commits a fully read partition's position).
  void at_end(Queue& q, int64_t end_offset);

  // The queue whose head record is to be processed next, or null: nothing is
  // buffered, or an empty partition may still bring an earlier record and the
  // group waits for it (see max.task.idle.ms). `now_ms`: wall-clock time.
  Queue* next(int64_t now_ms);
  // Takes the head record of `q` (the caller processes it, then moves
  // q.next_offset past it).
  kafka::Message pop(Queue& q);
  // Records processed although a partition was empty, after waiting
  // max.task.idle.ms for it (Kafka Streams' enforced processing).
  uint64_t enforced_processing() const { return enforced_; }

  bool any_buffered() const;

 private:
  // Whether `q`, empty, is known to have nothing more on its way: the last
  // thing the consumer said of it was its end (a record since resets that).
  static bool caught_up(const Queue& q) { return q.end_seen >= 0; }

  int64_t max_idle_ms_;
  std::vector<std::unique_ptr<Queue>> queues_;
  uint64_t enforced_ = 0;
};

}  // namespace brook
