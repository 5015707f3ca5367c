// brook-bench-raw-pipe: the raw librdkafka consume->produce pipe as a worker
// process, the baseline of the side-by-side benchmark (brook-bench-peers). It
// copies every record of the input topic to the output topic (key and value
// untouched) with brook's client loop: batched consumption from the consumer
// queue, delivery reports on librdkafka's background thread, the same client
// defaults (prefetch bounds and the FetchWaker, acks=all,
// linger at a tenth
// of the commit interval) and commits on the same schedule — at-least-once:
// flush the producer, then commit offsets; exactly-once (--transactional): one
// transaction per commit interval with the offsets sent in it. Prints RUNNING
// once it has its partitions; runs until SIGTERM, commits and exits.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "apps/common/cli.h"
#include "engine/kafka/fetch_waker.h"
#include "engine/kafka/kafka_client.h"

namespace {

std::atomic<bool> g_stop{false};

void die(const std::string& what) {
  std::cerr << "brook-bench-raw-pipe: " << what << "\n";
  std::exit(1);
}

void check(const brook::Status& s) {
  if (!s) die(s.message());
}

void check(rd_kafka_error_t* error, const char* what) {
  if (!error) return;
  std::string m = std::string(what) + ": " + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  die(m);
}

struct Positions {
  std::map<std::pair<std::string, int32_t>, int64_t> next;  // to commit
  bool assigned = false;
  brook::FetchWaker* waker = nullptr;  // librdkafka < 2.1, as brook's
};

}  // namespace

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-bench-raw-pipe", "The raw librdkafka pipe as a worker process.");
  cli.option("bootstrap-servers", "Kafka (required)")
      .option("input-topic", "required")
      .option("output-topic", "required")
      .option("group", "consumer group (required)")
      .option("commit-interval-ms", "default 30000 (100 with --transactional)")
      .flag("transactional", "exactly-once: a transaction per commit interval");
  std::string error;
  if (!cli.parse(argc, argv, &error) || !cli.get("bootstrap-servers") || !cli.get("input-topic") ||
      !cli.get("output-topic") || !cli.get("group")) {
    std::cerr << error << "\n" << cli.usage();
    return 2;
  }
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  bool txn = cli.has("transactional");
  int commit_ms = std::stoi(cli.get("commit-interval-ms").value_or(txn ? "100" : "30000"));
  std::string bootstrap = *cli.get("bootstrap-servers");
  std::string group = *cli.get("group");

  Positions positions;
  brook::kafka::Conf cconf;
  check(brook::kafka::make_conf({{"bootstrap.servers", bootstrap},
                                 {"group.id", group},
                                 {"auto.offset.reset", "earliest"},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"partition.assignment.strategy", "range"},
                                 {"queued.min.messages", "100000"},
                                 {"queued.max.messages.kbytes", "8192"},
                                 {"fetch.max.bytes", "4194304"},
                                 {"max.partition.fetch.bytes", "524288"},
                                 {"isolation.level", txn ? "read_committed" : "read_uncommitted"}},
                                &cconf));
  rd_kafka_conf_set_opaque(cconf.get(), &positions);
  rd_kafka_conf_set_rebalance_cb(cconf.get(), [](rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                                 rd_kafka_topic_partition_list_t* parts, void* op) {
    auto* pos = static_cast<Positions*>(op);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      rd_kafka_assign(rk, parts);
      if (pos->waker) {
        std::vector<brook::TopicPartition> assigned;
        for (int i = 0; i < parts->cnt; ++i) {
          assigned.push_back({parts->elems[i].topic, parts->elems[i].partition});
        }
        pos->waker->set_partitions(std::move(assigned));
      }
      if (!pos->assigned) {
        pos->assigned = true;
        std::printf("RUNNING\n");
        std::fflush(stdout);
      }
    } else {
      rd_kafka_assign(rk, nullptr);
      pos->next.clear();
    }
  });
  brook::kafka::Handle consumer;
  check(brook::kafka::make_client(RD_KAFKA_CONSUMER, std::move(cconf), &consumer));
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer.get());
  std::unique_ptr<brook::FetchWaker> waker;
  if (brook::FetchWaker::needed()) waker = std::make_unique<brook::FetchWaker>(consumer.get());
  positions.waker = waker.get();
  bool draining_backlog = false;

  std::map<std::string, std::string> pprops = {
      {"bootstrap.servers", bootstrap},
      {"acks", "all"},
      {"partitioner", "murmur2_random"},
      {"linger.ms", std::to_string(std::min(commit_ms / 10, 100))}};
  if (txn) {
    pprops["transactional.id"] = group + "-raw-pipe";
    pprops["transaction.timeout.ms"] = "10000";
  }
  brook::kafka::Conf pconf;
  check(brook::kafka::make_conf(pprops, &pconf));
  static std::atomic<int64_t> failed{0};
  rd_kafka_conf_set_events(pconf.get(), RD_KAFKA_EVENT_DR);
  rd_kafka_conf_set_background_event_cb(pconf.get(), [](rd_kafka_t*, rd_kafka_event_t* e, void*) {
    while (const rd_kafka_message_t* m = rd_kafka_event_message_next(e)) {
      if (m->err) failed.fetch_add(1);
    }
    rd_kafka_event_destroy(e);
  });
  brook::kafka::Handle producer;
  check(brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(pconf), &producer));
  rd_kafka_queue_t* main_queue = rd_kafka_queue_get_main(producer.get());
  rd_kafka_queue_t* background = rd_kafka_queue_get_background(producer.get());
  rd_kafka_queue_forward(main_queue, background);
  rd_kafka_queue_destroy(background);
  rd_kafka_queue_destroy(main_queue);
  if (txn) check(rd_kafka_init_transactions(producer.get(), 60000), "init_transactions");
  rd_kafka_topic_t* out =
      rd_kafka_topic_new(producer.get(), cli.get("output-topic")->c_str(), nullptr);

  brook::kafka::PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), cli.get("input-topic")->c_str(),
                                    RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer.get(), topics.get());

  bool in_txn = false, uncommitted = false;
  auto commit = [&] {
    if (!uncommitted) return;
    brook::kafka::PartitionList offsets(
        rd_kafka_topic_partition_list_new(static_cast<int>(positions.next.size())));
    for (const auto& [tp, next] : positions.next) {
      rd_kafka_topic_partition_list_add(offsets.get(), tp.first.c_str(), tp.second)->offset = next;
    }
    if (txn) {
      rd_kafka_consumer_group_metadata_t* md = rd_kafka_consumer_group_metadata(consumer.get());
      check(rd_kafka_send_offsets_to_transaction(producer.get(), offsets.get(), md, 60000),
            "send_offsets_to_transaction");
      rd_kafka_consumer_group_metadata_destroy(md);
      check(rd_kafka_commit_transaction(producer.get(), 60000), "commit_transaction");
      in_txn = false;
    } else {
      if (rd_kafka_flush(producer.get(), 120000)) die("flush timed out");
      if (failed.load()) die("deliveries failed");
      rd_kafka_commit(consumer.get(), offsets.get(), 0);
    }
    uncommitted = false;
  };
  auto last_commit = std::chrono::steady_clock::now();
  rd_kafka_message_t* batch[1000];
  while (!g_stop.load()) {
    ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch, 1000);
    if (n == 0) n = rd_kafka_consume_batch_queue(queue, 50, batch, 1);
    if (waker) {  // as brook's stream thread
      if (n == 1000) {
        draining_backlog = true;
      } else if (draining_backlog && rd_kafka_queue_length(queue) == 0) {
        draining_backlog = false;
        waker->wake();
      }
    }
    for (ssize_t i = 0; i < n; ++i) {
      brook::kafka::Message m(batch[i]);
      if (m->err) continue;
      if (txn && !in_txn) {
        check(rd_kafka_begin_transaction(producer.get()), "begin_transaction");
        in_txn = true;
      }
      while (rd_kafka_producev(
                 producer.get(), RD_KAFKA_V_RKT(out), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(m->key, m->key_len),
                 RD_KAFKA_V_VALUE(m->payload, m->len),
                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_flush(producer.get(), 10);
      }
      positions.next[{rd_kafka_topic_name(m->rkt), m->partition}] = m->offset + 1;
      uncommitted = true;
    }
    if (std::chrono::steady_clock::now() - last_commit >= std::chrono::milliseconds(commit_ms)) {
      commit();
      last_commit = std::chrono::steady_clock::now();
    }
  }
  commit();
  positions.waker = nullptr;
  waker.reset();
  rd_kafka_topic_destroy(out);
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(consumer.get());
  return 0;
}
