#include "engine/stream_thread.h"

#include <exception>
#include <filesystem>
#include <random>
#include <thread>
#include <system_error>

#include "engine/log.h"

namespace brook {
namespace {

// How many threads open the stores of an assignment's new tasks. Opening a
// RocksDB store mostly waits on the file system (file creation, fsync), so a
// worker given many tasks is ready in a fraction of the time.
constexpr size_t kStoreOpeners = 8;

// Runs open_stores() of every task, up to kStoreOpeners at once, on this thread
// and helpers; rethrows the first failure once all have finished.
void open_stores(const std::vector<std::unique_ptr<StreamTask>>& tasks) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) {
      try {
        tasks[i]->open_stores();
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> helpers;
  for (size_t n = std::min(tasks.size(), kStoreOpeners); n > 1; --n) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer helpers: this thread does the rest
    }
  }
  work();
  for (std::thread& t : helpers) t.join();
  if (failure) std::rethrow_exception(failure);
}

// Whether a consumed record may carry headers, found without asking librdkafka:
// rd_kafka_message_headers() allocates and frees a parse buffer on every call,
// headers or not (a tenth of a stream thread's time on small records).
// librdkafka hands out a fetched record's value as a pointer into the record
// batch, and in the v2 record format (Kafka >= 0.11) the header count follows
// the value: a single 0 byte when there are none. A null or empty value does
// not point into the batch: then ask. (Older message formats, gone since
// Kafka 4.0, have no headers; there the byte read is whatever follows the
// value in the fetch response.)
std::string random_hex(int digits) {
  static thread_local std::mt19937_64 gen(std::random_device{}());
  std::string out;
  for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[gen() % 16];
  return out;
}

bool may_have_headers(const rd_kafka_message_t* msg) {
  if (!msg->payload || msg->len == 0) return true;
  return static_cast<const unsigned char*>(msg->payload)[msg->len] != 0;
}

}  // namespace

StreamThread::StreamThread(int index, RuntimeContext& runtime)
    : index_(index),
      rt_(runtime),
      client_id_(runtime.config.application_id() + "-" + runtime.process_id + "-StreamThread-" +
                 std::to_string(index + 1)) {}

StreamThread::~StreamThread() {
  request_shutdown();
  join();
}

std::string StreamThread::error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_;
}

void StreamThread::fail(const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    if (error_.empty()) error_ = message;
  }
  log::error("{}: {}", client_id_, message);
  state_ = State::kError;
}

Status StreamThread::init() {
  const StreamsConfig& cfg = rt_.config;
  task_timeout_ = std::chrono::milliseconds(cfg.task_timeout_ms());
  std::map<std::string, std::string> props = {
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", "45000"},
      // What the consumer fetches ahead is most of a worker's memory: each
      // queued message costs librdkafka a few hundred bytes besides its
      // payload, and a fetch response stays whole while any of its messages is
      // queued. Bounded to 100k messages or 8 MiB of payload, in responses of
      // at most 4 MiB: enough to keep a stream thread busy as long as the
      // fetcher refills it at once when it runs dry (FetchWaker, below 2.1).
      {"queued.min.messages", "100000"},
      {"queued.max.messages.kbytes", "8192"},
      {"fetch.max.bytes", "4194304"},
      {"max.partition.fetch.bytes", "524288"},
  };
  for (const auto& [k, v] : cfg.client_properties(true)) props[k] = v;
  props["group.id"] = cfg.application_id();
  props["client.id"] = client_id_;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  // The end of a partition tells its position past what is never delivered:
  // transaction markers and aborted records (see route()).
  props["enable.partition.eof"] = "true";
  // Range assignment gives partition p of every co-partitioned topic to the same
  // member, so a task's input partitions stay together.
  props["partition.assignment.strategy"] = "range";
  props["isolation.level"] = cfg.processing_guarantee() == ProcessingGuarantee::kExactlyOnceV2
                                 ? "read_committed"
                                 : "read_uncommitted";
  // From librdkafka 2.1 on, a partition over those bounds is looked at again
  // after this, instead of up to a second later (before 2.1: FetchWaker).
  if (!FetchWaker::needed()) props["fetch.queue.backoff.ms"] = "10";
  kafka::Conf conf;
  Status s = kafka::make_conf(props, &conf);
  if (!s) return s;
  rd_kafka_conf_set_rebalance_cb(conf.get(), &StreamThread::rebalance_cb);
  rd_kafka_conf_set_opaque(conf.get(), this);
  s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &consumer_);
  if (!s) return s;
  rd_kafka_poll_set_consumer(consumer_.get());
  queue_ = rd_kafka_queue_get_consumer(consumer_.get());
  if (FetchWaker::needed()) fetch_waker_ = std::make_unique<FetchWaker>(consumer_.get());
  s = create_producer();
  if (!s) return s;
  s = ChangelogReader::create(cfg, client_id_ + "-restore-consumer", *rt_.metrics, &reader_);
  if (!s) return s;
  int64_t cache_bytes = cfg.cache_max_bytes_buffering() / cfg.num_stream_threads();
  cache_ = std::make_unique<state::ThreadCache>(static_cast<size_t>(cache_bytes));
  return Status::ok();
}

Status StreamThread::subscribe() {
  kafka::PartitionList topics(rd_kafka_topic_partition_list_new(
      static_cast<int>(rt_.source_topics.size())));
  for (const std::string& t : rt_.source_topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), topics.get());
  if (err) return Status::error(std::string("subscribe failed: ") + rd_kafka_err2str(err));
  return Status::ok();
}

Status StreamThread::start() {
  Status s = subscribe();
  if (!s) return s;
  state_ = State::kStarting;
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

Status StreamThread::create_producer() {
  producer_.reset();
  std::string txn_id;
  if (rt_.config.processing_guarantee() == ProcessingGuarantee::kExactlyOnceV2) {
    // Stable across restarts of this instance (the process id lives in
    // state.dir), so a restarted worker fences its previous incarnation; after
    // this thread was fenced, suffixed (see rejoin_after_fence).
    txn_id = rt_.config.application_id() + "-" + rt_.process_id + "-" + std::to_string(index_) +
             txn_id_suffix_;
  }
  Status s = StreamsProducer::create(rt_.config, client_id_ + "-producer", txn_id, rt_.bounded,
                                     *rt_.metrics, &producer_);
  if (s) producer_->prepare(rt_.output_topics);
  return s;
}

void StreamThread::join() {
  if (thread_.joinable()) thread_.join();
}

void StreamThread::run() {
  commit_interval_ = std::chrono::milliseconds(rt_.config.commit_interval_ms());
  last_commit_ = std::chrono::steady_clock::now();
  try {
    while (!shutdown_.load() && state_.load() != State::kError) loop_once();
    if (state_.load() != State::kError) {
      state_ = State::kPendingShutdown;
      commit_all(/*revoking=*/false, /*enforce_checkpoints=*/true);
      close_tasks(true);
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (state_.load() == State::kError) close_tasks(false);
  fetch_waker_.reset();  // it asks the consumer, which closes below
  // Leaves the group; the revoke callback finds no tasks left.
  if (queue_) rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
  rd_kafka_consumer_close(consumer_.get());
  if (producer_) {
    Status s = producer_->flush(30000);
    if (!s && state_.load() != State::kError) log::warn("{}: {}", client_id_, s.message());
  }
  if (state_.load() != State::kError) state_ = State::kDead;
}

void StreamThread::loop_once() {
  bool restoring = !restoring_.empty();
  // Poll a batch: block briefly only when there is nothing else to do.
  // Block briefly only when idle; a bounded run checks for its end often.
  int timeout = restoring ? 0 : rt_.bounded ? 10 : 50;
  // One queue operation per batch; rebalance callbacks are served in it too.
  // consume_batch_queue returns only once the batch is full or the timeout has
  // passed: take what is ready without waiting, and block (for one message)
  // only when nothing is.
  rd_kafka_message_t* batch[1000];
  ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, batch, 1000);
  if (n == 0 && timeout > 0) n = rd_kafka_consume_batch_queue(queue_, timeout, batch, 1);
  if (fetch_waker_) {
    // Working through a backlog (full batches) until the prefetch ran dry:
    // get the fetchers going again now, not in up to a second.
    if (n == 1000) {
      draining_backlog_ = true;
    } else if (draining_backlog_ && rd_kafka_queue_length(queue_) == 0) {
      draining_backlog_ = false;
      fetch_waker_->wake();
    }
  }
  last_poll_count_ = n;
  {
    // Messages not routed when processing fails (by error or exception) are
    // destroyed: one left over keeps its partition alive, and the consumer
    // would never finish closing.
    struct Unrouted {
      rd_kafka_message_t** next;
      rd_kafka_message_t** end;
      ~Unrouted() {
        while (next < end) rd_kafka_message_destroy(*next++);
      }
    } unrouted{batch, batch + std::max<ssize_t>(n, 0)};
    while (unrouted.next < unrouted.end) {
      route(kafka::Message(*unrouted.next++));
      if (state_.load() == State::kError) return;
    }
  }
  if (restoring) {
    std::vector<StreamTask*> finished;
    Status s = reader_->restore(std::chrono::milliseconds(200), &finished);
    if (!s) {
      fail(s.message());
      return;
    }
    for (StreamTask* t : finished) {
      restoring_.erase(t);
      set_paused(t, false);
      log::info("{}: task {} restored, now processing", client_id_, t->task_id());
    }
    if (restoring_.empty() && assigned_once_) state_ = State::kRunning;
  } else if (Status s = reader_->tick(); !s) {
    fail(s.message());
    return;
  }
  process_buffers();
  auto now = std::chrono::steady_clock::now();
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  bool requested = false;
  for (auto& [id, t] : tasks_) {
    if (!restoring_.count(t.get())) t->on_wall_clock(now_ms);
    if (t->commit_requested()) {
      requested = true;
      t->clear_commit_request();
    }
  }
  producer_->poll();
  if (requested || now - last_commit_ >= commit_interval_) commit_all();
  // A bounded run looks for its end when the input pauses, and every few
  // milliseconds while records stream in (the check walks every partition).
  if (rt_.bounded && (n == 0 || now - last_bounded_check_ >= std::chrono::milliseconds(5))) {
    last_bounded_check_ = now;
    update_bounded_idle();
  }
}

void StreamThread::rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<StreamThread*>(opaque);
  try {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->on_assigned(partitions);  // assigns once the tasks are ready
    } else if (rd_kafka_assignment_lost(rk)) {
      self->on_lost();
      rd_kafka_assign(rk, nullptr);
    } else {
      self->on_revoked();
      rd_kafka_assign(rk, nullptr);
    }
  } catch (const std::exception& e) {
    self->fail(e.what());
  }
}

void StreamThread::on_assigned(rd_kafka_topic_partition_list_t* partitions) {
  rt_.metrics->rebalance_total.fetch_add(1);
  state_ = State::kPartitionsAssigned;
  std::set<TaskId> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& p = partitions->elems[i];
    auto it = rt_.topic_subtopology.find(p.topic);
    if (it == rt_.topic_subtopology.end()) continue;
    ids.insert(TaskId{it->second, p.partition});
  }
  std::map<Key, int64_t> positions = committed_positions(partitions);
  kafka::PartitionList start(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (const auto& [key, offset] : positions) {
    PartitionState& ps = partitions_[key];
    ps.topic = key.topic;
    ps.partition = key.partition;
    ps.next_offset = ps.committed = offset;
    rd_kafka_topic_partition_list_add(start.get(), key.topic.c_str(), key.partition)->offset = offset;
  }
  if (log::enabled(log::Level::kDebug)) {
    std::string where;
    for (const auto& [key, offset] : positions) where += fmt::format(" {}-{}@{}", key.topic, key.partition, offset);
    log::debug("{}: assigned at{}", client_id_, where);
  }
  create_tasks(ids, /*after_abort=*/false);
  // Fetching starts once the tasks exist (as Kafka Streams, which keeps a task's
  // input paused until it runs), at the positions looked up above: the
  // consumer need not ask again. Partitions of tasks still restoring stay paused.
  rd_kafka_resp_err_t assign_err = rd_kafka_assign(consumer_.get(), start.get());
  if (assign_err) {
    throw std::runtime_error(std::string("cannot take the assigned partitions: ") +
                             rd_kafka_err2str(assign_err));
  }
  for (StreamTask* t : restoring_) set_paused(t, true);
  if (fetch_waker_) {
    std::vector<TopicPartition> assigned;
    for (const auto& [key, offset] : positions) assigned.push_back(key);
    fetch_waker_->set_partitions(std::move(assigned));
  }
  assigned_once_ = true;
  bounded_idle_ = false;
  log::info("{}: assigned {} partitions, {} tasks ({} restoring)", client_id_, partitions->cnt,
            tasks_.size(), restoring_.size());
  if (restoring_.empty()) state_ = State::kRunning;
}

std::map<StreamThread::Key, int64_t> StreamThread::committed_positions(
    const rd_kafka_topic_partition_list_t* partitions) {
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& p = partitions->elems[i];
    if (rt_.topic_subtopology.count(p.topic)) {
      rd_kafka_topic_partition_list_add(list.get(), p.topic, p.partition);
    }
  }
  // Never guess: starting from the beginning re-applies every input, from the
  // end skips some. A coordinator loading its offsets, or moving, answers with
  // retriable errors: ask again, for up to task.timeout.ms.
  auto deadline = std::chrono::steady_clock::now() + task_timeout_;
  for (;;) {
    for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), list.get(), 10000);
    std::string failure;
    bool again = false;
    if (err) {
      failure = rd_kafka_err2str(err);
      again = kafka::retriable(err);
    }
    for (int i = 0; i < list->cnt && !err; ++i) {
      if (!list->elems[i].err) continue;
      failure = fmt::format("{}-{}: {}", list->elems[i].topic, list->elems[i].partition,
                            rd_kafka_err2str(list->elems[i].err));
      again = kafka::retriable(list->elems[i].err);
      if (!again) break;
    }
    if (failure.empty()) break;
    if (!again || std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("cannot read the group's committed offsets (" + failure + ")");
    }
    log::warn("{}: reading committed offsets: {}; asking again", client_id_, failure);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::map<Key, int64_t> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& p = list->elems[i];
    int64_t next = p.offset;
    if (next < 0) {
      // No committed offset: the group never read it (auto.offset.reset=earliest).
      int64_t low = 0, high = 0;
      Status s = kafka::watermarks(consumer_.get(), p.topic, p.partition, &low, &high,
                                   static_cast<int>(task_timeout_.count()));
      if (!s) throw std::runtime_error(s.message());
      next = low;
    }
    out[{p.topic, p.partition}] = next;
  }
  return out;
}

void StreamThread::create_tasks(const std::set<TaskId>& ids, bool after_abort) {
  std::vector<std::unique_ptr<StreamTask>> created;
  for (const TaskId& id : ids) created.push_back(make_task(id));
  open_stores(created);
  for (auto& task : created) add_task(std::move(task), after_abort);
  std::map<StreamTask*, int> inputs;
  for (auto& [key, ps] : partitions_) {
    ps.task = tasks_.at(TaskId{rt_.topic_subtopology.at(ps.topic), ps.partition}).get();
    ps.source = ps.task->source(ps.topic);
    ++inputs[ps.task];
  }
  for (auto& [key, ps] : partitions_) ps.sole_input = inputs[ps.task] == 1;
  last_routed_ = nullptr;
}

std::unique_ptr<StreamTask> StreamThread::make_task(const TaskId& id) {
  const Topology::Subtopology& st = rt_.subtopologies.at(id.subtopology);
  std::unique_ptr<state::TaskDirectory> dir;
  bool persistent = false;
  for (const std::string& s : st.stores) persistent |= rt_.topology->find_store(s)->persistent;
  if (persistent) {
    std::string path = rt_.state_dir + "/" + id.str();
    std::string error;
    // Another process may still be closing the task after a rebalance.
    for (int attempt = 0; attempt < 100 && !dir; ++attempt) {
      dir = state::TaskDirectory::lock(path, &error);
      if (!dir) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!dir) throw std::runtime_error("task " + id.str() + ": " + error);
  }
  return std::make_unique<StreamTask>(id, *rt_.topology, st, rt_.task_options, *producer_,
                                      std::move(dir), rt_.rocksdb, *cache_, *rt_.metrics);
}

void StreamThread::add_task(std::unique_ptr<StreamTask> task, bool after_abort) {
  task->initialize();
  bool needs_restore = false;
  Status s = reader_->add(*task, after_abort && rt_.embedded_kafka, &needs_restore);
  if (!s) throw std::runtime_error("task " + task->id().str() + ": " + s.message());
  if (needs_restore) restoring_.insert(task.get());
  TaskId id = task->id();
  tasks_[id] = std::move(task);
}

void StreamThread::set_paused(StreamTask* task, bool paused) {
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(4));
  for (auto& [key, ps] : partitions_) {
    if (ps.task != task) continue;
    ps.restoring = paused;
    rd_kafka_topic_partition_list_add(list.get(), ps.topic.c_str(), ps.partition);
  }
  if (list->cnt == 0) return;
  if (paused) {
    rd_kafka_pause_partitions(consumer_.get(), list.get());
  } else {
    rd_kafka_resume_partitions(consumer_.get(), list.get());
  }
}

void StreamThread::on_revoked() {
  if (tasks_.empty() && partitions_.empty()) return;
  log::info("{}: partitions revoked; committing and closing {} tasks", client_id_, tasks_.size());
  state_ = State::kPartitionsAssigned;
  // Commit (under exactly-once: the transaction) before letting go: a
  // transaction is never left open across a rebalance.
  commit_all(/*revoking=*/true, /*enforce_checkpoints=*/true);
  close_tasks(true);
}

void StreamThread::on_lost() {
  if (tasks_.empty() && partitions_.empty()) return;
  // Another member may own these partitions already (our session expired):
  // committing their offsets, or a transaction holding their outputs, could
  // only conflict with what it does. Close them dirty, as Kafka Streams does;
  // what they processed since the last commit is processed again there.
  log::warn("{}: partitions lost (the group moved on without this member); closing {} tasks "
            "without committing",
            client_id_, tasks_.size());
  state_ = State::kPartitionsAssigned;
  if (producer_->in_transaction()) {
    std::string message;
    StreamsProducer::TxnError r = producer_->abort_transaction(&message);
    if (r == StreamsProducer::TxnError::kFatal) throw std::runtime_error(message);
    if (r != StreamsProducer::TxnError::kNone) {
      rejoin_after_fence(message, /*revoking=*/true);
      return;
    }
  }
  close_tasks(false);
}

void StreamThread::close_tasks(bool clean) {
  for (auto& [id, task] : tasks_) {
    reader_->remove(*task);
    try {
      task->close(clean);
    } catch (const std::exception& e) {
      log::warn("{}: closing task {}: {}", client_id_, id.str(), e.what());
      task->close(false);
    }
  }
  tasks_.clear();
  restoring_.clear();
  partitions_.clear();
  last_routed_ = nullptr;
}

void StreamThread::route(kafka::Message msg) {
  if (msg->err) {
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end_of_partition(msg.get());
      return;
    }
    std::string what = rd_kafka_message_errstr(msg.get());
    if (msg->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        msg->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        msg->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
        msg->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
      fail("consumer error: " + what);
    } else {
      log::warn("{}: consumer error (retrying): {}", client_id_, what);
    }
    return;
  }
  // Records come in runs from one partition: compare the topic handle (kept
  // alive by the assignment) before looking the partition up by name.
  PartitionState* ps = last_routed_;
  if (!ps || ps->partition != msg->partition || last_routed_rkt_ != msg->rkt) {
    auto it = partitions_.find(Key{rd_kafka_topic_name(msg->rkt), msg->partition});
    if (it == partitions_.end()) return;  // revoked meanwhile
    ps = last_routed_ = &it->second;
    last_routed_rkt_ = msg->rkt;
  }
  if (ps->next_offset >= 0 && msg->offset < ps->next_offset) return;  // already processed
  if (ps->sole_input && !ps->restoring) {
    // Nothing to order against: process at once, no buffering.
    process_one(*ps, msg.get());
    uncommitted_ = true;
    if (bounded_idle_.load(std::memory_order_relaxed)) bounded_idle_ = false;
    return;
  }
  ps->buffer.push_back(std::move(msg));
}

void StreamThread::at_end_of_partition(const rd_kafka_message_t* eof) {
  auto it = partitions_.find(Key{rd_kafka_topic_name(eof->rkt), eof->partition});
  if (it == partitions_.end()) return;
  PartitionState& ps = it->second;
  // Everything before the end was delivered and, with nothing buffered,
  // processed: the position may move past transaction markers and aborted
  // records, which take offsets but are never delivered (as Kafka Streams
  // commits the consumer's position for a fully processed partition). Otherwise
  // a read_committed input would never look fully processed, and its committed
  // offset would lag by a marker forever.
  if (ps.buffer.empty() && eof->offset > ps.next_offset) ps.next_offset = eof->offset;
}

void StreamThread::process_one(PartitionState& ps, const rd_kafka_message_t* msg) {
  RawRecord raw;
  raw.topic = ps.topic;
  raw.partition = msg->partition;
  raw.offset = msg->offset;
  raw.timestamp = rd_kafka_message_timestamp(msg, nullptr);
  raw.key = static_cast<const char*>(msg->key);
  raw.key_size = msg->key_len;
  raw.value = static_cast<const char*>(msg->payload);
  raw.value_size = msg->len;
  Headers headers;
  rd_kafka_headers_t* hdrs = nullptr;
  if (may_have_headers(msg) && rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      hdrs) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
      headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size)
                                       : std::string());
    }
    raw.headers = &headers;
  }
  ps.task->process(raw, ps.source);
  ps.next_offset = msg->offset + 1;
}

void StreamThread::process_buffers() {
  bool any = false;
  // Group partitions by task, then drain each task in timestamp order.
  std::map<StreamTask*, std::vector<PartitionState*>> by_task;
  for (auto& [key, ps] : partitions_) {
    if (!ps.buffer.empty() && !ps.restoring) by_task[ps.task].push_back(&ps);
  }
  for (auto& [task, parts] : by_task) {
    for (;;) {
      PartitionState* next = nullptr;
      int64_t best = 0;
      for (PartitionState* ps : parts) {
        if (ps->buffer.empty()) continue;
        int64_t ts = rd_kafka_message_timestamp(ps->buffer.front().get(), nullptr);
        if (!next || ts < best) {
          next = ps;
          best = ts;
        }
      }
      if (!next) break;
      kafka::Message msg = std::move(next->buffer.front());
      next->buffer.pop_front();
      process_one(*next, msg.get());
      any = true;
    }
  }
  if (any) {
    uncommitted_ = true;
    bounded_idle_ = false;
  }
}

void StreamThread::commit_all(bool revoking, bool enforce_checkpoints) {
  if (tasks_.empty()) return;
  for (auto& [id, task] : tasks_) {
    if (!restoring_.count(task.get())) task->flush();
  }
  kafka::PartitionList offsets = advanced_offsets();
  if (producer_->transactional()) {
    std::string message;
    // Only a commit of something shows the failures are over (a commit of
    // nothing, while revived tasks wait for their input, succeeds trivially).
    bool committing = offsets->cnt > 0 || producer_->in_transaction();
    StreamsProducer::TxnError r =
        producer_->commit_transaction(consumer_.get(), offsets.get(), &message);
    if (r == StreamsProducer::TxnError::kNone) {
      if (rt_.embedded_kafka && offsets->cnt > 0) {
        // The mock drops offsets sent in a transaction: without this commit a
        // rebalance or restart would re-read the inputs from the beginning.
        rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), offsets.get(), 0);
        if (err) log::warn("{}: offset commit failed: {}", client_id_, rd_kafka_err2str(err));
      }
      for (auto& [key, ps] : partitions_) ps.committed = std::max(ps.committed, ps.next_offset);
      if (committing) failing_since_.reset();
      log_committed(offsets.get());
      // The transaction is committed: now the stores may apply the same writes,
      // with the changelog offsets they correspond to.
      finish_commit(enforce_checkpoints);
      return;
    }
    recover(r, message, revoking);
    return;
  }
  // Offsets only after every output and changelog record is acknowledged: a
  // committed offset must never be ahead of what its records produced.
  Status s = producer_->flush();
  if (!s) throw std::runtime_error(s.message());
  if (offsets->cnt > 0) {
    rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), offsets.get(), 0);
    if (err) {
      // Typically a rebalance in progress: the records will be processed again
      // by the partition's next owner (at-least-once).
      log::warn("{}: offset commit failed: {}", client_id_, rd_kafka_err2str(err));
    } else {
      for (auto& [key, ps] : partitions_) ps.committed = std::max(ps.committed, ps.next_offset);
      log_committed(offsets.get());
    }
  }
  finish_commit(enforce_checkpoints);
}

void StreamThread::log_committed(const rd_kafka_topic_partition_list_t* offsets) const {
  if (!log::enabled(log::Level::kDebug)) return;
  std::string where;
  for (int i = 0; i < offsets->cnt; ++i) {
    where += fmt::format(" {}-{}@{}", offsets->elems[i].topic, offsets->elems[i].partition,
                         offsets->elems[i].offset);
  }
  log::debug("{}: committed{}", client_id_, where);
}

void StreamThread::rejoin_after_fence(const std::string& message, bool revoking) {
  // Another producer owns our transactional.id: this one is unusable. Drop the
  // tasks without committing and rejoin the group with a new producer.
  log::warn("{}: producer fenced ({}); closing tasks and rejoining", client_id_, message);
  close_tasks(false);
  // A live instance holds our transactional.id (a copy of this state
  // directory runs elsewhere): the same id again would fence it in turn, and
  // the two would take turns forever. Zombies stay fenced without it: the
  // broker refuses offsets of an old group generation in a transaction.
  txn_id_suffix_ = "-" + random_hex(8);
  Status s = create_producer();
  if (!s) throw std::runtime_error(s.message());
  if (revoking) return;  // the rebalance under way assigns anew
  // Shutting down (fenced at the last commit): the consumer closes next, and
  // librdkafka asserts when a subscription made just before its close is
  // still there when it is destroyed.
  if (shutdown_.load()) return;
  rd_kafka_unsubscribe(consumer_.get());
  s = subscribe();
  if (!s) throw std::runtime_error(s.message());
  state_ = State::kStarting;
}

kafka::PartitionList StreamThread::advanced_offsets() const {
  kafka::PartitionList offsets(rd_kafka_topic_partition_list_new(
      static_cast<int>(partitions_.size())));
  for (const auto& [key, ps] : partitions_) {
    if (ps.next_offset > ps.committed) {
      rd_kafka_topic_partition_list_add(offsets.get(), ps.topic.c_str(), ps.partition)->offset =
          ps.next_offset;
    }
  }
  if (offsets->cnt == 0 && producer_->in_transaction()) {
    // Sends with no input moved (output on wall-clock time): still send the
    // positions, so the broker checks this member's group generation before it
    // commits — a zombie's transaction must fail here (KIP-447).
    for (const auto& [key, ps] : partitions_) {
      if (ps.next_offset < 0) continue;
      rd_kafka_topic_partition_list_add(offsets.get(), ps.topic.c_str(), ps.partition)->offset =
          ps.next_offset;
    }
  }
  return offsets;
}

void StreamThread::finish_commit(bool enforce_checkpoints) {
  for (auto& [id, task] : tasks_) {
    if (restoring_.count(task.get())) continue;
    for (const StreamTask::Changelog& c : task->changelogs()) {
      // Only forward: this producer's last write may predate the task's
      // restoration to a later offset (the task left this thread and came back).
      int64_t last = producer_->last_offset(c.topic, c.partition);
      if (last >= 0) task->advance_changelog_offset(c.topic, c.partition, last + 1);
    }
    if (producer_->transactional()) {
      task->commit_stores();
    } else {
      task->write_checkpoint(enforce_checkpoints);
    }
  }
  uncommitted_ = false;
  last_commit_ = std::chrono::steady_clock::now();
  rt_.metrics->commit_total.fetch_add(1);
}

void StreamThread::recover(StreamsProducer::TxnError error, const std::string& message,
                           bool revoking) {
  using TxnError = StreamsProducer::TxnError;
  rt_.metrics->aborted_transactions_total.fetch_add(1);
  if (error == TxnError::kFenced) {
    rejoin_after_fence(message, revoking);
    return;
  }
  if (error == TxnError::kFatal) {
    std::string ignored;
    producer_->abort_transaction(&ignored);
    throw std::runtime_error(message);
  }
  // A commit that keeps failing (a record the broker always refuses, an
  // authorization error that stays) must not loop for ever while the instance
  // says it runs: give up after task.timeout.ms, as Kafka Streams does.
  auto now = std::chrono::steady_clock::now();
  if (!failing_since_) failing_since_ = now;
  if (now - *failing_since_ >= task_timeout_) {
    throw std::runtime_error(fmt::format(
        "transactions have failed for {} s (task.timeout.ms): {}",
        std::chrono::duration_cast<std::chrono::seconds>(now - *failing_since_).count(), message));
  }
  bool replace_producer = error == TxnError::kProducerLost;
  if (!replace_producer) {
    log::warn("{}: transaction failed ({}); aborting and reverting tasks to their last commit",
              client_id_, message);
    std::string abort_message;
    TxnError r = producer_->abort_transaction(&abort_message);
    if (r == TxnError::kFenced) {
      rejoin_after_fence(abort_message, revoking);
      return;
    }
    if (r != TxnError::kNone) {
      // The abort failed too: the transaction's fate is the broker's now.
      log::warn("{}: abort failed ({})", client_id_, abort_message);
      replace_producer = true;
    }
  }
  if (replace_producer) {
    // A new producer with the same transactional.id: its init aborts whatever
    // the old one left open, or waits for a commit in flight to complete. The
    // tasks then resume from what the broker has committed, whichever it was.
    log::warn("{}: transaction failed ({}); replacing the producer and reverting tasks to what "
              "the broker has committed",
              client_id_, message);
    producer_.reset();
    Status s = create_producer();
    if (!s) throw std::runtime_error(s.message());
  }
  // Shutting down: nothing to revive for. The tasks close without their
  // failed transaction; the next owner resumes from the last commit.
  if (revoking || shutdown_.load()) {
    close_tasks(false);
  } else {
    revive_tasks();
  }
}

void StreamThread::revive_tasks() {
  // The tasks that processed since the last commit. Those still restoring
  // wrote nothing the failed transaction held (restoration writes go straight
  // to their stores, committed slice by slice): they restore on.
  std::set<TaskId> ids;
  kafka::PartitionList parts(rd_kafka_topic_partition_list_new(
      static_cast<int>(partitions_.size())));
  for (auto& [key, ps] : partitions_) {
    if (ps.restoring) continue;
    ids.insert(TaskId{rt_.topic_subtopology.at(ps.topic), ps.partition});
    rd_kafka_topic_partition_list_add(parts.get(), ps.topic.c_str(), ps.partition);
  }
  for (const TaskId& id : ids) {
    auto it = tasks_.find(id);
    reader_->remove(*it->second);
    it->second->close(false);
    tasks_.erase(it);
  }
  if (ids.empty()) return;
  // What the broker has committed, not what this thread believes: after a
  // failed commit, the transaction may have committed after all.
  std::map<Key, int64_t> positions = committed_positions(parts.get());
  kafka::PartitionList seek(rd_kafka_topic_partition_list_new(parts->cnt));
  for (const auto& [key, offset] : positions) {
    PartitionState& ps = partitions_.at(key);
    ps.buffer.clear();
    ps.next_offset = ps.committed = offset;
    rd_kafka_topic_partition_list_add(seek.get(), key.topic.c_str(), key.partition)->offset = offset;
  }
  // Rewind the consumer; this also drops what it fetched past those positions.
  rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_.get(), seek.get(), 30000);
  if (error) {
    std::string m = std::string("cannot rewind the consumer: ") + rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    throw std::runtime_error(m);
  }
  create_tasks(ids, /*after_abort=*/true);
  for (StreamTask* t : restoring_) set_paused(t, true);
  log::info("{}: {} tasks reverted to their last commit ({} restoring)", client_id_, ids.size(),
            restoring_.size());
  if (restoring_.empty()) state_ = State::kRunning;
}

void StreamThread::update_bounded_idle() {
  if (!assigned_once_ || !restoring_.empty()) {
    bounded_idle_ = false;
    return;
  }
  // Whether records are still due: buffered, or not yet read up to the target.
  auto pending = [&] {
    for (const auto& [key, ps] : partitions_) {
      if (!ps.buffer.empty() || ps.next_offset < rt_.bounded->target(ps.topic, ps.partition)) {
        return true;
      }
    }
    return false;
  };
  if (pending()) {
    bounded_idle_ = false;
    // Nothing arrived, yet records are due (e.g. our own repartitioned ones):
    // don't let what we sent linger in the producer while the run waits.
    if (uncommitted_ && last_poll_count_ == 0) producer_->push();
    return;
  }
  if (uncommitted_) {
    commit_all();
    // The commit's flush may have raised targets (our repartitioned records).
    if (pending()) return;
  }
  bounded_idle_ = true;
}

}  // namespace brook
