#include "tests/integration/test_kafka.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "brook/testing/embedded_kafka.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"
#include "tests/integration/kafka_cluster.h"

namespace brook::testing {

TestKafka::TestKafka(std::string bootstrap_servers) : bootstrap_(std::move(bootstrap_servers)) {
  std::random_device rd;
  suffix_ = std::to_string(rd() % 1000000000);
}

TestKafka::TestKafka(Kind kind) {
  std::random_device rd;
  suffix_ = std::to_string(rd() % 1000000000);
  const char* bs = std::getenv("BROOK_TEST_BOOTSTRAP_SERVERS");
  if (kind != Kind::kEmbedded && bs && *bs) {
    bootstrap_ = bs;
    return;
  }
  if (kind == Kind::kReal) {
    cluster_ = std::make_unique<KafkaCluster>(1);
    bootstrap_ = cluster_->bootstrap_servers();
    return;
  }
  Status s = EmbeddedKafka::start(1, &embedded_);
  if (!s) throw std::runtime_error(s.message());
  bootstrap_ = embedded_->bootstrap_servers();
}

TestKafka::~TestKafka() = default;

Status TestKafka::create_topic(const std::string& name, int partitions,
                               const std::map<std::string, std::string>& configs) {
  if (embedded_) return embedded_->create_topic(name, partitions);
  kafka::Conf conf;
  Status s = kafka::make_conf({{"bootstrap.servers", bootstrap_}}, &conf);
  if (!s) return s;
  kafka::Handle rk;
  s = kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk);
  if (!s) return s;
  // Test data carries old event times (2022) as record timestamps: keep it
  // from the broker's time retention (7 days by default).
  std::map<std::string, std::string> all = configs;
  all.emplace("retention.ms", "-1");
  return ensure_topics(rk.get(), {InternalTopic{name, partitions, false, all}}, -1,
                       /*embedded=*/false);
}

StreamsConfig TestKafka::bounded_config(const std::string& application_id,
                                        const std::string& state_dir) const {
  return StreamsConfig{{"application.id", application_id},
                       {"bootstrap.servers", bootstrap_},
                       {"state.dir", state_dir},
                       {"stop.at.end", "true"},
                       {"consumer.session.timeout.ms", "6000"}};
}

int64_t TestKafka::committed_offset(const std::string& group_id, const std::string& topic,
                                    int32_t partition) {
  kafka::Conf conf;
  Status s = kafka::make_conf({{"bootstrap.servers", bootstrap_},
                               {"group.id", group_id},  // asks only; never joins
                               {"enable.auto.commit", "false"}},
                              &conf);
  if (!s) throw std::runtime_error(s.message());
  kafka::Handle rk;
  s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &rk);
  if (!s) throw std::runtime_error(s.message());
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk.get(), list.get(), 30000);
  if (err) throw std::runtime_error(std::string("committed: ") + rd_kafka_err2str(err));
  const rd_kafka_topic_partition_t& p = list->elems[0];
  if (p.err) throw std::runtime_error(std::string("committed: ") + rd_kafka_err2str(p.err));
  return p.offset < 0 ? -1 : p.offset;
}

std::vector<ConsumedRecord> TestKafka::read_all(const std::string& topic, bool read_committed) {
  // The ends come from a read_uncommitted client: a read_committed one gives
  // the last stable offset, which trails a just-committed transaction until
  // the broker has written its markers (and so would miss it).
  auto consumer = [&](const char* isolation) {
    kafka::Conf conf;
    Status s = kafka::make_conf({{"bootstrap.servers", bootstrap_},
                                 {"group.id", "brook-test-reader"},  // assign only; never joins
                                 {"enable.auto.commit", "false"},
                                 {"enable.partition.eof", "true"},
                                 {"isolation.level", isolation}},
                                &conf);
    if (!s) throw std::runtime_error(s.message());
    kafka::Handle rk;
    s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &rk);
    if (!s) throw std::runtime_error(s.message());
    return rk;
  };
  kafka::Handle lookup = consumer("read_uncommitted");
  kafka::Handle rk = consumer(read_committed ? "read_committed" : "read_uncommitted");
  std::map<std::string, int> counts;
  Status s = kafka::partition_counts(lookup.get(), {topic}, &counts);
  if (!s || !counts.count(topic)) throw std::runtime_error("no topic " + topic);
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(counts[topic]));
  std::map<int32_t, int64_t> ends;
  for (int p = 0; p < counts[topic]; ++p) {
    int64_t low = 0, high = 0;
    s = kafka::watermarks(lookup.get(), topic, p, &low, &high);
    if (!s) throw std::runtime_error(s.message());
    if (high > low) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = low;
      ends[p] = high;
    }
  }
  std::vector<ConsumedRecord> out;
  if (ends.empty()) return out;
  rd_kafka_assign(rk.get(), list.get());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  size_t done = 0;
  while (done < ends.size() && std::chrono::steady_clock::now() < deadline) {
    kafka::Message m(rd_kafka_consumer_poll(rk.get(), 100));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (m->offset >= ends[m->partition]) {
        ++done;
        ends[m->partition] = INT64_MAX;  // count once
      }
      continue;
    }
    if (m->err) throw std::runtime_error(rd_kafka_message_errstr(m.get()));
    ConsumedRecord r;
    if (m->key) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value = std::string(static_cast<const char*>(m->payload), m->len);
    r.partition = m->partition;
    r.offset = m->offset;
    r.timestamp = rd_kafka_message_timestamp(m.get(), nullptr);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m.get(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* hv;
      size_t size;
      for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &hv, &size); ++i) {
        r.headers.emplace_back(name, std::string(static_cast<const char*>(hv), size));
      }
    }
    out.push_back(std::move(r));
  }
  rd_kafka_consumer_close(rk.get());
  if (done < ends.size()) throw std::runtime_error("timed out reading " + topic);
  return out;
}

namespace {

struct Delivery {
  int failed = 0;
  std::string first_error;
};

Status make_producer(const std::string& bootstrap, Delivery* delivery, kafka::Handle* rk,
                     const std::string& compression = "none") {
  kafka::Conf conf;
  Status s = kafka::make_conf({{"bootstrap.servers", bootstrap},
                               {"partitioner", "murmur2_random"},
                               {"compression.type", compression}},
                              &conf);
  if (!s) return s;
  rd_kafka_conf_set_opaque(conf.get(), delivery);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void* op) {
    auto* d = static_cast<Delivery*>(op);
    if (!m->err) return;
    if (d->failed++ == 0) d->first_error = rd_kafka_err2str(m->err);
  });
  return kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), rk);
}

Status send(rd_kafka_t* rk, const std::string& topic, int32_t partition,
            const std::optional<std::string>& key, const std::optional<std::string>& value,
            const std::vector<std::pair<std::string, std::string>>& headers = {},
            int64_t timestamp_ms = 0) {
  void* k = key ? const_cast<char*>(key->data()) : nullptr;
  size_t k_size = key ? key->size() : 0;
  void* v = value ? const_cast<char*>(value->data()) : nullptr;
  size_t v_size = value ? value->size() : 0;
  rd_kafka_headers_t* hdrs = nullptr;
  if (!headers.empty()) {
    hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& [name, hv] : headers) {
      rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), hv.data(),
                          static_cast<ssize_t>(hv.size()));
    }
  }
  rd_kafka_resp_err_t err =
      rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                        RD_KAFKA_V_PARTITION(partition >= 0 ? partition : RD_KAFKA_PARTITION_UA),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(k, k_size),
                        RD_KAFKA_V_VALUE(v, v_size), RD_KAFKA_V_HEADERS(hdrs),
                        RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
  if (err) {
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    return Status::error(rd_kafka_err2str(err));
  }
  return Status::ok();
}

Status delivered(rd_kafka_t* rk, const Delivery& d) {
  if (rd_kafka_flush(rk, 30000)) return Status::error("flush timed out");
  if (d.failed > 0) {
    return Status::error(std::to_string(d.failed) + " record(s) not delivered: " + d.first_error);
  }
  return Status::ok();
}

}  // namespace

Status TestKafka::produce(const std::string& topic, int32_t partition,
                          const std::optional<std::string>& key,
                          const std::optional<std::string>& value,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& compression) {
  Delivery d;
  kafka::Handle rk;
  Status s = make_producer(bootstrap_, &d, &rk, compression);
  if (!s) return s;
  s = send(rk.get(), topic, partition, key, value, headers);
  if (!s) return s;
  return delivered(rk.get(), d);
}

Status TestKafka::produce_at(const std::string& topic, int32_t partition,
                             const std::optional<std::string>& key,
                             const std::optional<std::string>& value, int64_t timestamp_ms) {
  Delivery d;
  kafka::Handle rk;
  Status s = make_producer(bootstrap_, &d, &rk);
  if (!s) return s;
  s = send(rk.get(), topic, partition, key, value, {}, timestamp_ms);
  if (!s) return s;
  return delivered(rk.get(), d);
}

Status TestKafka::produce_all(const std::string& topic,
                              const std::vector<std::pair<std::string, std::string>>& records,
                              int32_t partition) {
  Delivery d;
  kafka::Handle rk;
  Status s = make_producer(bootstrap_, &d, &rk);
  if (!s) return s;
  for (const auto& [key, value] : records) {
    for (;;) {
      s = send(rk.get(), topic, partition, key, value);
      if (s || s.message() != rd_kafka_err2str(RD_KAFKA_RESP_ERR__QUEUE_FULL)) break;
      rd_kafka_poll(rk.get(), 10);
    }
    if (!s) return s;
  }
  return delivered(rk.get(), d);
}

}  // namespace brook::testing
