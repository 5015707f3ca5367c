// StreamsBuilder: the entry point of the DSL. stream<K,V>(topic) opens a typed
// KStream; build() returns the Topology. Generated node and store names follow
// Kafka Streams' scheme (KSTREAM-MAP-0000000001), so they are stable as long as
// the topology's code is. Build on one thread.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "brook/dsl_options.h"
#include "brook/topology.h"

namespace brook {

template <class K, class V>
class KStream;

class StreamsBuilder {
 public:
  StreamsBuilder() : topology_(std::make_unique<Topology>()) {}

  // Reads `topic` (or several topics, into one stream) with the serdes that
  // `consumed` names (default: Serde<K>, Serde<V>).
  template <class K, class V, class Extractor = RecordTimestamp, class KS = void, class VS = void>
  KStream<K, V> stream(const std::string& topic, ConsumedWith<Extractor, KS, VS> consumed = {}) {
    return stream<K, V>(std::vector<std::string>{topic}, std::move(consumed));
  }
  template <class K, class V, class Extractor = RecordTimestamp, class KS = void, class VS = void>
  KStream<K, V> stream(std::vector<std::string> topics,
                       ConsumedWith<Extractor, KS, VS> consumed = {}) {
    std::string name = consumed.name.empty() ? new_name("KSTREAM-SOURCE") : consumed.name;
    topology_->add_source_node<K, V, Extractor, SerdeOr<K, KS>, SerdeOr<V, VS>>(
        name, std::move(topics), false, std::move(consumed.extractor));
    return KStream<K, V>(this, name, false);
  }

  // Hands over the topology; the builder is empty afterwards.
  Topology build() {
    Topology t = std::move(*topology_);
    topology_ = std::make_unique<Topology>();
    index_ = 0;
    return t;
  }

  // Used by the DSL classes.
  std::string new_name(const std::string& prefix) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%010d", index_++);
    return prefix + "-" + buf;
  }
  Topology& topology() { return *topology_; }

 private:
  std::unique_ptr<Topology> topology_;
  int index_ = 0;
};

}  // namespace brook

#include "brook/kstream.h"
