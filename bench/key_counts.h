// What the recovery and failover benchmarks share: the counting topology
// (count per key, int64 counts out), keys "key-00000042", and writing them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "brook/brook.h"
#include "engine/kafka/kafka_client.h"

namespace brook::bench {

// Exits the benchmark with the message unless `s` is ok.
void check(const Status& s);

// input -> groupByKey -> count into "counts" -> output.
Topology counting(const std::string& input, const std::string& output);

// A producer for writing keys quickly (lz4, murmur2 as Kafka's Java client).
kafka::Handle producer(const std::string& bootstrap);

std::string key_of(int64_t i);

// The pieces of `s` between `sep`s ("a,b" -> {"a", "b"}; "" -> {}): the
// --worker argument a benchmark passes its worker processes, and list flags.
std::vector<std::string> split(const std::string& s, char sep);

// Keys from % modulo .. to % modulo, each with value "1".
void produce_keys(const std::string& bootstrap, const std::string& topic, int64_t from, int64_t to,
                  int64_t modulo);

}  // namespace brook::bench
