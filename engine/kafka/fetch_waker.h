// FetchWaker: keeps librdkafka 2.0's consumer fetching while a stream thread
// drains its prefetched records. librdkafka < 2.1 stops fetching a partition
// while the consumer queue is over queued.min.messages or
// queued.max.messages.kbytes, and looks at it again only when the broker
// thread that leads it next wakes — on I/O, on a request to send, or after a
// hard-coded second (2.1 added fetch.queue.backoff.ms for this). Draining the
// queue wakes nothing, so a worker reading a backlog idled up to a second each
// time it emptied its prefetch: ~75% idle at 32 MiB of prefetch.
//
// When told the queue ran dry (wake()), a helper thread sends each broker that
// leads an assigned partition a ListOffsets request for one of them (the
// smallest request there is; the answer is discarded), which wakes that
// broker's thread, at most once per kMinGap. With librdkafka >= 2.1 it does
// nothing: the consumer is given fetch.queue.backoff.ms instead (see needed()).
//
// One per stream thread. set_partitions() and wake() are called by the stream
// thread; the helper thread only reads what they publish under mu_.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "brook/topic_partition.h"

namespace brook {

class FetchWaker {
 public:
  static constexpr std::chrono::milliseconds kMinGap{10};

  // Whether this librdkafka needs waking (< 2.1).
  static bool needed() { return rd_kafka_version() < 0x02010000; }

  // `consumer` is borrowed and must outlive the waker.
  explicit FetchWaker(rd_kafka_t* consumer);
  ~FetchWaker();
  FetchWaker(const FetchWaker&) = delete;
  FetchWaker& operator=(const FetchWaker&) = delete;

  // The assigned partitions (topic, partition); their leaders are looked up
  // on the helper thread.
  void set_partitions(std::vector<TopicPartition> partitions);
  // The consumer queue ran dry: wake the leaders' broker threads (soon, on
  // the helper thread).
  void wake();

 private:
  void run();
  // One partition per leader broker, from metadata.
  std::vector<TopicPartition> one_per_leader(const std::vector<TopicPartition>& partitions);

  rd_kafka_t* consumer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<TopicPartition> partitions_;  // mu_
  uint64_t partitions_version_ = 0;         // mu_
  bool pending_ = false;                    // mu_
  bool stop_ = false;                       // mu_
  std::thread thread_;
};

}  // namespace brook
