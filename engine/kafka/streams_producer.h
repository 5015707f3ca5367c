// StreamsProducer: a stream thread's Kafka producer and the RecordCollector of
// all its tasks. Keyed records are partitioned with murmur2 (librdkafka's
// murmur2_random partitioner), as Java clients and Kafka Streams do, so
// repartitioned keys land where a co-partitioned topic has them. Tracks the
// offsets written to changelog and repartition topics (for checkpoints and
// bounded runs) and the first send error. All transaction code lives here:
// under exactly_once_v2 the producer is transactional (transactional.id =
// <application.id>-<process id>-<thread>), a transaction begins with the first
// send after a commit, and commit_transaction() sends the consumed offsets with
// the group metadata and commits. One per stream thread; not thread-safe,
// except that delivery reports are handled on librdkafka's background thread
// (as the Java producer runs send callbacks on its I/O thread), so that the
// stream thread spends no time on them; what they record is guarded by mu_.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/metrics.h"
#include "engine/kafka/kafka_client.h"
#include "engine/kafka/topic_names.h"
#include "engine/runtime/bounded_progress.h"
#include "engine/runtime/record_collector.h"

namespace brook {

// A topic a stream thread writes, and what it is for.
struct OutputTopic {
  std::string name;
  TopicRole role = TopicRole::kUser;
};

class StreamsProducer final : public RecordCollector {
 public:
  // What a failed transactional call means for the caller.
  enum class TxnError {
    kNone,
    kAbortable,     // abort, revert the tasks to their last commit, go on
    kFenced,        // another producer took the transactional.id: this one is dead
    kProducerLost,  // this producer cannot go on (its epoch was bumped, its state is
                    // fatal, or the outcome of its transaction is unknown): replace
                    // it, revert the tasks to what the broker has committed
    kFatal,         // the instance cannot go on (the broker refuses us for good)
  };

  // `progress` may be null (unbounded run). A non-empty `transactional_id` makes
  // the producer transactional (and calls init_transactions, which also aborts
  // whatever a previous incarnation left open).
  static Status create(const StreamsConfig& config, const std::string& client_id,
                       const std::string& transactional_id, BoundedProgress* progress,
                       Metrics& metrics, std::unique_ptr<StreamsProducer>* out);
  ~StreamsProducer() override;

  // Looks up the topics this producer will write, so that their metadata is
  // known before the first send (a first send to a topic otherwise waits for
  // it — for sinks and changelogs that is the first commit), and learns which
  // are changelog and repartition topics (whose written offsets it tracks). A
  // topic not named here (a dead-letter topic) is a user topic.
  void prepare(const std::vector<OutputTopic>& topics);
  void send(const OutgoingRecord& record, int32_t partition) override;
  // Passes on what delivery reports told since the last call (bounded runs).
  void poll() { publish_progress(); }
  // Sends what is queued now instead of after linger.ms (waits at most 1 ms).
  void push() {
    rd_kafka_flush(rk_.get(), 1);
    publish_progress();
  }
  // Waits until every record sent so far is acknowledged; the first send error
  // since the last flush, if any.
  Status flush(int timeout_ms = 120000);
  // Offset of the last acknowledged record this producer wrote to the partition,
  // or -1.
  int64_t last_offset(const std::string& topic, int32_t partition) const;
  int64_t changelog_end(const TopicPartition& changelog) const override {
    int64_t last = last_offset(changelog.topic, changelog.partition);
    return last >= 0 ? last + 1 : -1;
  }
  rd_kafka_t* handle() { return rk_.get(); }

  bool transactional() const { return transactional_; }
  bool in_transaction() const { return in_txn_; }
  // Sends `offsets` to the transaction for the consumer group of `consumer`
  // and commits it (begins one first if needed). `*message` says what failed.
  TxnError commit_transaction(rd_kafka_t* consumer, const rd_kafka_topic_partition_list_t* offsets,
                              std::string* message);
  // Aborts the open transaction, if any.
  TxnError abort_transaction(std::string* message);

 private:
  struct TopicState {
    std::string name;
    rd_kafka_topic_t* rkt = nullptr;
    bool track = false;  // changelog or repartition: remember offsets
    bool repartition = false;
    std::vector<int64_t> last_offsets;  // by partition (mu_)
    std::vector<int64_t> published;     // repartition: last_offsets told to progress_
    bool unpublished = false;           // (mu_)
  };

  StreamsProducer(std::string client_id, BoundedProgress* progress, Metrics& metrics)
      : client_id_(std::move(client_id)), progress_(progress), metrics_(metrics) {}
  TopicState& topic(std::string_view name, TopicRole role = TopicRole::kUser);
  TxnError classify(rd_kafka_error_t* error, const char* what, std::string* message);
  // Begins a transaction; the error, or null once one is open.
  rd_kafka_error_t* begin();
  // librdkafka's background thread: a batch of delivery reports.
  static void on_event(rd_kafka_t* rk, rd_kafka_event_t* event, void* opaque);
  // Keeps the first error (mu_ held).
  void note_error(std::string message);
  // Bounded runs: raises progress_'s targets to what reached our repartition
  // topics (once per poll, not per delivered record).
  void publish_progress();

  kafka::Handle rk_;
  std::string client_id_;
  BoundedProgress* progress_;
  Metrics& metrics_;
  std::map<std::string, std::unique_ptr<TopicState>, std::less<>> topics_;  // few topics
  TopicState* last_topic_ = nullptr;  // sends come in runs to one topic
  // Guards first_error_ and every TopicState's last_offsets and unpublished,
  // which delivery reports write on the background thread.
  mutable std::mutex mu_;
  std::string first_error_;
  // Exactly-once: what a send refused at once, or a failed begin, means for the
  // open transaction, which must then not commit (mu_).
  TxnError send_error_ = TxnError::kNone;
  bool transactional_ = false;
  bool in_txn_ = false;
};

}  // namespace brook
