// brook-bench-recovery: recovery of an exactly-once worker killed with SIGKILL
// while its stores hold `--keys` keys (default 1M, spread over `--partitions`
// partitions for the local Kafka's 5 MiB retention), against a full restore of
// the same stores from their changelogs. Both measured in one run on the same
// local Kafka: time from start() to RUNNING, time spent restoring, and records
// restored.
//
// The worker is this binary run with --worker (a separate process, so it can be
// killed for real); it counts per key under exactly_once_v2. The parent feeds it
// every key once, waits until all are processed and committed, then keeps
// updating keys and kills it at a random point mid-stream.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "apps/common/cli.h"
#include "brook/brook.h"
#include "engine/kafka_client.h"

namespace {

using Clock = std::chrono::steady_clock;

void check(const brook::Status& s) {
  if (!s) {
    std::cerr << "brook-bench-recovery: " << s.message() << "\n";
    std::exit(1);
  }
}

brook::Topology counting(const std::string& input) {
  brook::StreamsBuilder b;
  b.stream<std::string, std::string>(input).group_by_key().count(brook::Materialized::as("counts"));
  return b.build();
}

brook::StreamsConfig config(const std::string& bootstrap, const std::string& state_dir) {
  return brook::StreamsConfig{{"application.id", "recovery-bench"},
                              {"bootstrap.servers", bootstrap},
                              {"state.dir", state_dir},
                              {"processing.guarantee", "exactly_once_v2"},
                              {"consumer.session.timeout.ms", "6000"}};
}

// The worker: runs until killed, printing its processed count.
int worker(const std::string& bootstrap, const std::string& state_dir, const std::string& input) {
  brook::KafkaStreams streams(counting(input), config(bootstrap, state_dir));
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

void produce_keys(const std::string& bootstrap, const std::string& topic, int64_t from, int64_t to,
                  int64_t modulo) {
  brook::kafka::Conf conf;
  check(brook::kafka::make_conf({{"bootstrap.servers", bootstrap}, {"linger.ms", "20"},
                                 {"partitioner", "murmur2_random"}, {"compression.type", "lz4"}},
                                &conf));
  brook::kafka::Handle rk;
  check(brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk));
  char key[32];
  for (int64_t i = from; i < to; ++i) {
    int n = std::snprintf(key, sizeof key, "key-%08lld", static_cast<long long>(i % modulo));
    while (rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key, n),
                             RD_KAFKA_V_VALUE(const_cast<char*>("1"), 1),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk.get(), 10);
    }
  }
  rd_kafka_flush(rk.get(), 120000);
}

struct Recovery {
  double to_running_s;
  int64_t restore_ms;
  int64_t restored;
};

Recovery restart(const std::string& bootstrap, const std::string& state_dir, const std::string& input) {
  brook::KafkaStreams streams(counting(input), config(bootstrap, state_dir));
  auto t0 = Clock::now();
  check(streams.start());
  if (!streams.wait_for_state(brook::KafkaStreams::State::kRunning, std::chrono::minutes(10))) {
    check(brook::Status::error("did not reach RUNNING: " + streams.error()));
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  auto m = streams.metrics();
  streams.close();
  return Recovery{s, m["restore-time-ms-total"], m["restore-records-total"]};
}

}  // namespace

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-bench-recovery", "Recovery after SIGKILL vs a full restore.");
  cli.option("keys", "distinct keys in the stores (default 1000000)")
      .option("partitions", "input partitions (default 32)")
      .option("worker", "internal: run as the worker with BOOTSTRAP,STATE_DIR,INPUT");
  std::string error;
  if (!cli.parse(argc, argv, &error) || cli.has("help")) {
    std::cerr << error << "\n" << cli.usage();
    return error.empty() ? 0 : 2;
  }
  if (auto w = cli.get("worker")) {
    size_t a = w->find(','), b = w->find(',', a + 1);
    return worker(w->substr(0, a), w->substr(a + 1, b - a - 1), w->substr(b + 1));
  }
  int64_t keys = std::stoll(cli.get("keys").value_or("1000000"));
  int partitions = std::stoi(cli.get("partitions").value_or("32"));

  std::unique_ptr<brook::EmbeddedKafka> kafka;
  check(brook::EmbeddedKafka::start(1, &kafka));
  std::string bootstrap = kafka->bootstrap_servers();
  std::string input = "recovery.input";
  std::string state_dir =
      (std::filesystem::temp_directory_path() / ("brook-recovery-" + std::to_string(::getpid()))).string();
  check(kafka->create_topic(input, partitions));
  std::fprintf(stderr, "writing %lld keys...\n", static_cast<long long>(keys));
  produce_keys(bootstrap, input, 0, keys, keys);

  // Start the worker and read its progress from a pipe.
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    std::string arg = bootstrap + "," + state_dir + "," + input;
    execl("/proc/self/exe", argv[0], "--worker", arg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* progress = fdopen(fds[0], "r");
  long long processed = 0, commits = 0, commits_at_done = -1;
  char line[128];
  while (std::fgets(line, sizeof line, progress)) {
    std::sscanf(line, "processed %lld commits %lld", &processed, &commits);
    if (processed >= keys && commits_at_done < 0) commits_at_done = commits;
    if (commits_at_done >= 0 && commits > commits_at_done + 2) break;  // all keys committed
  }
  std::fprintf(stderr, "worker holds %lld keys; updating keys and killing it mid-stream\n",
               static_cast<long long>(keys));
  std::thread updates([&] { produce_keys(bootstrap, input, 0, 200000, keys); });
  std::mt19937 rng(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  fclose(progress);
  updates.join();

  Recovery after_kill = restart(bootstrap, state_dir, input);
  std::filesystem::remove_all(state_dir);
  Recovery full = restart(bootstrap, state_dir, input);
  std::filesystem::remove_all(state_dir);

  std::printf("stores hold %lld keys over %d partitions (exactly_once_v2)\n",
              static_cast<long long>(keys), partitions);
  std::printf("after SIGKILL : %6.2f s to RUNNING, %6lld ms restoring, %9lld records restored\n",
              after_kill.to_running_s, static_cast<long long>(after_kill.restore_ms),
              static_cast<long long>(after_kill.restored));
  std::printf("full restore  : %6.2f s to RUNNING, %6lld ms restoring, %9lld records restored\n",
              full.to_running_s, static_cast<long long>(full.restore_ms),
              static_cast<long long>(full.restored));
  std::printf("(time to RUNNING includes the local Kafka's consumer-group join, ~3-6 s for both)\n");
  return 0;
}
