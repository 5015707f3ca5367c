#include "brook/testing/topology_test_driver.h"

#include "engine/kafka/topic_names.h"
#include "engine/runtime/global_stream_thread.h"
#include "engine/runtime/record_collector.h"
#include "engine/runtime/stream_task.h"
#include "engine/runtime/task_manager.h"
#include "state/in_memory_store.h"

namespace brook {

class TopologyTestDriver::Impl final : public RecordCollector, private TaskManager::Committer {
 public:
  Impl(const Topology& topology, StreamsConfig config, int partitions)
      : topology_(topology), config_(std::move(config)), partitions_(partitions) {
    if (!config_.contains("application.id")) config_.set("application.id", "test-driver");
    app_ = config_.application_id();
    options_.application_id = app_;
    options_.in_memory_stores = true;
    options_.wall_clock_timestamps = config_.wall_clock_timestamps();
    options_.fail_on_deserialization_error = config_.fail_on_deserialization_error();
    options_.dead_letter_topic = config_.dead_letter_topic();
    // Global tables: in memory, written as their topics are piped.
    for (const auto& g : topology_.global_stores()) {
      global_stores_[g.name] = std::make_unique<state::InMemoryStore>(g.name);
      global_views_[g.name] = global_stores_[g.name].get();
      global_topics_[g.topic] = &g;
    }
    options_.global_stores = &global_views_;
    commit_every_record_ = !config_.contains("commit.interval.ms");
    metrics_.recording_level = config_.metrics_recording_level();
    cache_ = std::make_unique<state::ThreadCache>(
        static_cast<size_t>(config_.cache_max_bytes_buffering()));
    subtopologies_ = topology_.subtopologies();
    for (const auto& st : subtopologies_) {
      for (const auto& t : st.source_topics) topic_subtopology_[t] = st.id;
      for (const auto& t : st.internal_source_topics)
        topic_subtopology_[internal_topic(app_, t)] = st.id;
      for (int p = 0; p < partitions_; ++p) {
        auto task =
            std::make_unique<StreamTask>(TaskId{st.id, p}, topology_, subtopologies_[st.id],
                                         options_, *this, nullptr, nullptr, *cache_, metrics_);
        task->initialize();
        task->on_wall_clock(wall_clock_ms_);  // as a stream thread's first loop does
        TopicPartitionOffsets inputs;
        for (const auto& t : st.source_topics) inputs[{t, p}] = 0;
        for (const auto& t : st.internal_source_topics) inputs[{internal_topic(app_, t), p}] = 0;
        tasks_.add(std::move(task), inputs, {}, /*restoring=*/false);
      }
    }
  }

  ~Impl() override { tasks_.close_all(true); }

  // Nothing is acknowledged: the stores are in memory and keep no offsets.
  int64_t changelog_end(const TopicPartition&) const override { return -1; }

  void send(const OutgoingRecord& r, int32_t partition) override {
    int32_t p = partition;
    if (p < 0) {
      p = r.key ? partition_for_key(r.key->data(), r.key->size(), partitions_)
                : static_cast<int32_t>(round_robin_++ % partitions_);
    }
    CapturedRecord c;
    if (r.key) c.key = std::string(*r.key);
    if (r.value) c.value = std::string(*r.value);
    c.timestamp = r.timestamp;
    c.partition = p;
    if (r.headers) c.headers = *r.headers;
    std::string topic(r.topic);
    if (topic_subtopology_.count(topic)) {
      pending_.push_back({topic, std::move(c)});  // a repartition topic: process next
    } else {
      outputs_[topic].push_back(std::move(c));
    }
  }

  void pipe(const std::string& topic, std::optional<int32_t> partition,
            std::optional<std::string> key, std::optional<std::string> value, int64_t ts,
            const Headers& headers) {
    CapturedRecord c;
    c.partition = partition ? *partition
                  : key     ? partition_for_key(key->data(), key->size(), partitions_)
                            : static_cast<int32_t>(round_robin_++ % partitions_);
    c.key = std::move(key);
    c.value = std::move(value);
    c.timestamp = ts;
    c.headers = headers;
    if (auto g = global_topics_.find(topic); g != global_topics_.end()) {
      RawRecord raw = to_raw(topic, c);
      if (!apply_global_record(*g->second, *global_stores_.at(g->second->name), raw)) {
        metrics_.deserialization_errors_total.fetch_add(1);
      }
      return;
    }
    if (!topic_subtopology_.count(topic)) {
      throw std::invalid_argument("topic " + topic + " is not a source of the topology");
    }
    deliver(topic, c);
    deliver_pending();
    if (commit_every_record_) commit();
  }

  // Processes what was written to repartition topics (and what that wrote).
  void deliver_pending() {
    while (!pending_.empty()) {
      auto [t, rec] = std::move(pending_.front());
      pending_.pop_front();
      deliver(t, rec);
    }
  }

  // The record as a task (or a global store) takes it; borrows `c`.
  static RawRecord to_raw(const std::string& topic, const CapturedRecord& c) {
    RawRecord raw;
    raw.topic = topic;
    raw.partition = c.partition;
    raw.timestamp = c.timestamp;
    if (c.key) {
      raw.key = c.key->data();
      raw.key_size = c.key->size();
    }
    if (c.value) {
      raw.value = c.value->data();
      raw.value_size = c.value->size();
    }
    raw.headers = c.headers.empty() ? nullptr : &c.headers;
    return raw;
  }

  void deliver(const std::string& topic, const CapturedRecord& c) {
    StreamTask& task = *tasks_.find(TaskId{topic_subtopology_.at(topic), c.partition});
    RawRecord raw = to_raw(topic, c);
    raw.offset = offsets_[{topic, c.partition}]++;
    task.process(raw);
  }

  // The stream thread's commit order (TaskManager::commit). A flush may write
  // to repartition topics: the commit processes those, and commits again what
  // processing them cached, until a flush writes nothing more.
  void commit() {
    do {
      delivered_ = false;
      tasks_.commit(*this, /*enforce_checkpoints=*/false);
    } while (delivered_);
    metrics_.commit_total.fetch_add(1);
  }

  // TaskManager::Committer: what was sent is captured already; records sent
  // to repartition topics are processed now, as their next task would.
  Result commit_inputs(const TopicPartitionOffsets&, const TopicPartitionOffsets&) override {
    delivered_ = !pending_.empty();
    deliver_pending();
    return Result::kCommitted;
  }
  bool transactional() const override { return false; }
  bool in_transaction() const override { return false; }

  const Topology& topology_;
  std::map<std::string, std::unique_ptr<state::KeyValueBytesStore>> global_stores_;
  std::map<std::string, state::KeyValueBytesStore*> global_views_;
  std::map<std::string, const Topology::GlobalStoreDef*> global_topics_;
  StreamsConfig config_;
  int partitions_;
  std::string app_;
  TaskOptions options_;
  std::unique_ptr<state::ThreadCache> cache_;
  std::vector<Topology::Subtopology> subtopologies_;
  std::map<std::string, int> topic_subtopology_;
  TaskManager tasks_{PartitionGroup::kNeverWait, nullptr};
  bool delivered_ = false;  // the last commit processed repartitioned records
  std::map<std::string, std::deque<CapturedRecord>> outputs_;
  std::deque<std::pair<std::string, CapturedRecord>> pending_;
  TopicPartitionOffsets offsets_;
  uint64_t round_robin_ = 0;
  Metrics metrics_;
  int64_t wall_clock_ms_ = 0;
  int64_t last_commit_ms_ = 0;
  // Unless commit.interval.ms is given, every input record is committed.
  bool commit_every_record_ = true;
};

TopologyTestDriver::TopologyTestDriver(const Topology& topology, StreamsConfig config,
                                       int partitions)
    : impl_(std::make_unique<Impl>(topology, std::move(config), partitions)) {}

TopologyTestDriver::~TopologyTestDriver() = default;

void TopologyTestDriver::pipe_raw(const std::string& topic, std::optional<int32_t> partition,
                                  std::optional<std::string> key, std::optional<std::string> value,
                                  int64_t timestamp, const Headers& headers) {
  impl_->pipe(topic, partition, std::move(key), std::move(value), timestamp, headers);
}

std::deque<CapturedRecord>& TopologyTestDriver::captured(const std::string& topic) {
  return impl_->outputs_[topic];
}

std::optional<std::string> TopologyTestDriver::raw_store_get(const std::string& store,
                                                             const std::string& key) {
  std::optional<std::string> found;
  impl_->tasks_.for_each_task([&](StreamTask& t) {
    const auto& st = impl_->subtopologies_[t.id().subtopology];
    if (found || std::find(st.stores.begin(), st.stores.end(), store) == st.stores.end()) return;
    std::string v;
    if (t.store(store).get(key, &v)) found = std::move(v);
  });
  return found;
}

std::vector<std::pair<std::string, std::string>> TopologyTestDriver::raw_store_all(
    const std::string& store) {
  std::vector<std::pair<std::string, std::string>> out;
  impl_->tasks_.for_each_task([&](StreamTask& t) {
    const auto& st = impl_->subtopologies_[t.id().subtopology];
    if (std::find(st.stores.begin(), st.stores.end(), store) == st.stores.end()) return;
    t.store(store).for_each([&](std::string_view k, std::string_view v) {
      out.emplace_back(std::string(k), std::string(v));
      return true;
    });
  });
  return out;
}

void TopologyTestDriver::advance_wall_clock_time(std::chrono::milliseconds by) {
  impl_->wall_clock_ms_ += by.count();
  impl_->tasks_.punctuate(impl_->wall_clock_ms_);
  impl_->deliver_pending();
  if (impl_->wall_clock_ms_ - impl_->last_commit_ms_ >= impl_->config_.commit_interval_ms()) {
    impl_->last_commit_ms_ = impl_->wall_clock_ms_;
    impl_->commit();
  }
}

const Metrics& TopologyTestDriver::metrics() const { return impl_->metrics_; }
int TopologyTestDriver::partitions() const { return impl_->partitions_; }
int64_t TopologyTestDriver::wall_clock_ms() const { return impl_->wall_clock_ms_; }

}  // namespace brook
