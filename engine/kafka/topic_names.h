// The names of an application's topics, made here and nowhere else. Internal
// topics are prefixed with the application.id, as Kafka Streams names them:
// "<application.id>-<name>-repartition" (the DSL names them "<name>-repartition")
// and "<application.id>-<store>-changelog". A topic's role travels with its
// name from where the topology is read (KafkaStreams) to the producer, which
// is told it rather than guessing it from a suffix. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "brook/topology.h"

namespace brook {

enum class TopicRole {
  kUser,         // sources and sinks the application names
  kRepartition,  // written and read by the application itself
  kChangelog,    // a store's changelog
};

// The full name of the internal topic `name` of application `app`.
inline std::string internal_topic(std::string_view app, std::string_view name) {
  std::string out;
  out.reserve(app.size() + 1 + name.size());
  out.append(app).append("-").append(name);
  return out;
}

// The full name of the changelog of `store`.
inline std::string changelog_topic(std::string_view app, const std::string& store) {
  return internal_topic(app, Topology::changelog_topic(store));
}

// A topic the topology names, resolved: internal topics get the prefix.
inline std::string resolve_topic(std::string_view app, const std::string& topic, bool internal) {
  return internal ? internal_topic(app, topic) : topic;
}

}  // namespace brook
