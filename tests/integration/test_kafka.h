// TestKafka: the Kafka an integration test talks to — a real broker when
// BROOK_TEST_BOOTSTRAP_SERVERS is set, else the local Kafka (EmbeddedKafka)
// started in-process. Topic names get a per-run suffix so runs against a shared
// broker never collide. Helpers read topics back over the wire protocol.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/status.h"
#include "brook/testing/embedded_kafka.h"

namespace brook::testing {

struct ConsumedRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  int32_t partition;
  int64_t offset;
  int64_t timestamp;
  std::vector<std::pair<std::string, std::string>> headers;
};

class KafkaCluster;

class TestKafka {
 public:
  enum class Kind {
    kAny,       // BROOK_TEST_BOOTSTRAP_SERVERS, else the embedded Kafka
    kReal,      // BROOK_TEST_BOOTSTRAP_SERVERS, else a broker started by scripts/kafka.sh
    kEmbedded,  // the embedded Kafka, whatever the environment says
  };
  explicit TestKafka(Kind kind = Kind::kAny);
  // The Kafka at `bootstrap_servers`, whatever the environment says.
  explicit TestKafka(std::string bootstrap_servers);
  ~TestKafka();
  bool is_real_broker() const { return !embedded_; }
  const std::string& bootstrap_servers() const { return bootstrap_; }
  std::string unique(const std::string& name) const { return name + "-" + suffix_; }
  // A bounded run's config (stop.at.end) of `application_id` on this Kafka, with
  // a session timeout short enough for the local Kafka's rebalances.
  StreamsConfig bounded_config(const std::string& application_id,
                               const std::string& state_dir) const;
  Status create_topic(const std::string& name, int partitions,
                      const std::map<std::string, std::string>& configs = {});
  // Every record of every partition, up to the end offsets at the time of the call.
  std::vector<ConsumedRecord> read_all(const std::string& topic, bool read_committed = false);
  // The offset group `group_id` has committed for topic/partition; -1 when none.
  int64_t committed_offset(const std::string& group_id, const std::string& topic,
                           int32_t partition);
  // Produces to an explicit partition (or by key when partition < 0).
  // Fails unless the record was delivered.
  Status produce(const std::string& topic, int32_t partition, const std::optional<std::string>& key,
                 const std::optional<std::string>& value,
                 const std::vector<std::pair<std::string, std::string>>& headers = {},
                 const std::string& compression = "none");
  // The same with the record's timestamp (ms; 0: now).
  Status produce_at(const std::string& topic, int32_t partition,
                    const std::optional<std::string>& key, const std::optional<std::string>& value,
                    int64_t timestamp_ms);
  // Produces every (key, value) by key (or to `partition` when >= 0), with one
  // producer; fails unless all were delivered.
  Status produce_all(const std::string& topic,
                     const std::vector<std::pair<std::string, std::string>>& records,
                     int32_t partition = -1);
  EmbeddedKafka* embedded() { return embedded_.get(); }

 private:
  std::unique_ptr<EmbeddedKafka> embedded_;
  std::unique_ptr<KafkaCluster> cluster_;  // kReal without a broker named
  std::string bootstrap_;
  std::string suffix_;
};

}  // namespace brook::testing
