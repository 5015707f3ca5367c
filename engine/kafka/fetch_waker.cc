#include "engine/kafka/fetch_waker.h"

#include <set>

namespace brook {

FetchWaker::FetchWaker(rd_kafka_t* consumer) : consumer_(consumer) {
  thread_ = std::thread([this] { run(); });
}

FetchWaker::~FetchWaker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void FetchWaker::set_partitions(std::vector<TopicPartition> partitions) {
  std::lock_guard<std::mutex> lock(mu_);
  partitions_ = std::move(partitions);
  ++partitions_version_;
}

void FetchWaker::wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_) return;
    pending_ = true;
  }
  cv_.notify_one();
}

std::vector<TopicPartition> FetchWaker::one_per_leader(
    const std::vector<TopicPartition>& partitions) {
  std::set<std::string> topics;
  for (const auto& [topic, p] : partitions) topics.insert(topic);
  std::map<int32_t, TopicPartition> by_leader;
  for (const std::string& topic : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer_, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(consumer_, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int t = 0; t < md->topic_cnt; ++t) {
        for (int i = 0; i < md->topics[t].partition_cnt; ++i) {
          const auto& mp = md->topics[t].partitions[i];
          if (mp.leader < 0 || by_leader.count(mp.leader)) continue;
          for (const auto& [pt, pp] : partitions) {
            if (pt == topic && pp == mp.id) by_leader[mp.leader] = {topic, mp.id};
          }
        }
      }
      rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
  }
  std::vector<TopicPartition> out;
  for (const auto& [leader, tp] : by_leader) out.push_back(tp);
  return out;
}

void FetchWaker::run() {
  uint64_t version = 0;
  std::vector<TopicPartition> targets;
  for (;;) {
    std::vector<TopicPartition> partitions;
    bool changed = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || pending_; });
      if (stop_) return;
      if (partitions_version_ != version) {
        version = partitions_version_;
        partitions = partitions_;
        changed = true;
      }
    }
    // Leaders are looked up once per assignment; a leader that moves is
    // found again at the next one (until then its wake-ups miss, as before).
    if (changed) targets = one_per_leader(partitions);
    for (const auto& [topic, partition] : targets) {
      int64_t low = 0, high = 0;
      rd_kafka_query_watermark_offsets(consumer_, topic.c_str(), partition, &low, &high, 1000);
    }
    std::this_thread::sleep_for(kMinGap);
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = false;
  }
}

}  // namespace brook
