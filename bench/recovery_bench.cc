// brook-bench-recovery: how long an exactly-once worker takes to be RUNNING
// again after a SIGKILL, with its stores on disk (only the changelogs' tails to
// replay) and without them (a full restore, as on a new machine). Both restarts
// follow a SIGKILL of a worker holding the same `--keys` keys (default 1M), so
// both wait alike for the group to drop the dead member; each then runs to the
// end of its input, and its output must hold every key's exact count, or the
// benchmark fails. On the Kafka given with --bootstrap-servers (a real broker:
// scripts/bench-recovery.sh starts one), else on the local Kafka in this
// process (5 MiB per partition: spread the keys over enough partitions).
//
// The worker is this binary run with --worker (a separate process, so it can be
// killed for real); it counts per key under exactly_once_v2 and writes the
// counts to an output topic. The parent feeds it every key once, waits until
// all are processed and committed, then keeps updating keys and kills it at a
// random point mid-stream.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>

#include "apps/common/cli.h"
#include "bench/key_counts.h"
#include "brook/brook.h"
#include "brook/testing/embedded_kafka.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using brook::bench::check;
using brook::bench::counting;
using brook::bench::key_of;
using brook::bench::produce_keys;
using brook::bench::producer;
using brook::bench::split;

struct Setup {
  std::string bootstrap, state_dir, input, output, app;
};

brook::StreamsConfig config(const Setup& x) {
  return brook::StreamsConfig{{"application.id", x.app},
                              {"bootstrap.servers", x.bootstrap},
                              {"state.dir", x.state_dir},
                              {"processing.guarantee", "exactly_once_v2"},
                              {"consumer.session.timeout.ms", "6000"}};
}

// The worker: runs until killed, printing its processed count.
int worker(const Setup& x) {
  brook::KafkaStreams streams(counting(x.input, x.output), config(x));
  check(streams.start());
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto m = streams.metrics();
    std::printf("processed %lld commits %lld\n", static_cast<long long>(m["process-total"]),
                static_cast<long long>(m["commit-total"]));
    std::fflush(stdout);
    if (streams.state() == brook::KafkaStreams::State::kError) return 1;
  }
}

// The latest committed count of every key in `topic`.
std::unordered_map<std::string, int64_t> read_counts(const std::string& bootstrap,
                                                     const std::string& topic, int partitions) {
  brook::kafka::Conf conf;
  check(brook::kafka::make_conf({{"bootstrap.servers", bootstrap},
                                 {"group.id", "recovery-check"},
                                 {"enable.auto.commit", "false"},
                                 {"enable.partition.eof", "true"},
                                 {"isolation.level", "read_committed"}},
                                &conf));
  brook::kafka::Handle rk;
  check(brook::kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &rk));
  brook::kafka::PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk.get(), list.get());
  std::unordered_map<std::string, int64_t> counts;
  int at_end = 0;
  auto last = Clock::now();
  while (at_end < partitions) {
    brook::kafka::Message m(rd_kafka_consumer_poll(rk.get(), 100));
    if (!m) {
      if (Clock::now() - last > std::chrono::seconds(30)) {
        check(brook::Status::error("reading " + topic + ": nothing for 30 s"));
      }
      continue;
    }
    last = Clock::now();
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++at_end;
      continue;
    }
    if (m->err) check(brook::Status::error(rd_kafka_message_errstr(m.get())));
    int64_t count = 0;
    if (!brook::Serde<int64_t>::deserialize(static_cast<const char*>(m->payload), m->len, count)) {
      check(brook::Status::error("a count that is not an int64"));
    }
    counts[std::string(static_cast<const char*>(m->key), m->key_len)] = count;
  }
  rd_kafka_consumer_close(rk.get());
  return counts;
}

// Fails the benchmark unless every key's latest count is what was written:
// `updates` more for the first keys, once for the rest.
void check_counts(const Setup& x, int partitions, int64_t keys, int64_t updates) {
  auto counts = read_counts(x.bootstrap, x.output, partitions);
  int64_t wrong = 0;
  for (int64_t k = 0; k < keys; ++k) {
    auto it = counts.find(key_of(k));
    int64_t expected = 1 + updates / keys + (k < updates % keys ? 1 : 0);
    if (it == counts.end() || it->second != expected) ++wrong;
  }
  if (wrong > 0 || static_cast<int64_t>(counts.size()) != keys) {
    check(brook::Status::error(std::to_string(wrong) + " of " + std::to_string(keys) +
                               " keys have a wrong count in " + x.output + " (" +
                               std::to_string(counts.size()) + " keys seen)"));
  }
}

struct Worker {
  pid_t pid = -1;
  FILE* progress = nullptr;
};

Worker start_worker(const char* self, const Setup& x) {
  int fds[2];
  if (pipe(fds) != 0) check(brook::Status::error("pipe failed"));
  Worker w;
  w.pid = fork();
  if (w.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    std::string arg =
        x.bootstrap + "," + x.state_dir + "," + x.input + "," + x.output + "," + x.app;
    execl("/proc/self/exe", self, "--worker", arg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  w.progress = fdopen(fds[0], "r");
  return w;
}

// Waits until the worker has processed `n` records and committed them.
void wait_processed(Worker& w, int64_t n) {
  long long processed = 0, commits = 0, commits_at_done = -1;
  char line[128];
  while (std::fgets(line, sizeof line, w.progress)) {
    std::sscanf(line, "processed %lld commits %lld", &processed, &commits);
    if (processed >= n && commits_at_done < 0) commits_at_done = commits;
    if (commits_at_done >= 0 && commits > commits_at_done + 2) return;
  }
  int status = 0;
  waitpid(w.pid, &status, 0);
  check(brook::Status::error("the worker stopped (wait status " + std::to_string(status) + ")"));
}

// While `more` keys are updated, kills the worker at a random point once it
// processes them.
void kill_mid_stream(Worker& w, const Setup& x, int64_t from, int64_t more, int64_t keys) {
  std::thread updates([&] { produce_keys(x.bootstrap, x.input, from, from + more, keys); });
  wait_processed(w, 1);
  std::mt19937 rng(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
  kill(w.pid, SIGKILL);
  waitpid(w.pid, nullptr, 0);
  fclose(w.progress);
  updates.join();
}

struct Recovery {
  double to_running_s;
  int64_t restore_ms;
  int64_t restored;
};

// A restart after the kill: time to RUNNING; then it processes what is left,
// and stops at the end of its input.
Recovery restart(const Setup& x) {
  brook::StreamsConfig c = config(x);
  c.set("stop.at.end", "true");
  brook::KafkaStreams streams(counting(x.input, x.output), c);
  auto t0 = Clock::now();
  check(streams.start());
  if (!streams.wait_for_state(brook::KafkaStreams::State::kRunning, std::chrono::minutes(10))) {
    check(brook::Status::error("did not reach RUNNING: " + streams.error()));
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  auto m = streams.metrics();
  if (streams.run_until_signal() != 0) check(brook::Status::error(streams.error()));
  return Recovery{s, m["restore-time-ms-total"], m["restore-records-total"]};
}

}  // namespace

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-bench-recovery",
                       "Recovery after SIGKILL, with the stores on disk and without.");
  cli.option("bootstrap-servers", "Kafka to use (default: the local Kafka in this process)")
      .option("keys", "distinct keys in the stores (default 1000000)")
      .option("updates", "keys updated while the worker is killed (default 200000)")
      .option("partitions", "input partitions (default 32)")
      .option("worker", "internal: run as the worker with BOOTSTRAP,STATE_DIR,INPUT,OUTPUT,APP");
  std::string error;
  if (!cli.parse(argc, argv, &error) || cli.has("help")) {
    std::cerr << error << "\n" << cli.usage();
    return error.empty() ? 0 : 2;
  }
  if (auto w = cli.get("worker")) {
    std::vector<std::string> parts = split(*w, ',');
    if (parts.size() != 5) {
      std::cerr << "brook-bench-recovery: --worker takes BOOTSTRAP,STATE_DIR,INPUT,OUTPUT,APP\n";
      return 2;
    }
    return worker(Setup{parts[0], parts[1], parts[2], parts[3], parts[4]});
  }
  int64_t keys = std::stoll(cli.get("keys").value_or("1000000"));
  int64_t updates = std::stoll(cli.get("updates").value_or("200000"));
  int partitions = std::stoi(cli.get("partitions").value_or("32"));

  std::unique_ptr<brook::EmbeddedKafka> kafka;
  Setup x;
  std::string run = std::to_string(::getpid());
  if (auto bs = cli.get("bootstrap-servers")) {
    x.bootstrap = *bs;
  } else {
    check(brook::EmbeddedKafka::start(1, &kafka));
    x.bootstrap = kafka->bootstrap_servers();
  }
  x.input = "recovery.input." + run;
  x.output = "recovery.output." + run;
  x.app = "recovery-bench-" + run;
  x.state_dir = (std::filesystem::temp_directory_path() / ("brook-recovery-" + run)).string();
  if (kafka) {
    check(kafka->create_topic(x.input, partitions));
    check(kafka->create_topic(x.output, partitions));
  } else {
    brook::kafka::Handle admin = producer(x.bootstrap);
    std::map<std::string, std::string> keep{{"retention.ms", "-1"}};
    check(brook::ensure_topics(admin.get(),
                               {brook::InternalTopic{x.input, partitions, false, keep},
                                brook::InternalTopic{x.output, partitions, false, keep}},
                               -1, false));
  }
  std::fprintf(stderr, "writing %lld keys...\n", static_cast<long long>(keys));
  produce_keys(x.bootstrap, x.input, 0, keys, keys);

  // 1: the worker holds every key; killed while updates arrive; restarted with
  // its stores.
  Worker w = start_worker(argv[0], x);
  wait_processed(w, keys);
  std::fprintf(stderr, "worker holds %lld keys; updating keys and killing it mid-stream\n",
               static_cast<long long>(keys));
  kill_mid_stream(w, x, 0, updates / 2, keys);
  Recovery with_stores = restart(x);
  check_counts(x, partitions, keys, updates / 2);

  // 2: the same again, but the restart finds no stores (a new machine).
  w = start_worker(argv[0], x);
  kill_mid_stream(w, x, updates / 2, updates - updates / 2, keys);
  std::filesystem::remove_all(x.state_dir);
  Recovery without = restart(x);
  check_counts(x, partitions, keys, updates);
  std::filesystem::remove_all(x.state_dir);

  std::printf(
      "stores hold %lld keys over %d partitions (exactly_once_v2, %s); both restarts "
      "follow a SIGKILL, and both counted every key exactly\n",
      static_cast<long long>(keys), partitions, kafka ? "local Kafka" : x.bootstrap.c_str());
  std::printf("stores on disk : %6.2f s to RUNNING, %6lld ms restoring, %9lld records restored\n",
              with_stores.to_running_s, static_cast<long long>(with_stores.restore_ms),
              static_cast<long long>(with_stores.restored));
  std::printf("no stores      : %6.2f s to RUNNING, %6lld ms restoring, %9lld records restored\n",
              without.to_running_s, static_cast<long long>(without.restore_ms),
              static_cast<long long>(without.restored));
  std::printf(
      "(time to RUNNING includes joining the group, where the killed member still is "
      "until its 6 s session expires)\n");
  return 0;
}
