#include "brook/kafka_streams.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include <rocksdb/cache.h>

#include "brook/metrics.h"
#include "engine/common/log.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"
#include "engine/runtime/global_stream_thread.h"
#include "engine/runtime/runtime_context.h"
#include "engine/runtime/stream_thread.h"

namespace brook {
namespace {

std::atomic<bool> g_signal{false};
void on_signal(int) { g_signal.store(true); }

std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}

}  // namespace

class KafkaStreams::Impl {
 public:
  Impl(Topology t, StreamsConfig c) : topology(std::move(t)) { rt.config = std::move(c); }

  Topology topology;
  RuntimeContext rt;
  int process_lock_fd = -1;  // flock on <state.dir>/<application.id>/brook-process.id
  Metrics metrics;
  std::unique_ptr<BoundedProgress> bounded;
  // A bounded run's reader of the group's committed offsets (never joins).
  kafka::Handle group_offsets;
  std::chrono::steady_clock::time_point next_group_check;
  bool told_waiting = false;
  std::unique_ptr<state::RocksDbResources> rocksdb;
  std::vector<std::unique_ptr<StreamThread>> threads;
  std::unique_ptr<GlobalStreamThread> global;  // when the topology has global stores
  std::thread monitor;

  mutable std::mutex mu;
  std::condition_variable cv;
  State state = State::kCreated;
  std::string error;
  StateListener listener;
  bool bounded_done = false;
  std::atomic<bool> stop_monitor{false};

  bool others_done();

  void set_state(State s) {
    StateListener l;
    State old;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (state == s) return;
      // ERROR and NOT_RUNNING are final, except ERROR may follow PENDING_SHUTDOWN.
      if (state == State::kNotRunning || (state == State::kError && s != State::kNotRunning))
        return;
      old = state;
      state = s;
      l = listener;
    }
    log::info("state transition from {} to {}", state_name(old), state_name(s));
    cv.notify_all();
    if (l) l(s, old);
  }

  Status prepare();
  Status load_process_id();
  void watch();
  ~Impl() {
    if (process_lock_fd >= 0) ::close(process_lock_fd);
  }
};

// The process id names this instance's transactional producers, so it must
// survive restarts: it lives in the state directory, which one instance at a
// time may use (the file stays locked while the instance lives).
Status KafkaStreams::Impl::load_process_id() {
  std::error_code ec;
  std::filesystem::create_directories(rt.state_dir, ec);
  if (ec) return Status::error("cannot create state.dir " + rt.state_dir + ": " + ec.message());
  std::string path = rt.state_dir + "/brook-process.id";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::error("state.dir " + rt.state_dir +
                         " is in use by another running instance; give each instance its own "
                         "state.dir");
  }
  char buf[64] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string id(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  if (id.size() != 16) {
    id = random_id();
    std::string line = id + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
      ::close(fd);
      return Status::error("cannot write " + path);
    }
  }
  process_lock_fd = fd;
  rt.process_id = id;
  return Status::ok();
}

Status KafkaStreams::Impl::prepare() {
  Status s = rt.config.validate();
  if (!s) return s;
  if (auto level = rt.config.get("log.level")) log::set_level(log::level_named(*level));
  const std::string app = rt.config.application_id();
  rt.topology = &topology;
  rt.subtopologies = topology.subtopologies();
  if (rt.subtopologies.empty()) return Status::error("the topology has no nodes");
  rt.metrics = &metrics;
  rt.state_dir = rt.config.state_dir() + "/" + app;
  s = load_process_id();
  if (!s) return s;
  rt.task_options.application_id = app;
  rt.task_options.wall_clock_timestamps = rt.config.wall_clock_timestamps();
  rt.task_options.fail_on_deserialization_error = rt.config.fail_on_deserialization_error();
  rt.task_options.dead_letter_topic = rt.config.dead_letter_topic();
  rt.task_options.exactly_once =
      rt.config.processing_guarantee() == ProcessingGuarantee::kExactlyOnceV2;
  if (rt.task_options.exactly_once) {
    for (const Topology::StoreDef& store : topology.stores()) {
      if (store.persistent && !store.logging) {
        return Status::error(
            "store '" + store.name +
            "' is persistent with logging disabled: under exactly_once_v2 a worker killed "
            "between a transaction's commit and its store's would lose that transaction's "
            "writes, with no changelog to restore them from. Enable logging, keep the store in "
            "memory, or use at_least_once");
      }
    }
  }

  // A client for metadata and admin requests (a producer: the embedded Kafka
  // takes topic requests as records on its admin topic).
  std::map<std::string, std::string> props = rt.config.client_properties(false);
  props["client.id"] = app + "-admin";
  kafka::Conf conf;
  s = kafka::make_conf(props, &conf);
  if (!s) return s;
  kafka::Handle admin;
  s = kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &admin);
  if (!s) return s;

  std::vector<std::string> external;
  for (const auto& st : rt.subtopologies) {
    external.insert(external.end(), st.source_topics.begin(), st.source_topics.end());
  }
  std::map<std::string, int> counts;
  s = kafka::partition_counts(admin.get(), external, &counts);
  if (!s)
    return Status::error("cannot reach Kafka at " + rt.config.bootstrap_servers() + ": " +
                         s.message());
  for (const std::string& t : external) {
    if (!counts.count(t)) {
      return Status::error("source topic " + t + " does not exist; create it before starting");
    }
  }
  // Co-partitioned topics (a join's inputs) must have the same partition
  // count; a repartition topic among them takes that count.
  std::map<std::string, int> fixed;
  auto copartition = topology.copartition_groups();
  for (const auto& group : copartition) {
    const Topology::TopicRef* first = nullptr;
    for (const auto& t : group) {
      if (t.internal) continue;
      if (!first) {
        first = &t;
      } else if (counts[t.name] != counts[first->name]) {
        return Status::error("topics " + first->name + " (" + std::to_string(counts[first->name]) +
                             " partitions) and " + t.name + " (" + std::to_string(counts[t.name]) +
                             " partitions) are joined, so they must be co-partitioned: give them "
                             "the same number of partitions");
      }
    }
    if (first) {
      for (const auto& t : group) {
        if (t.internal) fixed[t.name] = counts[first->name];
      }
    }
  }
  // Task count of each sub-topology: the most partitions among its sources; a
  // repartition topic gets the task count of the sub-topology that writes it,
  // unless co-partitioning fixed it.
  std::vector<int> tasks(rt.subtopologies.size(), 0);
  std::map<std::string, int> internal_counts;
  auto size_all = [&] {
    for (size_t round = 0; round <= rt.subtopologies.size(); ++round) {
      for (const auto& st : rt.subtopologies) {
        int n = 0;
        for (const auto& t : st.source_topics) n = std::max(n, counts[t]);
        for (const auto& t : st.internal_source_topics) n = std::max(n, internal_counts[t]);
        tasks[st.id] = n;
        for (const auto& t : st.internal_sink_topics) {
          auto f = fixed.find(t);
          internal_counts[t] = f != fixed.end() ? f->second : std::max(internal_counts[t], n);
        }
      }
    }
  };
  size_all();
  // Groups of repartition topics only: all take the largest of them.
  bool again = false;
  for (const auto& group : copartition) {
    int n = 0;
    bool external = false;
    for (const auto& t : group) {
      if (t.internal) n = std::max(n, internal_counts[t.name]);
      external = external || !t.internal;
    }
    if (external || n == 0) continue;
    for (const auto& t : group) fixed[t.name] = n;
    again = true;
  }
  if (again) size_all();
  std::vector<InternalTopic> internal;
  for (const auto& [t, n] : internal_counts) {
    if (n == 0) return Status::error("cannot size repartition topic " + t);
    // Kept until read, whatever the records' timestamps (as Kafka Streams
    // does): re-keyed records of old input would otherwise fall to the
    // broker's time retention before the next sub-topology reads them.
    internal.push_back(InternalTopic{
        internal_topic(app, t), n, false, {{"retention.ms", "-1"}}, TopicRole::kRepartition});
  }
  for (const auto& st : rt.subtopologies) {
    if (tasks[st.id] == 0)
      return Status::error("sub-topology " + std::to_string(st.id) + " has no sized source");
    for (const std::string& store : st.stores) {
      const Topology::StoreDef* def = topology.find_store(store);
      if (!def->logging) continue;
      std::map<std::string, std::string> configs;
      if (def->type != Topology::StoreType::kKeyValue) {
        // Windows past retention leave the changelog too, a day later than the
        // store (Kafka Streams' windowstore.changelog.additional.retention.ms),
        // counted from when they were written (LogAppendTime), not from their
        // event time: a restore must find windows of old data reprocessed now.
        configs = {{"cleanup.policy", "compact,delete"},
                   {"retention.ms", std::to_string(def->retention_ms + 86400000)},
                   {"message.timestamp.type", "LogAppendTime"}};
      }
      internal.push_back(InternalTopic{changelog_topic(app, store), tasks[st.id], true,
                                       std::move(configs), TopicRole::kChangelog});
    }
  }
  s = is_embedded_kafka(admin.get(), &rt.embedded_kafka);
  if (!s) return s;
  if (rt.embedded_kafka && rt.task_options.exactly_once) {
    log::warn(
        "the embedded Kafka keeps no transactional state (no markers, no offsets sent in a "
        "transaction, no fencing): brook also commits the offsets outside each transaction "
        "there, so runs, rebalances and clean restarts stay exact, but after a crash the "
        "records since the last commit are processed again, as under at_least_once. Use a "
        "real broker for exactly-once across crashes");
  }
  s = ensure_topics(admin.get(), internal, rt.config.replication_factor(), rt.embedded_kafka);
  if (!s) return s;

  rt.subtopology_tasks = tasks;
  int most = 0;
  for (const auto& st : rt.subtopologies) {
    auto add_source = [&](const std::string& topic, int partitions) {
      rt.topic_subtopology[topic] = st.id;
      rt.source_topics.push_back(topic);
      rt.source_partitions[topic] = partitions;
      if (partitions > most) {
        most = partitions;
        rt.anchor_topic = topic;
      }
    };
    for (const auto& t : st.source_topics) add_source(t, counts[t]);
    for (const auto& t : st.internal_source_topics) {
      add_source(internal_topic(app, t), internal_counts[t]);
    }
    for (const auto& t : st.sink_topics) rt.output_topics.push_back({t, TopicRole::kUser});
  }
  for (const InternalTopic& t : internal) rt.output_topics.push_back({t.name, t.role});
  if (rt.config.stop_at_end()) {
    // The end offsets are the logs' ends, asked by a client reading
    // uncommitted records: a last stable offset is held back by any open
    // transaction (a killed worker's, until it is aborted) while committed
    // records pile up behind it.
    std::map<std::string, std::string> lookup_props = rt.config.client_properties(true);
    lookup_props["client.id"] = app + "-end-offsets";
    lookup_props["group.id"] = app + "-end-offsets";  // never joins
    lookup_props["isolation.level"] = "read_uncommitted";
    kafka::Conf lookup_conf;
    kafka::Handle lookup;
    s = kafka::make_conf(lookup_props, &lookup_conf);
    if (s) s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(lookup_conf), &lookup);
    if (!s) return s;
    lookup_props["client.id"] = app + "-bounded-check";
    lookup_props["group.id"] = app;  // reads its committed offsets; never joins
    kafka::Conf group_conf;
    s = kafka::make_conf(lookup_props, &group_conf);
    if (s) s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(group_conf), &group_offsets);
    if (!s) return s;
    bounded = std::make_unique<BoundedProgress>();
    std::map<std::string, int> all;
    s = kafka::partition_counts(admin.get(), rt.source_topics, &all);
    if (!s) return s;
    for (const auto& [topic, n] : all) {
      for (int p = 0; p < n; ++p) {
        int64_t low = 0, high = 0;
        s = kafka::watermarks(lookup.get(), topic, p, &low, &high);
        if (!s) return s;
        bounded->raise_target(topic, p, high);
      }
    }
    rt.bounded = bounded.get();
  }
  rocksdb = std::make_unique<state::RocksDbResources>(
      static_cast<size_t>(rt.config.rocksdb_memory_budget_bytes()),
      [](std::string_view line) { log::warn("rocksdb: {}", line); });
  rt.rocksdb = rocksdb.get();
  metrics.recording_level = rt.config.metrics_recording_level();
  metrics.rocksdb_block_cache_capacity_bytes =
      static_cast<int64_t>(rocksdb->block_cache()->GetCapacity());
  std::error_code ec;
  std::filesystem::create_directories(rt.state_dir, ec);
  if (ec) return Status::error("cannot create state.dir " + rt.state_dir + ": " + ec.message());
  return Status::ok();
}

bool KafkaStreams::Impl::others_done() {
  // Every partition this instance owns is at its target. The others are done
  // when the group has committed them to theirs: another worker of a bounded
  // run finished them, or a member that died still holds them until the group
  // evicts it, and then they come here.
  TopicPartitionOffsets unowned = bounded->unowned_targets();
  if (unowned.empty()) return true;
  auto now = std::chrono::steady_clock::now();
  if (now < next_group_check) return false;
  next_group_check = now + std::chrono::milliseconds(200);
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(unowned.size())));
  for (const auto& [tp, target] : unowned) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
        RD_KAFKA_OFFSET_INVALID;
  }
  if (rd_kafka_committed(group_offsets.get(), list.get(), 2000)) return false;
  std::string short_of;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& p = list->elems[i];
    int64_t target = unowned.at(TopicPartition{p.topic, p.partition});
    if (p.err || p.offset < target) {
      short_of += fmt::format(" {}-{}@{}/{}", p.topic, p.partition, p.offset, target);
    }
  }
  if (short_of.empty()) return true;
  if (!told_waiting) {
    told_waiting = true;
    log::info(
        "bounded run: this instance's partitions are done; waiting for partitions other "
        "members own (committed/target):{}",
        short_of);
  }
  return false;
}

void KafkaStreams::Impl::watch() {
  int idle_rounds = 0;
  uint64_t last_version = 0;
  while (!stop_monitor.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    bool all_running = true;
    for (auto& t : threads) {
      StreamThread::State ts = t->state();
      if (ts == StreamThread::State::kError) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (error.empty()) error = t->error();
        }
        for (auto& other : threads) other->request_shutdown();
        set_state(State::kError);
        return;
      }
      all_running = all_running && ts == StreamThread::State::kRunning;
    }
    if (global && !global->error().empty()) {
      // A global table no longer kept current: stop rather than join stale data.
      {
        std::lock_guard<std::mutex> lock(mu);
        if (error.empty()) error = "global stream thread: " + global->error();
      }
      for (auto& t : threads) t->request_shutdown();
      set_state(State::kError);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      if (state == State::kPendingShutdown || state == State::kNotRunning) return;
    }
    set_state(all_running ? State::kRunning : State::kRebalancing);
    if (bounded) {
      bool idle = all_running;
      for (auto& t : threads) idle = idle && t->bounded_idle();
      uint64_t v = bounded->version();
      idle_rounds = (idle && v == last_version) ? idle_rounds + 1 : 0;
      last_version = v;
      if (idle_rounds >= 2 && others_done()) {  // stable for 10 ms
        std::lock_guard<std::mutex> lock(mu);
        bounded_done = true;
        cv.notify_all();
        return;
      }
    }
  }
}

KafkaStreams::KafkaStreams(Topology topology, StreamsConfig config)
    : impl_(std::make_unique<Impl>(std::move(topology), std::move(config))) {}

KafkaStreams::~KafkaStreams() { close(); }

void KafkaStreams::set_state_listener(StateListener listener) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->listener = std::move(listener);
}

Status KafkaStreams::start() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->state != State::kCreated) return Status::error("start() may be called only once");
  }
  Status s;
  try {
    s = impl_->prepare();
  } catch (const std::exception& e) {
    s = Status::error(e.what());
  }
  if (!s) {
    log::error("cannot start: {}", s.message());
    // ERROR, not CREATED: run_until_signal() and wait_for_state() return at once.
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      impl_->error = s.message();
    }
    impl_->set_state(State::kError);
    return s;
  }
  impl_->set_state(State::kRebalancing);
  if (!impl_->topology.global_stores().empty()) {
    // Global tables are complete before any task processes a record.
    impl_->global = std::make_unique<GlobalStreamThread>(impl_->rt);
    s = impl_->global->start();
    if (!s) {
      log::error("cannot start the global stream thread: {}", s.message());
      {
        std::lock_guard<std::mutex> lock(impl_->mu);
        impl_->error = s.message();
      }
      impl_->global.reset();
      impl_->set_state(State::kError);
      return s;
    }
    impl_->rt.task_options.global_stores = &impl_->global->stores();
  }
  // Every thread's clients first, then every subscription: the consumers then
  // join the group in one rebalance, not one round per thread.
  for (int i = 0; i < impl_->rt.config.num_stream_threads() && s; ++i) {
    impl_->threads.push_back(std::make_unique<StreamThread>(i, impl_->rt));
    s = impl_->threads.back()->init();
  }
  for (size_t i = 0; i < impl_->threads.size() && s; ++i) s = impl_->threads[i]->start();
  if (!s) {
    log::error("cannot start stream thread: {}", s.message());
    close();
    return s;
  }
  impl_->monitor = std::thread([this] { impl_->watch(); });
  return Status::ok();
}

void KafkaStreams::close() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->state == State::kCreated || impl_->state == State::kNotRunning) {
      impl_->state = State::kNotRunning;
      return;
    }
  }
  bool failed = state() == State::kError;
  if (!failed) impl_->set_state(State::kPendingShutdown);
  for (auto& t : impl_->threads) t->request_shutdown();
  for (auto& t : impl_->threads) t->join();
  impl_->stop_monitor = true;
  if (impl_->monitor.joinable()) impl_->monitor.join();
  for (auto& t : impl_->threads) {
    if (t->state() == StreamThread::State::kError) {
      std::lock_guard<std::mutex> lock(impl_->mu);
      if (impl_->error.empty()) impl_->error = t->error();
      failed = true;
    }
  }
  impl_->threads.clear();
  if (impl_->global) {
    impl_->global->shutdown();
    impl_->global.reset();
  }
  // The state directory is free for another instance once this one closed.
  if (impl_->process_lock_fd >= 0) ::close(impl_->process_lock_fd);
  impl_->process_lock_fd = -1;
  if (failed) {
    impl_->set_state(State::kError);
  } else {
    impl_->set_state(State::kNotRunning);
  }
}

void KafkaStreams::install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int KafkaStreams::run_until_signal() {
  install_signal_handlers();
  for (;;) {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait_for(lock, std::chrono::milliseconds(20));
    if (g_signal.load()) {
      lock.unlock();
      log::info("signal received; shutting down");
      break;
    }
    if (impl_->bounded_done) {
      lock.unlock();
      log::info("bounded run complete: every input processed to its end offset");
      break;
    }
    if (impl_->state == State::kError || impl_->state == State::kNotRunning) break;
  }
  // A stop must not hang a container's stop, or the group's next rebalance,
  // for long: past shutdown.timeout.ms the process exits without finishing
  // it. Nothing is lost: what it had not committed, its tasks' next owner
  // processes again (under exactly-once, its open transaction is aborted).
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool closed = false;
  auto timeout = std::chrono::milliseconds(impl_->rt.config.shutdown_timeout_ms());
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(done_mu);
    if (done_cv.wait_for(lock, timeout, [&] { return closed; })) return;
    log::error(
        "shutdown did not finish within shutdown.timeout.ms ({} ms): exiting without it; the "
        "tasks' next owner resumes from their last commit",
        timeout.count());
    std::_Exit(3);
  });
  close();
  {
    std::lock_guard<std::mutex> lock(done_mu);
    closed = true;
  }
  done_cv.notify_all();
  watchdog.join();
  if (state() == State::kError) {
    log::error("stopped with an error: {}", error());
    return 1;
  }
  return 0;
}

bool KafkaStreams::wait_for_state(State s, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->state == s; });
}

KafkaStreams::State KafkaStreams::state() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->state;
}

std::string KafkaStreams::error() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->error;
}

std::map<std::string, int64_t> KafkaStreams::metrics() const {
  return impl_->metrics.snapshot_with_sensors();
}

const Topology& KafkaStreams::topology() const { return impl_->topology; }

const char* KafkaStreams::state_name(State s) {
  switch (s) {
    case State::kCreated:
      return "CREATED";
    case State::kRebalancing:
      return "REBALANCING";
    case State::kRunning:
      return "RUNNING";
    case State::kPendingShutdown:
      return "PENDING_SHUTDOWN";
    case State::kNotRunning:
      return "NOT_RUNNING";
    case State::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace brook
