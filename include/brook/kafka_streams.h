// KafkaStreams: runs a Topology against Kafka — num.stream.threads stream threads
// in this process, sharing the input partitions with every other process of the
// same application.id through a consumer group. start() validates the config,
// checks source topics, creates internal topics and starts the threads; close()
// commits and stops them. Public methods are thread-safe; the state listener is
// called from a background thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "brook/config.h"
#include "brook/status.h"
#include "brook/topology.h"

namespace brook {

class KafkaStreams {
 public:
  enum class State { kCreated, kRebalancing, kRunning, kPendingShutdown, kNotRunning, kError };
  using StateListener = std::function<void(State new_state, State old_state)>;

  KafkaStreams(Topology topology, StreamsConfig config);
  ~KafkaStreams();
  KafkaStreams(const KafkaStreams&) = delete;
  KafkaStreams& operator=(const KafkaStreams&) = delete;

  void set_state_listener(StateListener listener);
  // Fails with a message naming the bad config key, missing source topic or
  // internal topic that cannot be created; the instance is then in ERROR with
  // that message as error().
  Status start();
  // Commits and stops every thread; idempotent.
  void close();
  // Blocks until SIGINT/SIGTERM, the end of a bounded run (stop.at.end), or an
  // error; then closes. Returns a process exit code: 0 on a clean stop.
  int run_until_signal();
  // Waits until the state is `state` (true) or the timeout passes (false).
  bool wait_for_state(State state, std::chrono::milliseconds timeout);

  State state() const;
  // What moved the instance to ERROR, if it did.
  std::string error() const;
  std::map<std::string, int64_t> metrics() const;
  const Topology& topology() const;

  static const char* state_name(State state);
  // SIGINT/SIGTERM then only set a flag that run_until_signal() watches. Call
  // early in main() to be safe from a signal during start().
  static void install_signal_handlers();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brook
