// brook-bench-workers: several worker processes of one application on one real
// broker. Two measurements:
//
// --mode scaling: throughput with 1, 2 and 3 workers (--workers) counting per
// key under exactly_once_v2: --records records over 6 partitions are written
// first, then the workers start together; the time is from their start until
// the group has committed every input partition to its end (joining the group
// included, as when workers are added to a backlog).
//
// --mode failover: the time from a worker's SIGKILL to its tasks processing
// again on the other worker, with and without standby replicas, for brook
// and (given --peer-classpath) Kafka Streams, on the same broker in the same
// run. Each case: two workers count per key under exactly_once_v2 (6 s
// session timeout, 10 s transaction timeout, both engines); every key is
// written once and processed; keys keep being updated at --rate per second;
// one worker is killed; the time is until every output partition has received
// a new count — the partitions of the surviving worker resume at once, so the
// last is one of the killed worker's, once its task runs again (its store
// restored: whole without a standby, the tail with one).
//
//   scripts/bench-workers.sh --mode failover [--keys 100000,1000000] [--standbys 0,1]
//   scripts/bench-workers.sh --mode scaling [--workers 1,2,3] [--records 6000000]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include "apps/common/cli.h"
#include "bench/key_counts.h"
#include "engine/kafka/group_consumer.h"
#include "engine/kafka/internal_topics.h"

namespace {

using Clock = std::chrono::steady_clock;
using brook::bench::check;
using brook::bench::counting;
using brook::bench::key_of;
using brook::bench::produce_keys;
using brook::bench::producer;
using brook::bench::split;
using S = std::string;

struct Case {
  S engine;  // "brook" or "Kafka Streams"
  int64_t keys;
  int standbys;
};

struct Setup {
  S bootstrap, classpath, state_dir, input, output, app;
  int partitions;
  int standbys;
};

// brook's worker: this binary with --worker; runs until a signal.
int worker(const Setup& x) {
  brook::StreamsConfig c{{"application.id", x.app},
                         {"bootstrap.servers", x.bootstrap},
                         {"state.dir", x.state_dir},
                         {"processing.guarantee", "exactly_once_v2"},
                         {"num.standby.replicas", std::to_string(x.standbys)},
                         {"consumer.session.timeout.ms", "6000"},
                         {"consumer.heartbeat.interval.ms", "500"}};
  brook::KafkaStreams streams(counting(x.input, x.output), c);
  check(streams.start());
  return streams.run_until_signal();
}

pid_t spawn(const std::vector<S>& args, const S& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) {
      dup2(fileno(f), STDOUT_FILENO);
      dup2(fileno(f), STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (const S& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

pid_t start_worker(const Case& c, const Setup& x, const S& name) {
  S dir = x.state_dir + "/" + name;
  if (c.engine == "brook") {
    S arg = x.bootstrap + "," + dir + "," + x.input + "," + x.output + "," + x.app + "," +
            std::to_string(c.standbys);
    return spawn({"/proc/self/exe", "--worker", arg}, x.state_dir + "-" + name + ".log");
  }
  return spawn({"java",
                "-Xmx1g",
                "-cp",
                x.classpath,
                "dev.brook.peer.KeyCount",
                "--bootstrap-servers",
                x.bootstrap,
                "--application-id",
                x.app,
                "--input-topic",
                x.input,
                "--output-topic",
                x.output,
                "--processing-guarantee",
                "exactly_once_v2",
                "--state-dir",
                dir,
                "--property",
                "num.standby.replicas=" + std::to_string(c.standbys),
                "--property",
                "session.timeout.ms=6000",
                "--property",
                "heartbeat.interval.ms=500"},
               x.state_dir + "-" + name + ".log");
}

brook::kafka::Handle consumer(const S& bootstrap, const S& group) {
  brook::kafka::Conf conf;
  check(brook::kafka::make_conf({{"bootstrap.servers", bootstrap},
                                 {"group.id", group},
                                 {"enable.auto.commit", "false"},
                                 {"isolation.level", "read_committed"}},
                                &conf));
  brook::kafka::Handle rk;
  check(brook::kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &rk));
  return rk;
}

// Waits until the application's group has committed every input partition to
// its end (every key counted).
void wait_committed(const Setup& x, std::chrono::seconds timeout) {
  brook::kafka::Handle rk = consumer(x.bootstrap, x.app);
  std::vector<int64_t> ends(x.partitions);
  for (int p = 0; p < x.partitions; ++p) {
    int64_t low = 0;
    check(brook::kafka::watermarks(rk.get(), x.input, p, &low, &ends[p]));
  }
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    brook::kafka::PartitionList list(rd_kafka_topic_partition_list_new(x.partitions));
    for (int p = 0; p < x.partitions; ++p) {
      rd_kafka_topic_partition_list_add(list.get(), x.input.c_str(), p);
    }
    bool done = rd_kafka_committed(rk.get(), list.get(), 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int p = 0; done && p < x.partitions; ++p) done = list->elems[p].offset >= ends[p];
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  check(brook::Status::error("the workers did not process every key in time"));
}

// Waits until the group is stable with two members sharing the input.
void wait_shared(const Setup& x, std::chrono::seconds timeout) {
  brook::kafka::Handle rk = producer(x.bootstrap);
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::vector<brook::GroupMemberInfo> members;
    bool stable = false;
    brook::Status s =
        brook::describe_group(rk.get(), x.app, std::chrono::seconds(5), &members, &stable);
    int sharing = 0;
    for (const brook::GroupMemberInfo& m : members) {
      for (const brook::TopicPartition& tp : m.partitions) {
        if (tp.topic == x.input) {
          ++sharing;
          break;
        }
      }
    }
    if (s && stable && sharing == 2) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  check(brook::Status::error("the two workers did not share the input in time"));
}

// Seconds from now (the kill) until every output partition has a new record.
double wait_every_partition(const Setup& x, std::chrono::seconds timeout, Clock::time_point t0) {
  brook::kafka::Handle rk = consumer(x.bootstrap, x.app + "-watch");
  brook::kafka::PartitionList list(rd_kafka_topic_partition_list_new(x.partitions));
  for (int p = 0; p < x.partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), x.output.c_str(), p)->offset =
        RD_KAFKA_OFFSET_END;
  }
  check(rd_kafka_assign(rk.get(), list.get()) ? brook::Status::error("assign failed")
                                              : brook::Status::ok());
  std::vector<bool> seen(x.partitions, false);
  int left = x.partitions;
  double last = 0;
  while (left > 0) {
    if (Clock::now() - t0 > timeout) {
      check(brook::Status::error(std::to_string(left) + " output partitions got nothing"));
    }
    brook::kafka::Message m(rd_kafka_consumer_poll(rk.get(), 100));
    if (!m || m->err) continue;
    if (seen[m->partition]) continue;
    seen[m->partition] = true;
    --left;
    last = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  rd_kafka_consumer_close(rk.get());
  return last;
}

// Fresh topics, application id and state directory for one case.
Setup fresh(Setup x, const S& what) {
  static int n = 0;
  S run = std::to_string(::getpid()) + "-" + std::to_string(++n);
  x.input = what + ".input." + run;
  x.output = what + ".output." + run;
  x.app = what + "-bench-" + run;
  x.state_dir = (std::filesystem::temp_directory_path() / ("brook-" + what + "-" + run)).string();
  std::filesystem::create_directories(x.state_dir);
  brook::kafka::Handle admin = producer(x.bootstrap);
  std::map<S, S> keep{{"retention.ms", "-1"}};
  check(brook::ensure_topics(admin.get(),
                             {brook::InternalTopic{x.input, x.partitions, false, keep},
                              brook::InternalTopic{x.output, x.partitions, false, keep}},
                             -1, false));
  return x;
}

// Records per second of `workers` brook workers through `records` records.
double run_scaling(int workers, int64_t records, int64_t keys, const Setup& base) {
  Setup x = fresh(base, "scaling");
  produce_keys(x.bootstrap, x.input, 0, records, keys);
  Case c{"brook", keys, 0};
  auto t0 = Clock::now();
  std::vector<pid_t> pids;
  for (int w = 0; w < workers; ++w) {
    S name = "w";
    name += std::to_string(w);  // (not "w" + ...: g++ 12 -O3 warns falsely, -Wrestrict)
    pids.push_back(start_worker(c, x, name));
  }
  wait_committed(x, std::chrono::minutes(30));
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (pid_t p : pids) kill(p, SIGTERM);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  std::filesystem::remove_all(x.state_dir);
  std::fprintf(stderr, "%d workers: %lld records in %.2f s\n", workers,
               static_cast<long long>(records), seconds);
  return static_cast<double>(records) / seconds;
}

double run_case(const Case& c, Setup x) {
  x = fresh(x, "failover");
  x.standbys = c.standbys;
  pid_t a = start_worker(c, x, "a");
  pid_t b = start_worker(c, x, "b");
  // The keys are written once both share the tasks: each task's store is
  // built by its owner alone, the other worker holding no state of it but
  // (with standbys) its copy.
  wait_shared(x, std::chrono::minutes(2));
  produce_keys(x.bootstrap, x.input, 0, c.keys, c.keys);
  wait_committed(x, std::chrono::minutes(10));
  // Standbys catch up; then keys keep changing while one worker dies.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  std::atomic<bool> stop{false};
  std::thread updates([&] {
    brook::kafka::Handle rk = producer(x.bootstrap);
    std::mt19937_64 rng(7);
    while (!stop.load()) {
      for (int i = 0; i < 100; ++i) {
        S key = key_of(static_cast<int64_t>(rng() % c.keys));
        rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(x.input.c_str()),
                          RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>("1"), 1),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      }
      rd_kafka_poll(rk.get(), 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // 2000 per second
    }
    rd_kafka_flush(rk.get(), 30000);
  });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto t0 = Clock::now();
  kill(b, SIGKILL);
  waitpid(b, nullptr, 0);
  double seconds = wait_every_partition(x, std::chrono::minutes(5), t0);
  stop = true;
  updates.join();
  kill(a, SIGTERM);
  waitpid(a, nullptr, 0);
  std::filesystem::remove_all(x.state_dir);
  std::fprintf(stderr, "%s, %lld keys, %d standby: %.2f s\n", c.engine.c_str(),
               static_cast<long long>(c.keys), c.standbys, seconds);
  return seconds;
}

std::vector<int64_t> numbers(const S& list) {
  std::vector<int64_t> out;
  for (const S& item : split(list, ',')) out.push_back(std::stoll(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-bench-workers",
                       "Several workers: throughput by worker count, and failover after SIGKILL.");
  cli.option("bootstrap-servers", "a real Kafka")
      .option("keys", "store sizes in keys, comma-separated (default 100000,1000000)")
      .option("standbys", "num.standby.replicas values (default 0,1)")
      .option("mode", "failover (default) or scaling")
      .option("workers", "scaling: worker counts, comma-separated (default 1,2,3)")
      .option("records", "scaling: records to process (default 6000000, over 100000 keys)")
      .option("partitions", "input partitions (default 8; scaling: 6)")
      .option("rounds", "failover: kills per case; the median is reported (default 3)")
      .option("peer-classpath", "Kafka Streams peer classpath (bench/peers/kafka-streams)")
      .option("worker", "internal: BOOTSTRAP,STATE_DIR,INPUT,OUTPUT,APP,STANDBYS");
  S error;
  if (!cli.parse(argc, argv, &error) || cli.has("help")) {
    std::cerr << error << "\n" << cli.usage();
    return error.empty() ? 0 : 2;
  }
  if (auto w = cli.get("worker")) {
    std::vector<S> parts = split(*w, ',');
    if (parts.size() != 6) {
      std::cerr
          << "brook-bench-workers: --worker takes BOOTSTRAP,STATE_DIR,INPUT,OUTPUT,APP,STANDBYS\n";
      return 2;
    }
    Setup x;
    x.bootstrap = parts[0];
    x.state_dir = parts[1];
    x.input = parts[2];
    x.output = parts[3];
    x.app = parts[4];
    x.standbys = std::stoi(parts[5]);
    return worker(x);
  }
  Setup x;
  if (!cli.get("bootstrap-servers")) {
    std::cerr << "brook-bench-workers: --bootstrap-servers is required\n";
    return 2;
  }
  x.bootstrap = *cli.get("bootstrap-servers");
  x.classpath = cli.get("peer-classpath").value_or("");
  S mode = cli.get("mode").value_or("failover");
  if (mode == "scaling") {
    x.partitions = std::stoi(cli.get("partitions").value_or("6"));
    x.standbys = 0;
    int64_t records = std::stoll(cli.get("records").value_or("6000000"));
    std::vector<std::pair<int64_t, double>> rows;
    for (int64_t w : numbers(cli.get("workers").value_or("1,2,3"))) {
      rows.push_back({w, run_scaling(static_cast<int>(w), records, 100000, x)});
    }
    std::printf(
        "brook workers counting %lld records over 100000 keys, %d partitions, exactly_once_v2, "
        "%u cores, %s\n| workers | records/s | vs 1 worker |\n|---:|---:|---:|\n",
        static_cast<long long>(records), x.partitions, std::thread::hardware_concurrency(),
        x.bootstrap.c_str());
    for (const auto& [w, rate] : rows) {
      std::printf("| %lld | %.0f | %.2f |\n", static_cast<long long>(w), rate,
                  rate / rows.front().second);
    }
    return 0;
  }
  if (mode != "failover") {
    std::cerr << "brook-bench-workers: --mode is failover or scaling\n";
    return 2;
  }
  x.partitions = std::stoi(cli.get("partitions").value_or("8"));
  std::vector<S> engines{"brook"};
  if (!x.classpath.empty()) engines.push_back("Kafka Streams");
  struct Row {
    Case c;
    std::vector<double> seconds;
  };
  int rounds = std::stoi(cli.get("rounds").value_or("3"));
  std::vector<Row> rows;
  for (int64_t keys : numbers(cli.get("keys").value_or("100000,1000000"))) {
    for (int64_t standbys : numbers(cli.get("standbys").value_or("0,1"))) {
      for (const S& engine : engines) rows.push_back({Case{engine, keys, int(standbys)}, {}});
    }
  }
  // Rounds interleave the cases, so that the broker's state drifts alike for all.
  for (int r = 0; r < rounds; ++r) {
    for (Row& row : rows) row.seconds.push_back(run_case(row.c, x));
  }
  std::printf(
      "SIGKILL to processing again elsewhere (two workers, %d partitions, exactly_once_v2, "
      "6 s session timeout, 10 s transaction timeout, %s)\n",
      x.partitions, x.bootstrap.c_str());
  std::printf("| engine | keys | standbys | seconds, median of %d | all rounds |\n", rounds);
  std::printf("|---|---:|---:|---:|---|\n");
  for (Row& r : rows) {
    S all;
    for (double v : r.seconds) all += (all.empty() ? "" : ", ") + std::to_string(v).substr(0, 5);
    std::sort(r.seconds.begin(), r.seconds.end());
    std::printf("| %s | %lld | %d | %.2f | %s |\n", r.c.engine.c_str(),
                static_cast<long long>(r.c.keys), r.c.standbys, r.seconds[r.seconds.size() / 2],
                all.c_str());
  }
  return 0;
}
