#include "engine/runtime/partition_group.h"

namespace brook {

PartitionGroup::Queue& PartitionGroup::add_partition(const TopicPartition& tp,
                                                     SourceNodeBase* source, int64_t next_offset) {
  auto q = std::make_unique<Queue>();
  q->tp = tp;
  q->source = source;
  q->next_offset = q->committed = next_offset;
  queues_.push_back(std::move(q));
  return *queues_.back();
}

void PartitionGroup::add(Queue& q, kafka::Message message, int64_t timestamp) {
  q.records.push_back(Queue::Buffered{timestamp, std::move(message)});
  q.end_seen = -1;
  q.idle_since = -1;
}

void PartitionGroup::at_end(Queue& q, int64_t end_offset) {
  q.end_seen = end_offset;
  if (q.records.empty() && end_offset > q.next_offset) q.next_offset = end_offset;
}

PartitionGroup::Queue* PartitionGroup::next(int64_t now_ms) {
  Queue* best = nullptr;
  bool waiting = false;
  bool enforced = false;  // a partition was waited for as long as allowed
  for (const auto& q : queues_) {
    if (q->paused) continue;
    if (q->records.empty()) {
      // Every record before the end it last reported is processed: the
      // position moves past what follows them and is never delivered
      // (a transaction's marker).
      if (q->end_seen > q->next_offset) q->next_offset = q->end_seen;
      if (max_idle_ms_ == kNeverWait) continue;
      if (!caught_up(*q)) {
        // Records may be on their way (fetched but not yet delivered, or not
        // yet fetched): one of them could be earlier than every buffered head.
        waiting = true;
      } else if (max_idle_ms_ > 0) {
        // At its end: new records may still come, for max.task.idle.ms.
        if (q->idle_since < 0) q->idle_since = now_ms;
        if (now_ms - q->idle_since < max_idle_ms_) {
          waiting = true;
        } else {
          enforced = true;
        }
      }
      continue;
    }
    if (!best || q->records.front().timestamp < best->records.front().timestamp) best = q.get();
  }
  if (!best || waiting) return nullptr;
  if (enforced) ++enforced_;
  return best;
}

kafka::Message PartitionGroup::pop(Queue& q) {
  kafka::Message m = std::move(q.records.front().message);
  q.records.pop_front();
  return m;
}

bool PartitionGroup::any_buffered() const {
  for (const auto& q : queues_) {
    if (!q->records.empty()) return true;
  }
  return false;
}

}  // namespace brook
