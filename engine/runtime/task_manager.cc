#include "engine/runtime/task_manager.h"

#include <algorithm>

#include "engine/common/log.h"
#include "engine/runtime/bounded_progress.h"
#include "engine/runtime/changelog_reader.h"

namespace brook {
namespace {

// Whether a consumed record may carry headers, found without asking librdkafka:
// rd_kafka_message_headers() allocates and frees a parse buffer on every call,
// headers or not (a tenth of a stream thread's time on small records).
// librdkafka hands out a fetched record's value as a pointer into the record
// batch, and in the v2 record format (Kafka >= 0.11) the header count follows
// the value: a single 0 byte when there are none. A null or empty value does
// not point into the batch: then ask. (Older message formats, gone since
// Kafka 4.0, have no headers; there the byte read is whatever follows the
// value in the fetch response.)
bool may_have_headers(const rd_kafka_message_t* msg) {
  if (!msg->payload || msg->len == 0) return true;
  return static_cast<const unsigned char*>(msg->payload)[msg->len] != 0;
}

}  // namespace

void TaskManager::add(std::unique_ptr<StreamTask> task, const TopicPartitionOffsets& inputs,
                      const TopicPartitionOffsets& times, bool restoring) {
  auto e = std::make_unique<Entry>(max_idle_ms_);
  for (const auto& [tp, offset] : inputs) {
    PartitionGroup::Queue& q = e->inputs.add_partition(tp, task->source(tp.topic), offset);
    auto t = times.find(tp);
    if (t != times.end()) {
      q.partition_time = t->second;
      task->restore_stream_time(t->second);
    }
    routes_[tp] = Route{e.get(), &q};
  }
  e->task = std::move(task);
  if (restoring) {
    e->restoring = true;
    ++restoring_;
    set_paused(*e, true);
  }
  if (!e->inputs.single()) multi_input_.push_back(e.get());
  TaskId id = e->task->id();
  tasks_[id] = std::move(e);
  last_route_ = nullptr;
}

StreamTask* TaskManager::find(const TaskId& id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : it->second->task.get();
}

std::vector<TopicPartition> TaskManager::inputs_of(const TaskId& id) const {
  std::vector<TopicPartition> out;
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return out;
  for (const auto& q : it->second->inputs.partitions()) out.push_back(q->tp);
  return out;
}

std::vector<StreamTask*> TaskManager::restoring() const {
  std::vector<StreamTask*> out;
  for (const auto& [id, e] : tasks_) {
    if (e->restoring) out.push_back(e->task.get());
  }
  return out;
}

std::vector<TopicPartition> TaskManager::finish_restoring(StreamTask& task) {
  Entry& e = *tasks_.at(task.id());
  if (e.restoring) {
    e.restoring = false;
    --restoring_;
    set_paused(e, false);
  }
  return inputs_of(task.id());
}

void TaskManager::set_paused(Entry& e, bool paused) {
  for (const auto& q : e.inputs.partitions()) q->paused = paused;
}

bool TaskManager::route(kafka::Message msg) {
  const Route* r = last_route_;
  if (!r || last_partition_ != msg->partition || last_rkt_ != msg->rkt) {
    auto it = routes_.find(TopicPartition{rd_kafka_topic_name(msg->rkt), msg->partition});
    if (it == routes_.end()) return false;  // revoked meanwhile
    r = last_route_ = &it->second;
    last_rkt_ = msg->rkt;
    last_partition_ = msg->partition;
  }
  PartitionGroup::Queue& q = *r->queue;
  if (q.next_offset >= 0 && msg->offset < q.next_offset) return false;  // already processed
  if (r->entry->inputs.single() && !q.paused) {
    // Nothing to order against: process at once, no buffering.
    process_one(*r->entry, q, msg.get());
    uncommitted_ = true;
    return true;
  }
  RawRecord raw = to_raw(q.tp.topic, msg.get(), nullptr);
  int64_t ts = r->entry->task->timestamp_of(raw, q.source);
  r->entry->inputs.add(q, std::move(msg), ts);
  if (!q.throttled && q.size() >= kMaxBuffered) {
    q.throttled = true;
    to_pause_.push_back(q.tp);
  }
  return false;
}

void TaskManager::at_end_of_partition(const rd_kafka_message_t* eof) {
  auto it = routes_.find(TopicPartition{rd_kafka_topic_name(eof->rkt), eof->partition});
  if (it == routes_.end()) return;
  it->second.entry->inputs.at_end(*it->second.queue, eof->offset);
}

RawRecord to_raw(std::string_view topic, const rd_kafka_message_t* msg, Headers* headers) {
  RawRecord raw;
  raw.topic = topic;
  raw.partition = msg->partition;
  raw.offset = msg->offset;
  raw.timestamp = rd_kafka_message_timestamp(msg, nullptr);
  raw.key = static_cast<const char*>(msg->key);
  raw.key_size = msg->key_len;
  raw.value = static_cast<const char*>(msg->payload);
  raw.value_size = msg->len;
  rd_kafka_headers_t* hdrs = nullptr;
  if (headers && may_have_headers(msg) &&
      rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
      headers->emplace_back(
          name, value ? std::string(static_cast<const char*>(value), size) : std::string());
    }
    raw.headers = headers;
  }
  return raw;
}

void TaskManager::process_one(Entry& e, PartitionGroup::Queue& q, const rd_kafka_message_t* msg) {
  Headers headers;
  RawRecord raw = to_raw(q.tp.topic, msg, &headers);
  int64_t ts = e.task->process(raw, q.source);
  if (ts > q.partition_time) q.partition_time = ts;
  q.next_offset = msg->offset + 1;
}

bool TaskManager::process(int64_t now_ms) {
  bool any = false;
  for (Entry* e : multi_input_) {
    if (e->restoring) continue;
    while (PartitionGroup::Queue* q = e->inputs.next(now_ms)) {
      kafka::Message msg = e->inputs.pop(*q);
      process_one(*e, *q, msg.get());
      any = true;
      if (q->throttled && q->size() <= kMaxBuffered / 2) {
        q->throttled = false;
        if (!q->paused) to_resume_.push_back(q->tp);
      }
    }
  }
  if (any) uncommitted_ = true;
  return any;
}

bool TaskManager::punctuate(int64_t now_ms) {
  bool requested = false;
  for (auto& [id, e] : tasks_) {
    if (!e->restoring) e->task->on_wall_clock(now_ms);
    if (e->task->commit_requested()) {
      requested = true;
      e->task->clear_commit_request();
    }
  }
  return requested;
}

TopicPartitionOffsets TaskManager::advanced_offsets(bool in_transaction,
                                                    TopicPartitionOffsets* times) const {
  TopicPartitionOffsets offsets;
  for (const auto& [tp, r] : routes_) {
    if (r.queue->next_offset > r.queue->committed) offsets[tp] = r.queue->next_offset;
  }
  if (offsets.empty() && in_transaction) {
    // Sends with no input moved (output on wall-clock time): still send the
    // positions, so the broker checks this member's group generation before it
    // commits — a zombie's transaction must fail here (KIP-447).
    for (const auto& [tp, r] : routes_) {
      if (r.queue->next_offset >= 0) offsets[tp] = r.queue->next_offset;
    }
  }
  for (const auto& [tp, offset] : offsets) {
    int64_t t = routes_.at(tp).queue->partition_time;
    if (t >= 0) (*times)[tp] = t;
  }
  return offsets;
}

bool TaskManager::commit(Committer& committer, bool enforce_checkpoints) {
  if (tasks_.empty()) return true;
  for (auto& [id, e] : tasks_) {
    if (!e->restoring) e->task->flush();
  }
  TopicPartitionOffsets times;
  TopicPartitionOffsets offsets = advanced_offsets(committer.in_transaction(), &times);
  Committer::Result result = committer.commit_inputs(offsets, times);
  if (result == Committer::Result::kFailed) return false;
  if (result == Committer::Result::kCommitted) {
    for (auto& [tp, r] : routes_)
      r.queue->committed = std::max(r.queue->committed, r.queue->next_offset);
  }
  // The sends are durable (under exactly-once: committed): now the stores may
  // record the changelog offsets they hold, and apply the staged writes.
  bool transactional = committer.transactional();
  for (auto& [id, e] : tasks_) {
    if (!e->restoring) e->task->post_commit(enforce_checkpoints, transactional);
  }
  uncommitted_ = false;
  return true;
}

void TaskManager::close(Entry& e, bool clean) {
  if (reader_) reader_->remove(*e.task);
  close_task(*e.task, clean);
  for (const auto& q : e.inputs.partitions()) routes_.erase(q->tp);
  multi_input_.erase(std::remove(multi_input_.begin(), multi_input_.end(), &e), multi_input_.end());
  if (e.restoring) --restoring_;
  last_route_ = nullptr;
}

void TaskManager::close_all(bool clean) {
  for (auto& [id, e] : tasks_) close(*e, clean);
  forget_running();
}

void TaskManager::close_tasks(const std::set<TaskId>& ids, bool clean) {
  for (const TaskId& id : ids) {
    auto it = tasks_.find(id);
    if (it == tasks_.end()) continue;
    close(*it->second, clean);
    tasks_.erase(it);
  }
}

void TaskManager::forget_running() {
  tasks_.clear();
  routes_.clear();
  multi_input_.clear();
  restoring_ = 0;
  last_route_ = nullptr;
}

void TaskManager::close_task(StreamTask& task, bool clean) {
  try {
    task.close(clean);
  } catch (const std::exception& ex) {
    log::warn("closing task {}: {}", task.task_id(), ex.what());
    task.close(false);
  }
}

std::set<TaskId> TaskManager::close_running(std::vector<TopicPartition>* inputs) {
  std::set<TaskId> ids;
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    Entry& e = *it->second;
    if (e.restoring) {
      ++it;
      continue;
    }
    ids.insert(it->first);
    for (const auto& q : e.inputs.partitions()) inputs->push_back(q->tp);
    close(e, false);
    it = tasks_.erase(it);
  }
  return ids;
}

bool TaskManager::positions_ahead() const {
  for (const auto& [tp, r] : routes_) {
    if (r.queue->next_offset > r.queue->committed) return true;
  }
  return false;
}

std::vector<TopicPartition> TaskManager::inputs() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, r] : routes_) out.push_back(tp);
  return out;
}

bool TaskManager::pending(const BoundedProgress& progress) const {
  for (const auto& [tp, r] : routes_) {
    if (!r.queue->empty() || r.queue->next_offset < progress.target(tp.topic, tp.partition)) {
      return true;
    }
  }
  return false;
}

}  // namespace brook
