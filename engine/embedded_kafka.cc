#include "brook/embedded_kafka.h"

#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine/kafka_client.h"
#include "engine/log.h"

namespace brook {

class EmbeddedKafka::Impl {
 public:
  kafka::Handle owner;  // the client that hosts the mock cluster
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;
  kafka::Handle admin_consumer;
  std::thread watcher;
  std::atomic<bool> stop{false};
  std::mutex mu;

  void watch() {
    while (!stop.load()) {
      kafka::Message msg(rd_kafka_consumer_poll(admin_consumer.get(), 100));
      if (!msg || msg->err) continue;
      std::istringstream in(std::string(static_cast<const char*>(msg->payload), msg->len));
      std::string verb, topic;
      int partitions = 0;
      if (in >> verb >> topic >> partitions && verb == "create" && partitions > 0) {
        std::lock_guard<std::mutex> lock(mu);
        rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, 1);
      } else {
        log::warn("local Kafka: ignoring admin request '{}'",
                  std::string(static_cast<const char*>(msg->payload), msg->len));
      }
    }
  }
};

EmbeddedKafka::EmbeddedKafka(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Status EmbeddedKafka::start(int brokers, std::unique_ptr<EmbeddedKafka>* out) {
  auto impl = std::make_unique<Impl>();
  kafka::Conf conf;
  Status s = kafka::make_conf({{"log_level", "3"}}, &conf);
  if (!s) return s;
  s = kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &impl->owner);
  if (!s) return s;
  impl->cluster = rd_kafka_mock_cluster_new(impl->owner.get(), brokers);
  if (!impl->cluster) return Status::error("cannot start the local Kafka (mock cluster)");
  impl->bootstrap = rd_kafka_mock_cluster_bootstraps(impl->cluster);
  rd_kafka_mock_topic_create(impl->cluster, kAdminTopic, 1, 1);

  s = kafka::make_conf({{"bootstrap.servers", impl->bootstrap}, {"group.id", "__brook_admin"},
                        {"enable.auto.commit", "false"}, {"log_level", "3"}},
                       &conf);
  if (!s) return s;
  s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &impl->admin_consumer);
  if (!s) return s;
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), kAdminTopic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(impl->admin_consumer.get(), list.get());
  Impl* raw = impl.get();
  impl->watcher = std::thread([raw] { raw->watch(); });
  out->reset(new EmbeddedKafka(std::move(impl)));
  return Status::ok();
}

EmbeddedKafka::~EmbeddedKafka() {
  impl_->stop = true;
  if (impl_->watcher.joinable()) impl_->watcher.join();
  rd_kafka_consumer_close(impl_->admin_consumer.get());
  impl_->admin_consumer.reset();
  rd_kafka_mock_cluster_destroy(impl_->cluster);
  impl_->owner.reset();
}

const std::string& EmbeddedKafka::bootstrap_servers() const { return impl_->bootstrap; }

Status EmbeddedKafka::create_topic(const std::string& name, int partitions) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(impl_->cluster, name.c_str(), partitions, 1);
  if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    return Status::error("cannot create topic " + name + ": " + rd_kafka_err2str(err));
  }
  return Status::ok();
}

rd_kafka_mock_cluster_t* EmbeddedKafka::mock_cluster() { return impl_->cluster; }

}  // namespace brook
