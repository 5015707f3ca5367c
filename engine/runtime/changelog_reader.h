// ChangelogReader: restores tasks' stores from their changelog topics with a
// dedicated consumer (no group, manual assignment), from each store's checkpoint
// (or the beginning) up to the changelog's end offset seen when the task was
// added; and keeps standby tasks' stores up to date by tailing their changelogs
// for as long as they are registered. Restores in time slices so the stream
// thread keeps polling its group consumer; logs progress and keeps per-task
// gauges: restore-total and restore-remaining-records-total (records restored,
// and still to restore, by an active task), update-total (records a standby
// applied). One per stream thread; not thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <vector>

#include "brook/config.h"
#include "brook/metrics.h"
#include "engine/kafka/fetch_waker.h"
#include "engine/kafka/kafka_client.h"
#include "engine/runtime/stream_task.h"

namespace brook {

class ChangelogReader {
 public:
  static Status create(const StreamsConfig& config, const std::string& client_id, Metrics& metrics,
                       std::unique_ptr<ChangelogReader>* out);

  // Registers the task's changelogs; `*needs_restore` is false when there is
  // nothing to restore (the task may run at once). `skip_tail`: the task is
  // being revived after an aborted transaction on the embedded Kafka, which
  // writes no markers: its transactional stores hold exactly the last commit,
  // and everything past their offsets belongs to the aborted transaction.
  Status add(StreamTask& task, bool skip_tail, bool* needs_restore);
  // Registers a standby task: its changelogs are read from its checkpoint on,
  // with no end, until remove(). Its stores are committed by
  // commit_standbys(), not per slice.
  Status add_standby(StreamTask& task);
  void remove(StreamTask& task);
  // Restores for at most `budget`; the tasks that finished. Waits for records
  // only while active tasks restore; standbys alone take what has arrived.
  Status restore(std::chrono::milliseconds budget, std::vector<StreamTask*>* finished);
  // Makes what standbys applied durable with the offsets they reached
  // (a checkpoint, or a commit of the staged writes).
  void commit_standbys(bool enforce_checkpoints);
  bool idle() const { return entries_.empty(); }
  // Applies an assignment change that had to wait (see apply_assignment);
  // call often, restoring or not.
  Status tick() { return apply_assignment(); }

 private:
  struct Entry {
    StreamTask* task;
    std::string store;
    std::string topic;
    int32_t partition;
    int64_t next;  // next offset to apply
    int64_t end;   // restore up to here (exclusive)
    int64_t start;
    std::chrono::steady_clock::time_point started;
    bool restored = false;       // records applied in the current slice
    bool standby = false;        // no end: tails the changelog
    Gauge* applied = nullptr;    // the task's restore-total (standby: update-total)
    Gauge* remaining = nullptr;  // the task's restore-remaining-records-total
    // Where records go: the store's stack, which passes them to its bottom.
    state::KeyValueBytesStore* target = nullptr;
  };
  using Key = TopicPartition;

  ChangelogReader(kafka::Handle rk, Metrics& metrics) : rk_(std::move(rk)), metrics_(metrics) {}
  // Records taken from the consumer's queue at once.
  static constexpr int kBatch = 1000;
  // The restore consumer's assignment follows entries_: now, or (when the
  // last change stopped fetchers moments ago) from a later call.
  Status reassign();
  Status apply_assignment();
  static constexpr std::chrono::milliseconds kFetcherStopGrace{1000};
  // The end of the changelog partition, uncommitted records included.
  Status log_end(const std::string& topic, int32_t partition, int64_t* end);
  // Where restoring `c` starts: the task's checkpoint when the changelog holds
  // [low, high) around it, else (the store wiped) `low`.
  int64_t start_offset(StreamTask& task, const StreamTask::Changelog& c, int64_t low, int64_t high);
  void set_remaining(Entry& e, int64_t remaining);
  // Done restoring this entry; its task's stores are committed with the rest of
  // `touched` at the end of the slice.
  void finish(std::map<Key, Entry>::iterator it, std::vector<StreamTask*>* finished,
              std::set<StreamTask*>* touched);

  kafka::Handle rk_;
  // rk_'s consumer queue, for batched polls.
  std::unique_ptr<rd_kafka_queue_t, void (*)(rd_kafka_queue_t*)> queue_{nullptr,
                                                                        rd_kafka_queue_destroy};
  // librdkafka < 2.1 only: gets the fetchers going again when the queue runs
  // dry, instead of up to a second later (a restoration of more than
  // queued.min.messages per partition otherwise crawls at that much a second).
  std::unique_ptr<FetchWaker> fetch_waker_;  // after rk_: destroyed before it
  bool draining_ = false;                    // the last batches came full
  kafka::Handle end_reader_;                 // read_uncommitted, for log_end (created when needed)
  Metrics& metrics_;
  bool read_committed_ = false;
  std::string bootstrap_, group_id_;
  int timeout_ms_ = 10000;  // offset lookups keep asking for this long
  std::map<Key, Entry> entries_;
  std::set<StreamTask*> standbys_applied_;  // since the last commit_standbys()
  bool assignment_stale_ = false;           // entries_ changed since the last assign()
  bool added_since_assign_ = false;         // ... by an entry added
  bool assigned_any_ = false;               // the last assign() had partitions
  std::chrono::steady_clock::time_point fetchers_stopping_until_{};
  std::chrono::steady_clock::time_point last_progress_log_{};
};

}  // namespace brook
