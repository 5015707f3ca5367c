#include "brook/testing/embedded_kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "engine/common/log.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"

namespace brook {

static_assert(std::string_view(EmbeddedKafka::kAdminTopic) == kEmbeddedAdminTopic);
namespace {

// The mock cluster's connections keep Nagle's algorithm on, which a real broker
// turns off: a small response written while an earlier one is unacknowledged
// then waits for the client's delayed ACK, ~40 ms — every commit's producer
// flush paid it. Accepted sockets inherit TCP_NODELAY from their listening
// socket, so set it on the mock's listeners (found among this process's
// descriptors by their ports) before any client connects. Returns how many.
int disable_nagle_on_listeners(const std::string& bootstrap) {
  std::set<int> ports;
  std::istringstream in(bootstrap);
  for (std::string server; std::getline(in, server, ',');) {
    auto colon = server.rfind(':');
    if (colon != std::string::npos) ports.insert(std::atoi(server.c_str() + colon + 1));
  }
  int done = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = std::atoi(entry.path().filename().c_str());
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    int port = -1;
    if (addr.ss_family == AF_INET) port = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) port = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (!ports.count(port)) continue;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) ++done;
  }
  return done;
}

}  // namespace

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
  if (disable_nagle_on_listeners(impl->bootstrap) < brokers) {
    log::warn(
        "local Kafka: Nagle's algorithm is still on for some brokers: "
        "small responses may wait ~40 ms");
  }
  rd_kafka_mock_topic_create(impl->cluster, kAdminTopic, 1, 1);

  s = kafka::make_conf({{"bootstrap.servers", impl->bootstrap},
                        {"group.id", "__brook_admin"},
                        {"enable.auto.commit", "false"},
                        {"log_level", "3"}},
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
