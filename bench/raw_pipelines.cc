#include "bench/raw_pipelines.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "apps/running_totals/running_totals.h"
#include "brook/json.h"
#include "engine/kafka/fetch_waker.h"
#include "engine/kafka/kafka_client.h"

namespace brook::bench {
namespace {

// The raw pipes: librdkafka with brook's client loop, so that they differ from
// brook only by what brook adds. Same client settings as brook's defaults
// (consumer: the bench's prefetch, the FetchWaker on
// librdkafka < 2.1; producer: linger.ms=100, acks=all, murmur2_random, the
// bench's compression), batched consumption from the consumer queue, delivery
// reports on librdkafka's background thread, and at-least-once commits on
// brook's schedule: every commit interval, flush the producer, then commit the
// offsets; once more at the end. The clock starts when the partitions are
// taken, at positions looked up as brook does (committed, else the beginning).
class RawLoop {
 public:
  RawLoop(const Options& o, const std::string& group, const std::vector<std::string>& topics)
      : commit_interval_(std::chrono::milliseconds(
            std::stoll(o.commit_ms.empty() ? std::string("30000") : o.commit_ms))) {
    brook::kafka::Conf cconf;
    check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap},
                                   {"group.id", group},
                                   {"auto.offset.reset", "earliest"},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"partition.assignment.strategy", "range"},
                                   {"queued.min.messages", "100000"},
                                   {"queued.max.messages.kbytes", "8192"},
                                   {"fetch.max.bytes", "4194304"},
                                   {"max.partition.fetch.bytes", "524288"},
                                   {"session.timeout.ms", "6000"}},
                                  &cconf));
    char err[256];
    for (const auto& [k, v] : client_defaults(o, "consumer.")) {
      rd_kafka_conf_set(cconf.get(), k.c_str(), v.c_str(), err, sizeof err);
    }
    rd_kafka_conf_set_opaque(cconf.get(), this);
    rd_kafka_conf_set_rebalance_cb(cconf.get(), &RawLoop::rebalance);
    check(brook::kafka::make_client(RD_KAFKA_CONSUMER, std::move(cconf), &consumer_));
    rd_kafka_poll_set_consumer(consumer_.get());
    queue_ = rd_kafka_queue_get_consumer(consumer_.get());
    if (brook::FetchWaker::needed()) waker_ = std::make_unique<brook::FetchWaker>(consumer_.get());

    brook::kafka::Conf pconf;
    check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap},
                                   {"linger.ms", "100"},
                                   {"acks", "all"},
                                   {"partitioner", "murmur2_random"},
                                   {"compression.type", o.compression}},
                                  &pconf));
    for (const auto& [k, v] : client_defaults(o, "producer.")) {
      rd_kafka_conf_set(pconf.get(), k.c_str(), v.c_str(), err, sizeof err);
    }
    rd_kafka_conf_set_opaque(pconf.get(), this);
    rd_kafka_conf_set_events(pconf.get(), RD_KAFKA_EVENT_DR);
    rd_kafka_conf_set_background_event_cb(
        pconf.get(), [](rd_kafka_t*, rd_kafka_event_t* e, void* self) {
          while (const rd_kafka_message_t* m = rd_kafka_event_message_next(e)) {
            if (m->err) static_cast<RawLoop*>(self)->failed_.fetch_add(1);
          }
          rd_kafka_event_destroy(e);
        });
    check(brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(pconf), &producer_));
    rd_kafka_queue_t* main_queue = rd_kafka_queue_get_main(producer_.get());
    rd_kafka_queue_t* background = rd_kafka_queue_get_background(producer_.get());
    rd_kafka_queue_forward(main_queue, background);
    rd_kafka_queue_destroy(background);
    rd_kafka_queue_destroy(main_queue);

    brook::kafka::PartitionList list(
        rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const std::string& t : topics) {
      rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_subscribe(consumer_.get(), list.get());
  }
  ~RawLoop() {
    for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
    waker_.reset();
    rd_kafka_queue_destroy(queue_);
    rd_kafka_consumer_close(consumer_.get());
  }

  rd_kafka_topic_t* topic(const std::string& name) {
    auto& rkt = topics_[name];
    if (!rkt) rkt = rd_kafka_topic_new(producer_.get(), name.c_str(), nullptr);
    return rkt;
  }
  void send(rd_kafka_topic_t* rkt, const void* key, size_t key_size, const void* value,
            size_t value_size) {
    while (rd_kafka_producev(
               producer_.get(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
               RD_KAFKA_V_VALUE(const_cast<void*>(value), value_size),
               RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_flush(producer_.get(), 10);  // deliveries, on the background thread, make room
    }
  }

  // Feeds every record to `on_record` until `done()`; `before_commit` runs at
  // each commit, before the flush (where brook flushes caches and combiners).
  // Seconds from the assignment until everything is committed.
  template <class OnRecord, class Done, class BeforeCommit>
  double run(OnRecord on_record, Done done, BeforeCommit before_commit, const char* name) {
    rd_kafka_message_t* batch[1000];
    auto last_commit = Clock::now(), last_read = Clock::now();
    bool draining = false;
    while (!done()) {
      ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, batch, 1000);
      if (n == 0) n = rd_kafka_consume_batch_queue(queue_, 10, batch, 1);
      if (waker_) {  // as brook's stream thread
        if (n == 1000) {
          draining = true;
        } else if (draining && rd_kafka_queue_length(queue_) == 0) {
          draining = false;
          waker_->wake();
        }
      }
      if (n > 0) last_read = Clock::now();
      for (ssize_t i = 0; i < n; ++i) {
        brook::kafka::Message m(batch[i]);
        if (m->err) continue;
        on_record(m.get());
        next_[{rd_kafka_topic_name(m->rkt), m->partition}] = m->offset + 1;
      }
      if (n <= 0 && Clock::now() - last_read > std::chrono::seconds(30)) {
        check(brook::Status::error(std::string(name) +
                                   ": nothing read for 30 s (the local Kafka keeps 5 MiB per "
                                   "partition: fewer records, or more partitions)"));
      }
      if (Clock::now() - last_commit >= commit_interval_) {
        before_commit();
        commit();
        last_commit = Clock::now();
      }
    }
    before_commit();
    commit();
    return std::chrono::duration<double>(Clock::now() - assigned_).count();
  }

 private:
  static void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<RawLoop*>(opaque);
    if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      rd_kafka_assign(rk, nullptr);
      return;
    }
    // As brook does: positions looked up first, then the partitions taken there.
    rd_kafka_committed(rk, parts, 30000);
    std::vector<brook::TopicPartition> assigned;
    for (int i = 0; i < parts->cnt; ++i) {
      auto& p = parts->elems[i];
      int64_t low = 0, high = 0;
      if (p.offset < 0 && brook::kafka::watermarks(rk, p.topic, p.partition, &low, &high, 30000)) {
        p.offset = low;
      }
      assigned.push_back({p.topic, p.partition});
    }
    rd_kafka_assign(rk, parts);
    if (self->waker_) self->waker_->set_partitions(std::move(assigned));
    self->assigned_ = Clock::now();
  }
  void commit() {
    if (rd_kafka_flush(producer_.get(), 120000)) check(brook::Status::error("flush timed out"));
    if (failed_.load()) check(brook::Status::error("raw pipe: deliveries failed"));
    if (next_.empty()) return;
    brook::kafka::PartitionList offsets(
        rd_kafka_topic_partition_list_new(static_cast<int>(next_.size())));
    for (const auto& [tp, next] : next_) {
      rd_kafka_topic_partition_list_add(offsets.get(), tp.first.c_str(), tp.second)->offset = next;
    }
    rd_kafka_commit(consumer_.get(), offsets.get(), 0);
    next_.clear();
  }

  std::chrono::milliseconds commit_interval_;
  brook::kafka::Handle consumer_, producer_;
  rd_kafka_queue_t* queue_ = nullptr;
  std::unique_ptr<brook::FetchWaker> waker_;
  std::map<std::string, rd_kafka_topic_t*> topics_;
  std::map<std::pair<std::string, int32_t>, int64_t> next_;
  std::atomic<int64_t> failed_{0};
  Clock::time_point assigned_{};
};

// The baseline: input records copied to `output` (keys and values untouched).
}  // namespace

double run_raw_pipe(const Options& o, const std::string& group, const std::string& output) {
  RawLoop loop(o, group, {o.input});
  rd_kafka_topic_t* out = loop.topic(output);
  int64_t consumed = 0;
  return loop.run(
      [&](const rd_kafka_message_t* m) {
        loop.send(out, m->key, m->key_len, m->payload, m->len);
        ++consumed;
      },
      [&] { return consumed >= o.records; }, [] {}, "raw pipe");
}

// The reference for pipelines that repartition every record: librdkafka's
// share of the uncombined running totals' work and nothing else. One consumer
// reads the input and a topic `hop` that the pipe writes itself: every input
// record is copied to `hop` (as running totals writes its repartition topic)
// and read back from it (where running totals would aggregate). No parsing, no
// state. The copies are keyed as running totals' are, by one of 27 keys (its 27
// products), so they spread over the hop's partitions alike; they carry whole
// purchases, where running totals' carry smaller totals.
double run_raw_two_hop(const Options& o, const std::string& group, const std::string& hop) {
  RawLoop loop(o, group, {o.input, hop});
  rd_kafka_topic_t* out = loop.topic(hop);
  std::vector<std::string> keys;
  for (int k = 0; k < 27; ++k) keys.push_back("product-" + std::to_string(k));
  int64_t inputs = 0, hops = 0;
  return loop.run(
      [&](const rd_kafka_message_t* m) {
        if (o.input == rd_kafka_topic_name(m->rkt)) {
          const std::string& key = keys[inputs++ % keys.size()];
          loop.send(out, key.data(), key.size(), m->payload, m->len);
        } else {
          ++hops;
        }
      },
      [&] { return inputs >= o.records && hops >= o.records; }, [] {}, "raw two-hop pipe");
}

// The reference for the combined running totals: what they do, by hand. One
// consumer reads the purchases, parses each (with brook's JSON reader), folds
// it into a hash map of per-product totals, and writes the products that
// changed every 100 ms (brook's Combine holds a partial at most that long)
// and at each commit. No repartition topic, no store, no changelog: a
// single-process program that could not scale out or survive a restart, which
// is what brook's combining approaches.
double run_raw_fold(const Options& o, const std::string& group, const std::string& output) {
  RawLoop loop(o, group, {o.input});
  rd_kafka_topic_t* out = loop.topic(output);
  std::unordered_map<std::string, brook::demo::RunningTotal> totals;
  std::unordered_set<std::string> changed;
  int64_t consumed = 0;
  auto last_flush = Clock::now();
  std::string buffer;
  auto flush = [&] {
    for (const std::string& product : changed) {
      buffer.clear();
      brook::Serde<brook::demo::RunningTotal>::serialize(totals[product], buffer);
      loop.send(out, product.data(), product.size(), buffer.data(), buffer.size());
    }
    changed.clear();
    last_flush = Clock::now();
  };
  return loop.run(
      [&](const rd_kafka_message_t* m) {
        brook::demo::PurchaseEvent p;
        if (brook::Serde<brook::demo::PurchaseEvent>::deserialize(
                static_cast<const char*>(m->payload), m->len, p)) {
          brook::demo::RunningTotal& t = totals[p.product_id];
          t = brook::demo::add_to_total(
              std::move(t), brook::demo::RunningTotal{p.transaction_time.value_or(""), p.product_id,
                                                      1, p.quantity, p.total_purchase});
          changed.insert(p.product_id);
        }
        ++consumed;
        if (Clock::now() - last_flush >= std::chrono::milliseconds(100)) flush();
      },
      [&] { return consumed >= o.records; }, flush, "raw fold");
}

}  // namespace brook::bench
