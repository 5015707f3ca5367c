#include "bench/key_counts.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace brook::bench {

void check(const Status& s) {
  if (!s) {
    std::cerr << "benchmark failed: " << s.message() << "\n";
    std::exit(1);
  }
}

Topology counting(const std::string& input, const std::string& output) {
  StreamsBuilder b;
  b.stream<std::string, std::string>(input)
      .group_by_key()
      .count(Materialized::as("counts"))
      .to_stream()
      .to(output);
  return b.build();
}

kafka::Handle producer(const std::string& bootstrap) {
  kafka::Conf conf;
  check(kafka::make_conf({{"bootstrap.servers", bootstrap},
                          {"linger.ms", "20"},
                          {"partitioner", "murmur2_random"},
                          {"compression.type", "lz4"}},
                         &conf));
  kafka::Handle rk;
  check(kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk));
  return rk;
}

std::string key_of(int64_t i) {
  char key[32];
  int n = std::snprintf(key, sizeof key, "key-%08lld", static_cast<long long>(i));
  return std::string(key, n);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, sep);) out.push_back(item);
  return out;
}

void produce_keys(const std::string& bootstrap, const std::string& topic, int64_t from, int64_t to,
                  int64_t modulo) {
  kafka::Handle rk = producer(bootstrap);
  for (int64_t i = from; i < to; ++i) {
    std::string key = key_of(i % modulo);
    while (rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                             RD_KAFKA_V_KEY(key.data(), key.size()),
                             RD_KAFKA_V_VALUE(const_cast<char*>("1"), 1),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk.get(), 10);
    }
  }
  if (rd_kafka_flush(rk.get(), 120000)) check(Status::error("producing keys timed out"));
}

}  // namespace brook::bench
