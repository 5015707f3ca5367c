#include "engine/runtime/changelog_reader.h"

#include <algorithm>
#include <limits>
#include <set>
#include <thread>

#include "engine/common/log.h"

namespace brook {

Status ChangelogReader::create(const StreamsConfig& config, const std::string& client_id,
                               Metrics& metrics, std::unique_ptr<ChangelogReader>* out) {
  std::map<std::string, std::string> props = config.client_properties(true);
  // Manual assignment only: it never joins this group or commits to it, but
  // librdkafka's consumer poll needs a group id.
  props["group.id"] = config.application_id() + "-restore-consumer";
  props["client.id"] = client_id;
  props["enable.auto.commit"] = "false";
  props["enable.partition.eof"] = "true";
  // A restoration reads each changelog to its end, and learns it has reached
  // it (past a final transaction marker) only from an empty fetch, which the
  // broker holds for fetch.wait.max.ms: keep that short, or every restoration
  // takes at least the default 500 ms however little it reads.
  props["fetch.wait.max.ms"] = "20";
  props["isolation.level"] = kafka::isolation_level(config.processing_guarantee());
  kafka::Conf conf;
  Status s = kafka::make_conf(props, &conf);
  if (!s) return s;
  kafka::Handle rk;
  s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &rk);
  if (!s) return s;
  out->reset(new ChangelogReader(std::move(rk), metrics));
  (*out)->queue_.reset(rd_kafka_queue_get_consumer((*out)->rk_.get()));
  if (FetchWaker::needed()) (*out)->fetch_waker_ = std::make_unique<FetchWaker>((*out)->rk_.get());
  (*out)->read_committed_ = props["isolation.level"] == "read_committed";
  (*out)->bootstrap_ = config.bootstrap_servers();
  (*out)->group_id_ = props["group.id"];
  (*out)->timeout_ms_ = static_cast<int>(std::min<int64_t>(config.task_timeout_ms(), INT32_MAX));
  return Status::ok();
}

Status ChangelogReader::add(StreamTask& task, bool skip_tail, bool* needs_restore) {
  *needs_restore = false;
  if (task.changelogs().empty()) return Status::ok();
  MetricTags tags{{"task-id", task.task_id()}};
  Gauge& applied = metrics_.registry.gauge("restore-total", tags);
  Gauge& remaining = metrics_.registry.gauge("restore-remaining-records-total", tags);
  for (const StreamTask::Changelog& c : task.changelogs()) {
    int64_t low = 0, high = 0;
    Status s = kafka::watermarks(rk_.get(), c.topic, c.partition, &low, &high, timeout_ms_);
    if (!s) return s;
    if (read_committed_) {
      // Under read_committed `high` is the last stable offset. A transaction
      // still open on the changelog (a killed worker's, until the broker times
      // it out) holds it below records other instances have committed since:
      // restore up to the real end, once it is stable; stopping at the last
      // stable offset would go on without them.
      int64_t end = high;
      s = log_end(c.topic, c.partition, &end);
      if (!s) return s;
      if (end > high && !skip_tail) {
        log::info(
            "task {}: changelog {}-{} is stable up to {} of {} (a transaction is open); "
            "its restoration waits for the rest",
            task.task_id(), c.topic, c.partition, high, end);
        high = end;
      }
    }
    int64_t start = start_offset(task, c, low, high);
    // The embedded Kafka writes no transaction markers, so a read_committed
    // restoration would apply an aborted transaction's changelog records. After
    // an abort the transactional stores hold exactly their last commit, and on
    // that Kafka everything past their offsets is the aborted transaction's:
    // skip it. (A real broker's read_committed restoration skips aborted
    // records itself, and reads what a commit of unknown outcome did commit.)
    if (skip_tail && task.transactional(c.store)) start = high;
    if (start >= high) {
      task.set_changelog_offset(c.topic, c.partition, high);
      continue;
    }
    log::info("task {}: restoring store {} from {}-{} offsets [{}, {}) ({} records)",
              task.task_id(), c.store, c.topic, c.partition, start, high, high - start);
    metrics_.restore_remaining_records.fetch_add(high - start);
    remaining.add(high - start);
    Entry e{&task, c.store, c.topic, c.partition,
            start, high,    start,   std::chrono::steady_clock::now()};
    e.applied = &applied;
    e.remaining = &remaining;
    e.target = &task.state().restore_target(c.store);
    entries_[{c.topic, c.partition}] = e;
    *needs_restore = true;
  }
  if (!*needs_restore) return Status::ok();
  // Applied by the next restore(): the tasks of an assignment are added one
  // after the other, and take one assign() together.
  added_since_assign_ = assignment_stale_ = true;
  return Status::ok();
}

int64_t ChangelogReader::start_offset(StreamTask& task, const StreamTask::Changelog& c, int64_t low,
                                      int64_t high) {
  auto it = task.checkpointed_offsets().find({c.topic, c.partition});
  if (it == task.checkpointed_offsets().end()) return low;
  int64_t start = it->second;
  if (start <= high && start >= low) return start;
  // The changelog does not hold what the checkpoint says (topic recreated or
  // truncated): the local store cannot be trusted.
  log::warn(
      "task {}: checkpoint of store {} is at offset {} but changelog {}-{} holds "
      "[{}, {}); wiping the store and restoring from scratch",
      task.task_id(), c.store, start, c.topic, c.partition, low, high);
  task.wipe_store(c.store);
  return low;
}

Status ChangelogReader::add_standby(StreamTask& task) {
  Gauge& applied = metrics_.registry.gauge("update-total", {{"task-id", task.task_id()}});
  // Every changelog's bounds first: a failure registers nothing.
  std::vector<std::pair<const StreamTask::Changelog*, std::pair<int64_t, int64_t>>> bounds;
  for (const StreamTask::Changelog& c : task.changelogs()) {
    int64_t low = 0, high = 0;
    Status s = kafka::watermarks(rk_.get(), c.topic, c.partition, &low, &high, timeout_ms_);
    // A checkpoint may be past the last stable offset (an open transaction).
    if (s && read_committed_) s = log_end(c.topic, c.partition, &high);
    if (!s) return s;
    bounds.push_back({&c, {low, high}});
  }
  for (const auto& [c, range] : bounds) {
    int64_t start = start_offset(task, *c, range.first, range.second);
    task.set_changelog_offset(c->topic, c->partition, start);
    log::info("task {}: standby of store {} from {}-{} offset {} ({} records behind)",
              task.task_id(), c->store, c->topic, c->partition, start, range.second - start);
    Entry e{&task,    c->store,
            c->topic, c->partition,
            start,    std::numeric_limits<int64_t>::max(),
            start,    std::chrono::steady_clock::now()};
    e.standby = true;
    e.applied = &applied;
    e.target = &task.state().restore_target(c->store);
    entries_[{c->topic, c->partition}] = e;
    added_since_assign_ = assignment_stale_ = true;
  }
  return Status::ok();
}

void ChangelogReader::commit_standbys(bool enforce_checkpoints) {
  for (StreamTask* t : standbys_applied_) t->commit_standby(enforce_checkpoints);
  standbys_applied_.clear();
}

void ChangelogReader::set_remaining(Entry& e, int64_t remaining) {
  if (e.standby) return;
  int64_t delta = std::max<int64_t>(0, remaining) - std::max<int64_t>(0, e.end - e.next);
  metrics_.restore_remaining_records.fetch_add(delta);
  e.remaining->add(delta);
}

Status ChangelogReader::log_end(const std::string& topic, int32_t partition, int64_t* end) {
  if (!end_reader_) {
    kafka::Conf conf;
    Status s = kafka::make_conf({{"bootstrap.servers", bootstrap_},
                                 {"isolation.level", "read_uncommitted"},
                                 {"group.id", group_id_},
                                 {"enable.auto.commit", "false"}},
                                &conf);
    if (s) s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &end_reader_);
    if (!s) return s;
  }
  int64_t low = 0;
  return kafka::watermarks(end_reader_.get(), topic, partition, &low, end, timeout_ms_);
}

void ChangelogReader::remove(StreamTask& task) {
  bool changed = false;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.task == &task) {
      set_remaining(it->second, 0);
      it = entries_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  standbys_applied_.erase(&task);
  if (changed) reassign();
}

Status ChangelogReader::reassign() {
  assignment_stale_ = true;
  return apply_assignment();
}

// Each assign() stops the fetcher of every partition assigned before and
// starts them again, and librdkafka (to 2.15 at least; its issue 5573) aborts
// the process when a partition's fetcher is stopped a second time before the
// first stop has completed: two assign() calls in quick succession — a task
// reverted and then lost, within a millisecond — crash it. So an assignment
// that follows one which stopped fetchers waits a while; until then nothing is
// restored for entries added meanwhile (the consumer still fetches by the old
// assignment).
Status ChangelogReader::apply_assignment() {
  if (!assignment_stale_) return Status::ok();
  auto now = std::chrono::steady_clock::now();
  if (now < fetchers_stopping_until_) return Status::ok();
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(entries_.size())));
  for (const auto& [key, e] : entries_) {
    rd_kafka_topic_partition_list_add(list.get(), e.topic.c_str(), e.partition)->offset = e.next;
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), entries_.empty() ? nullptr : list.get());
  if (err) return Status::error(std::string("restore consumer assign: ") + rd_kafka_err2str(err));
  assignment_stale_ = false;
  added_since_assign_ = false;
  if (fetch_waker_) {
    std::vector<TopicPartition> assigned;
    for (const auto& [key, e] : entries_) assigned.push_back(key);
    fetch_waker_->set_partitions(std::move(assigned));
  }
  if (assigned_any_) fetchers_stopping_until_ = now + kFetcherStopGrace;
  assigned_any_ = !entries_.empty();
  return Status::ok();
}

void ChangelogReader::finish(std::map<Key, Entry>::iterator it, std::vector<StreamTask*>* finished,
                             std::set<StreamTask*>* touched) {
  Entry& e = it->second;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  e.started)
                .count();
  log::info("task {}: restored store {} from {}-{}: {} records in {} ms", e.task->task_id(),
            e.store, e.topic, e.partition, e.next - e.start, ms);
  set_remaining(e, 0);
  e.task->set_changelog_offset(e.topic, e.partition, std::max(e.next, e.end));
  StreamTask* task = e.task;
  touched->insert(task);  // its offset moved: commit at the end of the slice
  entries_.erase(it);
  for (const auto& [k, other] : entries_) {
    if (other.task == task) return;  // still restoring another store
  }
  finished->push_back(task);
}

Status ChangelogReader::restore(std::chrono::milliseconds budget,
                                std::vector<StreamTask*>* finished) {
  if (entries_.empty()) return Status::ok();
  Status applied = apply_assignment();
  if (!applied) return applied;
  auto any_active = [this] {
    return std::any_of(entries_.begin(), entries_.end(),
                       [](const auto& kv) { return !kv.second.standby; });
  };
  bool active = any_active();
  const bool restoring = active;  // active tasks restored in this slice
  if (added_since_assign_) {
    // The consumer still fetches by the old assignment, which may read a
    // re-added partition from elsewhere than its entry: wait for the new one.
    // (Removals alone need no wait: records of removed partitions are ignored.)
    if (active) std::this_thread::sleep_for(std::min(budget, std::chrono::milliseconds(10)));
    return Status::ok();
  }
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + budget;
  bool changed = false;
  std::set<StreamTask*> touched;
  rd_kafka_message_t* batch[kBatch];
  while (!entries_.empty()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    // Standbys alone never hold up the stream thread's processing.
    int wait_ms =
        active ? static_cast<int>(std::min<int64_t>(
                     50,
                     std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()))
               : 0;
    ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), wait_ms, batch, kBatch);
    if (fetch_waker_) {
      if (n == kBatch) {
        draining_ = true;
      } else if (draining_ && rd_kafka_queue_length(queue_.get()) == 0) {
        draining_ = false;
        fetch_waker_->wake();
      }
    }
    if (n <= 0) {
      if (active) continue;
      break;
    }
    // Every message of the batch is destroyed once the batch is done with,
    // however the loop ends (one left over keeps its partition alive, and the
    // consumer would never finish closing).
    struct Owned {
      rd_kafka_message_t** begin;
      rd_kafka_message_t** end;
      ~Owned() {
        for (rd_kafka_message_t** m = begin; m < end; ++m) rd_kafka_message_destroy(*m);
      }
    } owned{batch, batch + n};
    // Consecutive records mostly come from one partition: look its entry up once.
    rd_kafka_topic_t* last_rkt = nullptr;
    int32_t last_partition = -1;
    auto it = entries_.end();
    // The entry reached its end: done restoring (finish() erases it).
    auto finish_entry = [&] {
      finish(it, finished, &touched);
      it = entries_.end();
      changed = true;
      active = any_active();
    };
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* msg = batch[i];
      if (msg->rkt != last_rkt || msg->partition != last_partition || it == entries_.end()) {
        it = entries_.find({rd_kafka_topic_name(msg->rkt), msg->partition});
        last_rkt = msg->rkt;
        last_partition = msg->partition;
      }
      if (it == entries_.end()) continue;
      Entry& e = it->second;
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        // The end of what is stable: done once that reaches the entry's end
        // (an open transaction may hold it below until it ends).
        if (msg->offset > e.next) {
          set_remaining(e, e.end - msg->offset);
          e.next = msg->offset;
          e.restored = true;
        }
        if (e.next >= e.end) finish_entry();
        continue;
      }
      if (msg->err) {
        return Status::error("restoring " + e.topic + "-" + std::to_string(e.partition) + ": " +
                             rd_kafka_message_errstr(msg));
      }
      if (msg->offset < e.next) continue;
      std::string_view key(static_cast<const char*>(msg->key), msg->key_len);
      if (msg->payload) {
        std::string_view value(static_cast<const char*>(msg->payload), msg->len);
        e.target->restore(key, &value);
      } else {
        e.target->restore(key, nullptr);
      }
      e.applied->add(1);
      if (!e.standby) {
        metrics_.restore_records_total.fetch_add(1, std::memory_order_relaxed);
        set_remaining(e, e.end - (msg->offset + 1));
      }
      e.next = msg->offset + 1;
      e.restored = true;
      if (e.next >= e.end) finish_entry();
    }
  }
  // Make what this slice restored durable with the offset it reached, so a crash
  // during a long restoration resumes where it was (standbys: at their commit).
  for (auto& [k, e] : entries_) {
    if (!e.restored) continue;
    e.restored = false;
    e.task->set_changelog_offset(e.topic, e.partition, e.next);
    (e.standby ? standbys_applied_ : touched).insert(e.task);
  }
  for (StreamTask* t : touched) t->commit_stores();
  auto now = std::chrono::steady_clock::now();
  if (!restoring) return changed ? reassign() : Status::ok();
  metrics_.restore_time_ms_total.fetch_add(
      std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count());
  if (now - last_progress_log_ > std::chrono::seconds(5)) {
    last_progress_log_ = now;
    for (const auto& [k, e] : entries_) {
      if (e.standby) continue;
      log::info("task {}: restoring store {}: {} of {} records", e.task->task_id(), e.store,
                e.next - e.start, e.end - e.start);
    }
  }
  return changed ? reassign() : Status::ok();
}

}  // namespace brook
