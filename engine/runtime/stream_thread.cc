#include "engine/runtime/stream_thread.h"

#include <thread>

#include "engine/common/log.h"
#include "engine/runtime/standby_placement.h"

namespace brook {
namespace {

int64_t wall_clock_ms(std::chrono::steady_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

// "0_1 0_3 1_1", for the log.
std::string task_list(const std::set<TaskId>& ids) {
  std::string out;
  for (const TaskId& id : ids) {
    if (!out.empty()) out += ' ';
    out += id.str();
  }
  return out;
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
  // Leaves the group (if run() did not) while the tasks still exist: the
  // revoke callback may look at them.
  if (consumer_) consumer_->close();
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
      // A member learns of a rebalance at its next heartbeat, and the
      // cooperative protocol takes two rounds to move a task: a third of
      // librdkafka's default keeps a worker's join or leave quick.
      {"heartbeat.interval.ms", "1000"},
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
  // The end of a partition tells its position past what is never delivered
  // (transaction markers and aborted records), and that nothing more is on its
  // way (PartitionGroup, max.task.idle.ms).
  props["enable.partition.eof"] = "true";
  // Static membership: each thread's consumer is a member of its own, as
  // Kafka Streams names them (<group.instance.id>-<thread>). Such a member
  // does not leave the group when it closes: a restart within
  // session.timeout.ms takes its tasks back without a rebalance.
  if (std::string id = cfg.group_instance_id(); !id.empty()) {
    props["group.instance.id"] = id + "-" + std::to_string(index_ + 1);
  }
  props["isolation.level"] = kafka::isolation_level(cfg.processing_guarantee());
  // From librdkafka 2.1 on, a partition over those bounds is looked at again
  // after this, instead of up to a second later (before 2.1: FetchWaker).
  if (!FetchWaker::needed()) props["fetch.queue.backoff.ms"] = "10";
  Status s = GroupConsumer::create(props, *this, &consumer_);
  if (!s) return s;
  if (FetchWaker::needed()) fetch_waker_ = std::make_unique<FetchWaker>(consumer_->handle());
  s = create_producer();
  if (!s) return s;
  s = ChangelogReader::create(cfg, client_id_ + "-restore-consumer", *rt_.metrics, &reader_);
  if (!s) return s;
  int64_t cache_bytes = cfg.cache_max_bytes_buffering() / cfg.num_stream_threads();
  cache_ = std::make_unique<state::ThreadCache>(static_cast<size_t>(cache_bytes));
  RecordCollector& collector = *this;
  creator_ = std::make_unique<TaskCreator>(rt_, collector, *cache_);
  tasks_ = std::make_unique<TaskManager>(cfg.max_task_idle_ms(), reader_.get());
  commit_sensor_ = &rt_.metrics->registry.sensor("commit", {{"thread-id", client_id_}});
  return Status::ok();
}

Status StreamThread::start() {
  Status s = consumer_->subscribe({rt_.anchor_topic});
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
    placement_due_.reset();
    close_standbys();
    if (state_.load() != State::kError) {
      state_ = State::kPendingShutdown;
      commit_all(/*enforce_checkpoints=*/true);
      log::info("{}: shutting down; committed, closing {} tasks", client_id_, tasks_->size());
      tasks_->close_all(true);
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (state_.load() == State::kError) tasks_->close_all(false);
  fetch_waker_.reset();  // it asks the consumer, which closes below
  // Leaves the group; the revoke callback finds no tasks left.
  consumer_->close();
  if (producer_) {
    Status s = producer_->flush(30000);
    if (!s && state_.load() != State::kError) log::warn("{}: {}", client_id_, s.message());
  }
  if (state_.load() != State::kError) state_ = State::kDead;
}

void StreamThread::loop_once() {
  bool restoring = tasks_->restoring_count() > 0;
  // One queue operation per batch; rebalance callbacks are served in it too.
  // Block briefly only when idle; a bounded run checks for its end often.
  int timeout = restoring ? 0 : rt_.bounded ? 10 : 50;
  rd_kafka_message_t* batch[1000];
  ssize_t n = consumer_->poll(batch, 1000, timeout);
  if (fetch_waker_) {
    // Working through a backlog (full batches) until the prefetch ran dry:
    // get the fetchers going again now, not in up to a second.
    if (n == 1000) {
      draining_backlog_ = true;
    } else if (draining_backlog_ && consumer_->queued() == 0) {
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
  if (restoring || !standbys_.empty()) {
    // Standbys alone take what has arrived, a little at a time.
    restore_tasks(std::chrono::milliseconds(restoring ? 200 : 20));
    if (state_.load() == State::kError) return;
  } else if (Status s = reader_->tick(); !s) {
    fail(s.message());
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (placement_due_ && now >= *placement_due_) place_standbys();
  int64_t now_ms = wall_clock_ms(now);
  if (tasks_->process(now_ms) && bounded_idle_.load(std::memory_order_relaxed)) {
    bounded_idle_ = false;
  }
  // Multi-input tasks bound what they buffer of each partition.
  consumer_->pause(tasks_->take_throttled());
  consumer_->resume(tasks_->take_unthrottled());
  bool requested = tasks_->punctuate(now_ms);
  producer_->poll();
  if (requested || now - last_commit_ >= commit_interval_) commit_all();
  if (resubscribe_ && !shutdown_.load()) {
    resubscribe_ = false;
    rejoin();
  }
  // A bounded run looks for its end when the input pauses, and every few
  // milliseconds while records stream in (the check walks every partition).
  if (rt_.bounded && (n == 0 || now - last_bounded_check_ >= std::chrono::milliseconds(5))) {
    last_bounded_check_ = now;
    update_bounded_idle();
  }
}

void StreamThread::route(kafka::Message msg) {
  if (msg->err) {
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      tasks_->at_end_of_partition(msg.get());
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
  if (tasks_->route(std::move(msg)) && bounded_idle_.load(std::memory_order_relaxed)) {
    bounded_idle_ = false;
  }
}

void StreamThread::restore_tasks(std::chrono::milliseconds budget) {
  std::vector<StreamTask*> finished;
  Status s = reader_->restore(budget, &finished);
  if (!s) {
    fail(s.message());
    return;
  }
  for (StreamTask* t : finished) {
    consumer_->resume(tasks_->finish_restoring(*t));
    log::info("{}: task {} restored, now processing", client_id_, t->task_id());
  }
  if (tasks_->restoring_count() == 0 && assigned_once_) state_ = State::kRunning;
}

std::vector<TopicPartition> StreamThread::inputs_of(const TaskId& id) const {
  std::vector<TopicPartition> out;
  for (const auto& [topic, s] : rt_.topic_subtopology) {
    if (s == id.subtopology && id.partition < rt_.source_partitions.at(topic)) {
      out.push_back({topic, id.partition});
    }
  }
  return out;
}

std::set<TaskId> StreamThread::tasks_of(const std::vector<TopicPartition>& anchors) const {
  std::set<TaskId> ids;
  for (const TopicPartition& tp : anchors) {
    if (tp.topic != rt_.anchor_topic) continue;
    for (size_t s = 0; s < rt_.subtopology_tasks.size(); ++s) {
      if (tp.partition < rt_.subtopology_tasks[s]) {
        ids.insert(TaskId{static_cast<int>(s), tp.partition});
      }
    }
  }
  return ids;
}

void StreamThread::on_assigned(const std::vector<TopicPartition>& added) {
  rt_.metrics->rebalance_total.fetch_add(1);
  if (shutdown_.load() || state_.load() == State::kError) {
    // Stopping (another thread of the instance leaving may hand this one its
    // partitions while it closes): take nothing; the close revokes them and
    // the group gives them to a member that stays.
    Status s = consumer_->assign({});
    if (!s) throw std::runtime_error(s.message());
    return;
  }
  std::set<TaskId> ids = tasks_of(added);
  std::vector<TopicPartition> inputs;
  for (const TaskId& id : ids) {
    for (TopicPartition& tp : inputs_of(id)) inputs.push_back(std::move(tp));
  }
  TopicPartitionOffsets positions, times;
  if (!ids.empty()) {
    state_ = State::kPartitionsAssigned;
    // A task kept here as a standby opens its stores from the standby's state.
    close_standbys(ids);
    positions = committed_positions(inputs, &times);
    if (log::enabled(log::Level::kDebug)) {
      std::string where;
      for (const auto& [tp, offset] : positions) where += fmt::format(" {}@{}", tp.str(), offset);
      log::debug("{}: assigned at{}", client_id_, where);
    }
    create_tasks(ids, positions, times, /*after_abort=*/false);
  }
  // Fetching starts once the tasks exist (as Kafka Streams, which keeps a task's
  // input paused until it runs), at the positions looked up above: the
  // consumer need not ask again. Partitions of tasks still restoring stay
  // paused. Called with nothing too: the group's protocol expects the call.
  Status s = consumer_->assign(positions);
  if (!s) throw std::runtime_error(s.message());
  for (const TaskId& id : ids) assigned_[id] = inputs_of(id);
  for (StreamTask* t : tasks_->restoring()) consumer_->pause(tasks_->inputs_of(t->id()));
  std::vector<TopicPartition> reading = assigned_partitions();
  if (fetch_waker_) fetch_waker_->set_partitions(reading);
  assigned_once_ = true;
  bounded_idle_ = false;
  // Where the standbys go depends on who owns what now.
  if (rt_.config.num_standby_replicas() > 0) placement_due_ = std::chrono::steady_clock::now();
  std::set<TaskId> all;
  tasks_->for_each_task([&](const StreamTask& t) { all.insert(t.id()); });
  log::info("{}: assigned {} partitions, {} tasks ({} kept, {} new, {} restoring): [{}]",
            client_id_, reading.size(), all.size(), all.size() - ids.size(), ids.size(),
            tasks_->restoring_count(), task_list(all));
  if (tasks_->restoring_count() == 0) state_ = State::kRunning;
}

TopicPartitionOffsets StreamThread::committed_positions(
    const std::vector<TopicPartition>& partitions, TopicPartitionOffsets* times) {
  TopicPartitionOffsets positions;
  Status s = consumer_->committed_positions(partitions, task_timeout_, &positions, times);
  if (!s) throw std::runtime_error(s.message());
  return positions;
}

void StreamThread::create_tasks(const std::set<TaskId>& ids, const TopicPartitionOffsets& positions,
                                const TopicPartitionOffsets& times, bool after_abort) {
  for (auto& task : creator_->create(ids)) {
    bool needs_restore = false;
    Status s = reader_->add(*task, after_abort && rt_.embedded_kafka, &needs_restore);
    if (!s) throw std::runtime_error("task " + task->id().str() + ": " + s.message());
    TopicPartitionOffsets inputs;
    for (const TopicPartition& tp : inputs_of(task->id())) {
      auto p = positions.find(tp);
      if (p != positions.end()) inputs[tp] = p->second;
    }
    tasks_->add(std::move(task), inputs, times, needs_restore);
  }
}

std::vector<TopicPartition> StreamThread::release(const std::set<TaskId>& ids) {
  std::vector<TopicPartition> out;
  for (const TaskId& id : ids) {
    auto it = assigned_.find(id);
    if (it == assigned_.end()) continue;
    out.insert(out.end(), it->second.begin(), it->second.end());
    assigned_.erase(it);
  }
  if (fetch_waker_) fetch_waker_->set_partitions(assigned_partitions());
  return out;
}

std::vector<TopicPartition> StreamThread::assigned_partitions() const {
  std::vector<TopicPartition> out;
  for (const auto& [id, tps] : assigned_) out.insert(out.end(), tps.begin(), tps.end());
  return out;
}

std::vector<TopicPartition> StreamThread::on_revoked(const std::vector<TopicPartition>& revoked) {
  std::set<TaskId> ids = tasks_of(revoked);
  if (rt_.config.num_standby_replicas() > 0) placement_due_ = std::chrono::steady_clock::now();
  if (ids.empty()) return {};
  // (At shutdown the consumer's close revokes what the closed tasks read.)
  if (!tasks_->empty()) {
    log::info("{}: partitions revoked: handing over {} tasks [{}]; committing", client_id_,
              ids.size(), task_list(ids));
  }
  // Commit (under exactly-once: the transaction, which holds every task's
  // output) before letting go: a transaction is never left open across a
  // rebalance. The revoked tasks then close clean (their checkpoints written:
  // should one come back, it replays only its changelog's tail); the others
  // run on. After a failed commit the tasks were reverted, or closed.
  in_rebalance_ = true;
  commit_all(/*enforce_checkpoints=*/true);
  in_rebalance_ = false;
  tasks_->close_tasks(ids, /*clean=*/true);
  return release(ids);
}

std::vector<TopicPartition> StreamThread::on_lost(const std::vector<TopicPartition>& lost) {
  std::set<TaskId> ids = tasks_of(lost);
  if (rt_.config.num_standby_replicas() > 0) placement_due_ = std::chrono::steady_clock::now();
  if (ids.empty()) return {};
  // Another member may own these partitions already (our session expired):
  // committing their offsets, or a transaction holding their outputs, could
  // only conflict with what it does. Close them dirty, as Kafka Streams does;
  // what they processed since the last commit is processed again there.
  log::warn(
      "{}: partitions lost (the group moved on without this member); closing {} tasks "
      "without committing",
      client_id_, ids.size());
  state_ = State::kPartitionsAssigned;
  if (producer_->in_transaction()) {
    std::string message;
    StreamsProducer::TxnError r = producer_->abort_transaction(&message);
    if (r == StreamsProducer::TxnError::kFatal) throw std::runtime_error(message);
    if (r != StreamsProducer::TxnError::kNone) {
      in_rebalance_ = true;
      rejoin_after_fence(message);
      in_rebalance_ = false;
      return release(ids);
    }
  }
  tasks_->close_tasks(ids, /*clean=*/false);
  // Tasks that are not lost (none, with librdkafka's cooperative protocol:
  // it loses the whole assignment) had their transaction aborted with it.
  if (!tasks_->empty()) revive_tasks();
  return release(ids);
}

void StreamThread::place_standbys() {
  auto now = std::chrono::steady_clock::now();
  std::vector<GroupMemberInfo> members;
  bool stable = false;
  Status s = consumer_->describe_group(std::chrono::milliseconds(5000), &members, &stable);
  if (!s) {
    log::warn("{}: cannot place standbys yet: {}", client_id_, s.message());
    placement_due_ = now + std::chrono::seconds(1);
    return;
  }
  if (!stable) {  // a rebalance under way: its assignment calls for another look
    placement_due_ = now + std::chrono::milliseconds(500);
    return;
  }
  placement_due_.reset();
  std::vector<int> stateful_tasks;
  for (size_t st = 0; st < rt_.subtopologies.size(); ++st) {
    stateful_tasks.push_back(rt_.subtopologies[st].stores.empty() ? 0 : rt_.subtopology_tasks[st]);
  }
  std::set<TaskId> wanted =
      standby_tasks(members, consumer_->member_id(), rt_.config.num_standby_replicas(),
                    rt_.anchor_topic, stateful_tasks);
  for (auto it = standbys_.begin(); it != standbys_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    close_standby(*it->second);
    it = standbys_.erase(it);
  }
  std::set<TaskId> fresh;
  for (const TaskId& id : wanted) {
    if (!standbys_.count(id)) fresh.insert(id);
  }
  // A standby that cannot open (its directory still locked, its changelog
  // not answering) is tried again later; the active tasks go on meanwhile.
  try {
    for (auto& task : creator_->create(fresh)) {
      s = reader_->add_standby(*task);
      if (!s) throw std::runtime_error("task " + task->id().str() + ": " + s.message());
      standbys_[task->id()] = std::move(task);
    }
  } catch (const std::exception& e) {
    log::warn("{}: standby tasks not opened, trying again in 5 s: {}", client_id_, e.what());
    placement_due_ = now + std::chrono::seconds(5);
  }
  std::set<TaskId> kept;
  for (const auto& [id, task] : standbys_) kept.insert(id);
  log::info("{}: {} standby tasks [{}]", client_id_, standbys_.size(), task_list(kept));
}

void StreamThread::close_standby(StreamTask& task) {
  reader_->remove(task);
  task.commit_standby(/*enforce_checkpoint=*/true);
  task.close(/*clean=*/false);  // never processed: nothing to flush
}

void StreamThread::close_standbys(const std::set<TaskId>& ids) {
  size_t closed = 0;
  for (auto it = standbys_.begin(); it != standbys_.end();) {
    if (!ids.empty() && !ids.count(it->first)) {
      ++it;
      continue;
    }
    close_standby(*it->second);
    it = standbys_.erase(it);
    ++closed;
  }
  if (closed > 0) log::info("{}: closed {} standby tasks", client_id_, closed);
}

void StreamThread::update_bounded_idle() {
  if (!assigned_once_ || tasks_->restoring_count() > 0) {
    bounded_idle_ = false;
    return;
  }
  if (tasks_->pending(*rt_.bounded)) {
    bounded_idle_ = false;
    // Nothing arrived, yet records are due (e.g. our own repartitioned ones):
    // don't let what we sent linger in the producer while the run waits.
    if (tasks_->uncommitted() && last_poll_count_ == 0) producer_->push();
    return;
  }
  // Positions past a last transaction marker are committed too: a member that
  // takes these partitions over, or the check of partitions this instance does
  // not own, must find them at their ends.
  if (tasks_->uncommitted() || tasks_->positions_ahead()) {
    commit_all();
    // The commit's flush may have raised targets (our repartitioned records).
    if (tasks_->pending(*rt_.bounded)) return;
  }
  rt_.bounded->set_owned(this, tasks_->inputs());
  bounded_idle_ = true;
}

}  // namespace brook
