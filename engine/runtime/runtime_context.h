// RuntimeContext: what every stream thread of a KafkaStreams instance shares —
// the topology and its sub-topologies, the config, RocksDB memory, metrics and
// the bounded-run progress. Owned by KafkaStreams; immutable while threads run
// except for the thread-safe members (metrics, progress, RocksDB resources).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/metrics.h"
#include "brook/topology.h"
#include "engine/kafka/streams_producer.h"
#include "engine/runtime/bounded_progress.h"
#include "engine/runtime/stream_task.h"
#include "state/rocksdb_resources.h"

namespace brook {

struct RuntimeContext {
  const Topology* topology = nullptr;
  std::vector<Topology::Subtopology> subtopologies;
  std::map<std::string, int> topic_subtopology;  // full source topic -> sub-topology
  std::vector<std::string> source_topics;        // full names, all sub-topologies
  std::map<std::string, int> source_partitions;  // full source topic -> partition count
  std::vector<int> subtopology_tasks;            // sub-topology -> task count
  // What the stream threads subscribe to: a source topic with as many
  // partitions as the most tasks of a sub-topology. The group's sticky
  // assignor hands out its partitions; partition p brings task p of every
  // sub-topology that has one (StreamThread::tasks_of), and so the tasks of
  // the sub-topologies spread alike over the workers.
  std::string anchor_topic;
  // Full names and roles: sinks, repartition and changelog topics.
  std::vector<OutputTopic> output_topics;
  StreamsConfig config;
  TaskOptions task_options;
  std::string state_dir;  // <state.dir>/<application.id>
  std::string process_id;
  state::RocksDbResources* rocksdb = nullptr;
  Metrics* metrics = nullptr;
  BoundedProgress* bounded = nullptr;  // null unless stop.at.end
  // The cluster is brook's embedded Kafka (librdkafka's mock), found at start.
  // Only what works around the mock's gaps looks at this.
  bool embedded_kafka = false;
};

}  // namespace brook
