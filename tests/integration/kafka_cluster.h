// KafkaCluster: a real Apache Kafka started for one test by scripts/kafka.sh (one
// broker or three, on loopback), with the handles a fault test needs: stop,
// pause, kill and restart each broker. Stopped (SIGTERM to the script, which
// stops every broker and removes its directory) when destroyed. Used from the
// test's main thread only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "brook/status.h"

namespace brook::testing {

class KafkaCluster {
 public:
  // Starts `brokers` brokers; throws std::runtime_error with the script's
  // output when they do not come up.
  explicit KafkaCluster(int brokers);
  ~KafkaCluster();
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  const std::string& bootstrap_servers() const { return bootstrap_; }
  int brokers() const { return static_cast<int>(pids_.size()); }
  // Broker n (1-based): the process, as the script's pid file says now.
  pid_t pid(int n) const;
  // Broker n's host:port.
  std::string address(int n) const;
  void kill_broker(int n);    // SIGKILL
  void pause_broker(int n);   // SIGSTOP
  void resume_broker(int n);  // SIGCONT
  // Starts a killed broker again on its ports and data; returns once it is up
  // (its log says so) or throws.
  void restart_broker(int n);

 private:
  // One attempt: the cluster is up (true), or nothing of it is left running
  // and `*failure` holds the script's output.
  bool start(int brokers, std::string* failure);
  std::string dir_;
  std::string bootstrap_;
  std::vector<pid_t> pids_;
  pid_t script_ = -1;
};

}  // namespace brook::testing
