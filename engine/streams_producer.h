// StreamsProducer: a stream thread's Kafka producer and the RecordCollector of
// all its tasks. Keyed records are partitioned with murmur2 (librdkafka's
// murmur2_random partitioner), as Java clients and Kafka Streams do, so
// repartitioned keys land where a co-partitioned topic has them. Tracks the
// offsets written to changelog and repartition topics (for checkpoints and
// bounded runs) and the first send error. All transaction code will live here.
// One per stream thread; not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/metrics.h"
#include "engine/bounded_progress.h"
#include "engine/kafka_client.h"
#include "engine/record_collector.h"

namespace brook {

class StreamsProducer final : public RecordCollector {
 public:
  // `progress` may be null (unbounded run).
  static Status create(const StreamsConfig& config, const std::string& client_id,
                       BoundedProgress* progress, Metrics& metrics,
                       std::unique_ptr<StreamsProducer>* out);
  ~StreamsProducer() override;

  void send(const OutgoingRecord& record, int32_t partition) override;
  // Serves delivery reports.
  void poll() { rd_kafka_poll(rk_.get(), 0); }
  // Waits until every record sent so far is acknowledged; the first send error
  // since the last flush, if any.
  Status flush(int timeout_ms = 120000);
  // Offset of the last acknowledged record this producer wrote to the partition,
  // or -1.
  int64_t last_offset(const std::string& topic, int32_t partition) const;
  rd_kafka_t* handle() { return rk_.get(); }

 private:
  struct TopicState {
    StreamsProducer* owner = nullptr;
    std::string name;
    rd_kafka_topic_t* rkt = nullptr;
    bool track = false;      // changelog or repartition: remember offsets
    bool repartition = false;
    std::vector<int64_t> last_offsets;  // by partition
  };

  StreamsProducer(kafka::Handle rk, std::string app_prefix, BoundedProgress* progress,
                  Metrics& metrics)
      : rk_(std::move(rk)), app_prefix_(std::move(app_prefix)), progress_(progress),
        metrics_(metrics) {}
  TopicState& topic(std::string_view name);
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);

  kafka::Handle rk_;
  std::string app_prefix_;  // "<application.id>-"
  BoundedProgress* progress_;
  Metrics& metrics_;
  std::map<std::string, std::unique_ptr<TopicState>, std::less<>> topics_;  // few topics
  std::string first_error_;
};

}  // namespace brook
