#include "engine/runtime/stream_task.h"

#include <algorithm>

#include "engine/kafka/topic_names.h"

namespace brook {

StreamTask::StreamTask(TaskId id, const Topology& topology,
                       const Topology::Subtopology& subtopology, const TaskOptions& options,
                       RecordCollector& collector, std::unique_ptr<state::TaskDirectory> directory,
                       const state::RocksDbResources* rocksdb, state::ThreadCache& cache,
                       Metrics& metrics)
    : id_(id),
      id_str_(id.str()),
      topology_(topology),
      subtopology_(subtopology),
      options_(options),
      collector_(collector),
      metrics_(metrics),
      state_(id, topology, subtopology.stores, options_, std::move(directory), rocksdb, cache,
             record_time_, metrics) {
  if (metrics.recording_level == RecordingLevel::kDebug) {
    process_sensor_ = &metrics.registry.sensor("process", {{"task-id", id_str_}});
  }
}

StreamTask::~StreamTask() {
  if (!closed_) close(false);
}

void StreamTask::initialize() {
  state_.initialize(collector_);

  std::map<std::string, NodeBase*> by_name;
  for (const Topology::NodeDef* def : subtopology_.nodes) {
    nodes_.push_back(def->create());
    if (def->send_old_values) nodes_.back()->enable_sending_old_values();
    by_name[def->name] = nodes_.back().get();
    if (def->kind == Topology::NodeKind::kSource) {
      auto* source = dynamic_cast<SourceNodeBase*>(nodes_.back().get());
      for (const std::string& t : def->topics) {
        sources_[resolve_topic(t, def->internal_topics)] = source;
      }
    }
  }
  for (const Topology::NodeDef* def : subtopology_.nodes) {
    for (const std::string& child : def->successors) {
      def->connect(*by_name.at(def->name), *by_name.at(child));
    }
  }
  for (auto& node : nodes_) node->init(*this);
}

SourceNodeBase* StreamTask::source(std::string_view topic) const {
  auto it = sources_.find(topic);
  if (it == sources_.end()) {
    throw std::logic_error("task " + id_str_ + " has no source for topic " + std::string(topic));
  }
  return it->second;
}

int64_t StreamTask::process(const RawRecord& raw, SourceNodeBase* source) {
  metadata_ = RecordMetadata{raw.topic, raw.partition, raw.offset};
  has_metadata_ = true;
  RawRecord r = raw;
  if (options_.wall_clock_timestamps) {
    r.timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  }
  int64_t ts;
  if (process_sensor_) {
    auto start = std::chrono::steady_clock::now();
    ts = source->process_raw(r);
    process_sensor_->record_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
  } else {
    ts = source->process_raw(r);
  }
  has_metadata_ = false;
  metrics_.process_total.fetch_add(1, std::memory_order_relaxed);
  if (!punctuations_.empty() && stream_time_ >= 0) punctuate(true, stream_time_);
  return ts;
}

std::shared_ptr<bool> StreamTask::schedule(int64_t interval_ms, bool stream_time,
                                           std::function<void(int64_t)> fn) {
  if (interval_ms < 1) throw std::invalid_argument("a punctuation's interval must be positive");
  auto cancelled = std::make_shared<bool>(false);
  // Stream time: aligned to 0, due at the first record; wall-clock time:
  // due one interval after the next tick (as Kafka Streams).
  punctuations_.push_back(
      Punctuation{interval_ms, stream_time, stream_time ? 0 : -1, std::move(fn), cancelled});
  return cancelled;
}

void StreamTask::punctuate(bool stream_time, int64_t now) {
  for (size_t i = 0; i < punctuations_.size(); ++i) {
    Punctuation& p = punctuations_[i];
    if (p.stream_time != stream_time || *p.cancelled) continue;
    if (p.next < 0) p.next = now + p.interval;  // a wall-clock one starts now
    if (now < p.next) continue;
    // The next one after `now`, skipping those missed (a gap in the data, a
    // stall).
    int64_t missed = (now - p.next) / p.interval;
    p.next += (missed + 1) * p.interval;
    auto fn = p.fn;  // the punctuator may schedule more (punctuations_ may grow)
    record_time_.timestamp = now;
    fn(now);
  }
  punctuations_.erase(std::remove_if(punctuations_.begin(), punctuations_.end(),
                                     [](const Punctuation& p) { return *p.cancelled; }),
                      punctuations_.end());
}

int64_t StreamTask::timestamp_of(const RawRecord& raw, SourceNodeBase* source) {
  if (options_.wall_clock_timestamps) return raw.timestamp;
  return source->timestamp_of(raw);
}

std::string StreamTask::resolve_topic(const std::string& topic, bool internal) const {
  return brook::resolve_topic(options_.application_id, topic, internal);
}

void StreamTask::send(const OutgoingRecord& record) { collector_.send(record, -1); }

void StreamTask::on_deserialization_error(const RawRecord& raw, std::string_view what) {
  metrics_.deserialization_errors_total.fetch_add(1, std::memory_order_relaxed);
  std::string where = fmt::format("{}-{}@{}", raw.topic, raw.partition, raw.offset);
  if (options_.fail_on_deserialization_error) {
    throw TaskFatalError(
        fmt::format("task {}: cannot deserialize the {} of record {} "
                    "(default.deserialization.exception.handler=log_and_fail)",
                    id_str_, what, where));
  }
  if (!options_.dead_letter_topic.empty()) {
    Headers headers = raw.headers ? *raw.headers : Headers{};
    headers.emplace_back("brook.error", std::string("cannot deserialize ") + std::string(what));
    headers.emplace_back("brook.source", where);
    OutgoingRecord r;
    r.topic = options_.dead_letter_topic;
    if (raw.key) r.key = std::string_view(raw.key, raw.key_size);
    if (raw.value) r.value = std::string_view(raw.value, raw.value_size);
    r.timestamp = raw.timestamp;
    r.headers = &headers;
    collector_.send(r, -1);
  }
  uint64_t suppressed = 0;
  if (error_log_.allow(&suppressed)) {
    log::warn(
        "task {}: skipping record {}: cannot deserialize its {}{}{}", id_str_, where, what,
        options_.dead_letter_topic.empty() ? "" : ", sent to " + options_.dead_letter_topic,
        suppressed ? fmt::format(" ({} more skipped since the last message)", suppressed) : "");
  }
}

void StreamTask::on_dropped_record(std::string_view node, std::string_view reason) {
  metrics_.dropped_records_total.fetch_add(1, std::memory_order_relaxed);
  uint64_t suppressed = 0;
  if (error_log_.allow(&suppressed)) {
    log::warn("task {}: node {} dropped a record: {}", id_str_, node, reason);
  }
}

void StreamTask::flush() {
  state_.flush();
  // After the stores: what a cache flush forwards may reach a node that holds
  // records back (a combiner, which only sends).
  for (auto& node : nodes_) node->flush();
}

void StreamTask::on_wall_clock(int64_t now_ms) {
  for (auto& node : nodes_) node->on_wall_clock(now_ms);
  if (!punctuations_.empty()) punctuate(false, now_ms);
}

void StreamTask::post_commit(bool enforce_checkpoints, bool transactional) {
  for (const Changelog& c : state_.changelogs()) {
    TopicPartition tp{c.topic, c.partition};
    int64_t end = collector_.changelog_end(tp);
    if (end >= 0) state_.advance_changelog_offset(tp, end);
  }
  if (transactional) {
    state_.commit_stores();
  } else {
    state_.write_checkpoint(enforce_checkpoints);
  }
}

void StreamTask::close(bool clean) {
  if (closed_) return;
  closed_ = true;
  if (clean) flush();
  for (auto& node : nodes_) node->close();
  state_.close(clean);
  nodes_.clear();
  // The task's and its stores' sensors go with it.
  metrics_.registry.remove({{"task-id", id_str_}});
}

}  // namespace brook
