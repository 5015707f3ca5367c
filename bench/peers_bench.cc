// brook-bench-peers: brook against Kafka Streams, side by side on the same real
// broker, same input, same guarantee and commit interval, one after the other
// in one run (scripts/bench-peers.sh builds everything and starts the broker).
// --workload picks the topology: running-totals (default), windowed-sales
// (hopping windows of 10 minutes every 5 by transaction_time; done when the
// windows count every purchase twice) or purchase-enrichment (the products
// table, preloaded, left-joined with the re-keyed purchases; done at one
// output per purchase); the same in brook and in the Kafka Streams peer.
//
// Contenders, each a worker process started fresh (its own group, state and
// output topic) on the same preloaded input of purchases:
//   raw pipe            brook-bench-raw-pipe: every record copied, untouched
//                       (librdkafka alone, with brook's client loop)
//   brook               brook-running-totals as it runs by default: purchases
//                       combined per product before the repartition topic
//   brook per record    brook-running-totals --no-combine: every purchase
//                       crosses the repartition topic, as in Kafka Streams
//   Kafka Streams       bench/peers/kafka-streams: the same topology (the seed
//                       application of this project), Kafka Streams 4.4
//
// For each: time from process start to RUNNING (its partitions taken), to the
// first output record, and to done; throughput = input records / (done -
// RUNNING); the worker's CPU seconds per million input records and its peak RSS
// (getrusage of the child, start to exit: start-up and shutdown included, for
// all alike). Done: the output topic (read_committed under exactly-once) holds
// totals that count every purchase exactly once (the raw pipe: a copy of every
// record). The worker is then stopped with SIGTERM. A contender that does not
// get there within --timeout-s fails the run. Rounds repeat it all (the order
// of contenders alternating); the summary gives medians, and ratios paired
// within a round.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "apps/common/cli.h"
#include "apps/running_totals/running_totals.h"
#include "apps/sales_generator/sales_model.h"
#include "apps/windowed_sales/windowed_sales.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"

namespace {

using Clock = std::chrono::steady_clock;

void check(const brook::Status& s) {
  if (!s) {
    std::cerr << "brook-bench-peers: " << s.message() << "\n";
    std::exit(1);
  }
}

struct Options {
  std::string bootstrap;
  std::string input;
  int partitions = 32;
  int64_t records = 1000000;
  std::string work;  // state dirs and logs
  int timeout_s = 900;
  std::string raw_pipe_bin, running_totals_bin, java, peer_classpath, jvm_options;
  std::string workload = "running-totals";
  std::string windowed_sales_bin, enrichment_bin;
  std::string products;  // purchase-enrichment: the products topic
};

// What a contender's output must hold when it is done.
enum class Done { kCopies, kTotals, kWindows };

brook::kafka::Handle admin(const Options& o) {
  brook::kafka::Conf conf;
  check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap}, {"linger.ms", "20"}}, &conf));
  brook::kafka::Handle rk;
  check(brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk));
  return rk;
}

void create_topic(const Options& o, const std::string& topic) {
  brook::kafka::Handle rk = admin(o);
  // The input carries its purchases' event times (fixed, in 2022): kept from
  // the broker's time retention.
  check(brook::ensure_topics(
      rk.get(), {brook::InternalTopic{topic, o.partitions, false, {{"retention.ms", "-1"}}}}, -1,
      false));
}

// `records` purchases spread evenly over the partitions, no key.
void preload(const Options& o) {
  brook::kafka::Handle rk = admin(o);
  brook::demo::SalesModel model(99, 1669907853000000);
  for (int64_t i = 0; i < o.records; ++i) {
    std::string v = brook::demo::SalesModel::purchase_json(model.next_purchase(1000));
    while (rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(o.input.c_str()),
                             RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % o.partitions)),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE(v.data(), v.size()),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk.get(), 10);
    }
  }
  if (o.workload == "purchase-enrichment") {
    for (const auto& p : brook::demo::products()) {
      std::string v = brook::demo::SalesModel::product_json(p, 1669907853000000);
      while (rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(o.products.c_str()),
                               RD_KAFKA_V_KEY(const_cast<char*>(p.id), std::strlen(p.id)),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_VALUE(v.data(), v.size()),
                               RD_KAFKA_V_TIMESTAMP(1669907853000),
                               RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk.get(), 10);
      }
    }
  }
  if (rd_kafka_flush(rk.get(), 300000)) check(brook::Status::error("preload flush timed out"));
}

struct Result {
  double to_running = -1, to_first_output = -1, to_done = -1;
  double throughput = 0;   // input records per second from RUNNING to done
  double cpu_s_per_m = 0;  // CPU seconds per million input records
  double peak_rss_mb = 0;
  std::string failure;
};

// Watches `topic` from the beginning (read_committed when asked) until what it
// holds counts every input record: totals (latest per product, in offset order
// per partition) whose transactions add up to `records`, windows (latest per
// product and window) whose transactions add up to twice `records` (a
// purchase falls in two hopping windows), or `records` copies.
class OutputWatch {
 public:
  OutputWatch(const Options& o, const std::string& topic, bool read_committed, Done mode)
      : records_(mode == Done::kWindows ? 2 * o.records : o.records), mode_(mode) {
    brook::kafka::Conf conf;
    check(brook::kafka::make_conf(
        {{"bootstrap.servers", o.bootstrap},
         {"group.id", "brook-bench-peers-watch"},
         {"enable.auto.commit", "false"},
         {"isolation.level", read_committed ? "read_committed" : "read_uncommitted"}},
        &conf));
    check(brook::kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &rk_));
    brook::kafka::PartitionList list(rd_kafka_topic_partition_list_new(o.partitions));
    for (int p = 0; p < o.partitions; ++p) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk_.get(), list.get());
    queue_ = rd_kafka_queue_get_consumer(rk_.get());
  }
  ~OutputWatch() {
    rd_kafka_queue_destroy(queue_);
    rd_kafka_consumer_close(rk_.get());
  }
  // Reads what arrived within `wait_ms`; whether anything has arrived so far.
  void poll(int wait_ms) {
    rd_kafka_message_t* batch[1000];
    ssize_t n = rd_kafka_consume_batch_queue(queue_, wait_ms, batch, 1000);
    for (ssize_t i = 0; i < n; ++i) {
      brook::kafka::Message m(batch[i]);
      if (m->err) continue;
      ++seen_;
      if (mode_ == Done::kCopies || !m->payload) continue;
      std::string key;
      int64_t transactions = 0;
      if (mode_ == Done::kTotals) {
        brook::demo::RunningTotal t;
        if (!brook::Serde<brook::demo::RunningTotal>::deserialize(
                static_cast<const char*>(m->payload), m->len, t)) {
          bad_ = true;
          continue;
        }
        key = t.product_id;
        transactions = t.transactions;
      } else {
        brook::demo::WindowedSalesRecord w;
        if (!brook::Serde<brook::demo::WindowedSalesRecord>::deserialize(
                static_cast<const char*>(m->payload), m->len, w)) {
          bad_ = true;
          continue;
        }
        key = w.product_id + "@" + w.window_start;
        transactions = w.transactions;
      }
      int64_t& latest = latest_[key];
      counted_ += transactions - latest;
      latest = transactions;
    }
  }
  bool any() const { return seen_ > 0; }
  bool done() const { return mode_ != Done::kCopies ? counted_ == records_ : seen_ >= records_; }
  bool malformed() const { return bad_; }
  int64_t counted() const { return mode_ != Done::kCopies ? counted_ : seen_; }
  int64_t target() const { return records_; }

 private:
  brook::kafka::Handle rk_;
  rd_kafka_queue_t* queue_ = nullptr;
  int64_t records_;
  Done mode_;
  int64_t seen_ = 0, counted_ = 0;
  bool bad_ = false;
  std::map<std::string, int64_t> latest_;
};

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool log_says_running(const std::string& path) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line == "RUNNING" || line.find("to RUNNING") != std::string::npos) return true;
  }
  return false;
}

// Runs `argv` as a worker writing `output`; see the file's comment.
Result run(const Options& o, const std::vector<std::string>& argv, const std::string& output,
           bool read_committed, Done mode, const std::string& log) {
  create_topic(o, output);
  OutputWatch watch(o, output, read_committed, mode);
  Result r;
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  auto deadline = start + std::chrono::seconds(o.timeout_s);
  bool exited = false;
  int status = 0;
  struct rusage usage {};
  while (!watch.done()) {
    watch.poll(5);
    if (r.to_running < 0 && log_says_running(log)) r.to_running = since(start);
    if (r.to_first_output < 0 && watch.any()) r.to_first_output = since(start);
    if (::wait4(pid, &status, WNOHANG, &usage) == pid) {
      exited = true;
      r.failure = "exited before its output was complete (" + std::to_string(watch.counted()) +
                  " of " + std::to_string(watch.target()) + " counted); see " + log;
      break;
    }
    if (Clock::now() > deadline) {
      r.failure = "not done within " + std::to_string(o.timeout_s) + " s (" +
                  std::to_string(watch.counted()) + " of " + std::to_string(watch.target()) +
                  " counted); see " + log;
      break;
    }
  }
  if (watch.done()) {
    r.to_done = since(start);
    if (r.to_running < 0 && log_says_running(log)) r.to_running = r.to_done;
  }
  if (watch.malformed()) r.failure = "malformed output; see " + log;
  if (!exited) {
    ::kill(pid, SIGTERM);
    auto stop_deadline = Clock::now() + std::chrono::seconds(60);
    while (::wait4(pid, &status, WNOHANG, &usage) != pid) {
      if (Clock::now() > stop_deadline) {
        ::kill(pid, SIGKILL);
        ::wait4(pid, &status, 0, &usage);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
               usage.ru_stime.tv_usec / 1e6;
  r.cpu_s_per_m = cpu / o.records * 1e6;
  r.peak_rss_mb = usage.ru_maxrss / 1024.0;
  if (r.to_done > 0 && r.to_running >= 0) r.throughput = o.records / (r.to_done - r.to_running);
  return r;
}

struct Contender {
  std::string name;
  bool counted;  // its output is the workload's (else copies of the input)
};

std::vector<std::string> command(const Options& o, const std::string& name, bool eos,
                                 const std::string& id, const std::string& output, int commit_ms) {
  std::string guarantee = eos ? "exactly_once_v2" : "at_least_once";
  std::string state = o.work + "/" + id;
  std::vector<std::string> common = {"--bootstrap-servers",
                                     o.bootstrap,
                                     "--application-id",
                                     id,
                                     "--input-topic",
                                     o.input,
                                     "--output-topic",
                                     output,
                                     "--processing-guarantee",
                                     guarantee,
                                     "--commit-interval-ms",
                                     std::to_string(commit_ms),
                                     "--state-dir",
                                     state};
  std::vector<std::string> argv;
  if (name == "raw pipe") {
    argv = {o.raw_pipe_bin,
            "--bootstrap-servers",
            o.bootstrap,
            "--input-topic",
            o.input,
            "--output-topic",
            output,
            "--group",
            id,
            "--commit-interval-ms",
            std::to_string(commit_ms)};
    if (eos) argv.push_back("--transactional");
    return argv;
  }
  // The windows' grace covers the whole input, whatever order the partitions
  // are read in: no purchase is late, and the windows count every one.
  if (o.workload == "windowed-sales") common.insert(common.end(), {"--grace", "600"});
  if (o.workload == "purchase-enrichment")
    common.insert(common.end(), {"--products-topic", o.products});
  if (name == "Kafka Streams") {
    argv = {o.java};
    std::istringstream jvm(o.jvm_options);
    for (std::string opt; jvm >> opt;) argv.push_back(opt);
    const char* cls = o.workload == "windowed-sales"        ? "dev.brook.peer.WindowedSales"
                      : o.workload == "purchase-enrichment" ? "dev.brook.peer.PurchaseEnrichment"
                                                            : "dev.brook.peer.RunningTotals";
    argv.insert(argv.end(), {"-cp", o.peer_classpath, cls});
  } else if (o.workload == "windowed-sales") {
    argv = {o.windowed_sales_bin};
  } else if (o.workload == "purchase-enrichment") {
    argv = {o.enrichment_bin};
  } else {
    argv = {o.running_totals_bin};
    if (name == "brook per record") argv.push_back("--no-combine");
  }
  argv.insert(argv.end(), common.begin(), common.end());
  return argv;
}

void print_row(const std::string& name, const Result& r) {
  if (!r.failure.empty()) {
    std::printf("  %-18s FAILED: %s\n", name.c_str(), r.failure.c_str());
    return;
  }
  std::printf("  %-18s %10.0f %9.2f %10.1f %9.2f %9.2f %9.2f\n", name.c_str(), r.throughput,
              r.cpu_s_per_m, r.peak_rss_mb, r.to_running, r.to_first_output, r.to_done);
}

}  // namespace

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-bench-peers",
                       "brook vs Kafka Streams vs the raw librdkafka pipe on one real broker.");
  cli.option("bootstrap-servers", "the broker (required; scripts/bench-peers.sh starts one)")
      .option("records", "input purchases (default 1000000)")
      .option("partitions", "input partitions (default 32)")
      .option("guarantees", "comma-separated (default at_least_once,exactly_once_v2)")
      .option("commit-interval-ms",
              "commit interval of every contender under both guarantees (default 100, both "
              "systems' exactly_once_v2 default, so that the guarantees compare like with like)")
      .option("rounds", "rounds; the summary gives medians (default 3)")
      .option("raw-pipe", "brook-bench-raw-pipe binary (required)")
      .option("running-totals", "brook-running-totals binary (required)")
      .option("workload", "running-totals (default), windowed-sales or purchase-enrichment")
      .option("windowed-sales", "brook-windowed-sales binary (for that workload)")
      .option("purchase-enrichment", "brook-purchase-enrichment binary (for that workload)")
      .option("peer-classpath", "classpath of the Kafka Streams peer (required)")
      .option("java", "java binary (default java)")
      .option("jvm-options", "options of the peer's JVM (default -Xmx1g)")
      .option("only", "comma-separated contenders to run (default: all)")
      .option("timeout-s", "per contender (default 900)");
  std::string error;
  if (!cli.parse(argc, argv, &error) || cli.has("help") || !cli.get("bootstrap-servers") ||
      !cli.get("raw-pipe") || !cli.get("running-totals") || !cli.get("peer-classpath")) {
    std::cerr << error << "\n" << cli.usage();
    return cli.has("help") ? 0 : 2;
  }
  Options o;
  o.bootstrap = *cli.get("bootstrap-servers");
  o.records = std::stoll(cli.get("records").value_or("1000000"));
  o.partitions = std::stoi(cli.get("partitions").value_or("32"));
  o.timeout_s = std::stoi(cli.get("timeout-s").value_or("900"));
  o.raw_pipe_bin = *cli.get("raw-pipe");
  o.running_totals_bin = *cli.get("running-totals");
  o.peer_classpath = *cli.get("peer-classpath");
  o.java = cli.get("java").value_or("java");
  o.jvm_options = cli.get("jvm-options").value_or("-Xmx1g");
  o.workload = cli.get("workload").value_or("running-totals");
  o.windowed_sales_bin = cli.get("windowed-sales").value_or("");
  o.enrichment_bin = cli.get("purchase-enrichment").value_or("");
  if (o.workload != "running-totals" && o.workload != "windowed-sales" &&
      o.workload != "purchase-enrichment") {
    std::cerr << "brook-bench-peers: unknown --workload " << o.workload << "\n";
    return 2;
  }
  if ((o.workload == "windowed-sales" && o.windowed_sales_bin.empty()) ||
      (o.workload == "purchase-enrichment" && o.enrichment_bin.empty())) {
    std::cerr << "brook-bench-peers: --" << o.workload << " names the app's binary\n";
    return 2;
  }
  int commit_ms = std::stoi(cli.get("commit-interval-ms").value_or("100"));
  int rounds = std::stoi(cli.get("rounds").value_or("3"));
  std::string run_id = std::to_string(::getpid());
  o.input = "bench.peers.purchases." + run_id;
  o.products = "bench.peers.products." + run_id;
  o.work = (std::filesystem::temp_directory_path() / ("brook-bench-peers-" + run_id)).string();
  std::filesystem::create_directories(o.work);
  std::vector<std::string> guarantees;
  {
    std::istringstream in(cli.get("guarantees").value_or("at_least_once,exactly_once_v2"));
    for (std::string g; std::getline(in, g, ',');) guarantees.push_back(g);
  }
  std::vector<Contender> contenders = {
      {"raw pipe", false}, {"brook", true}, {"brook per record", true}, {"Kafka Streams", true}};
  if (o.workload != "running-totals") {
    contenders = {{"raw pipe", false}, {"brook", true}, {"Kafka Streams", true}};
  }
  if (auto only = cli.get("only")) {
    std::vector<Contender> kept;
    for (const Contender& c : contenders) {
      if (("," + *only + ",").find("," + c.name + ",") != std::string::npos) kept.push_back(c);
    }
    contenders = kept;
  }

  create_topic(o, o.input);
  if (o.workload == "purchase-enrichment") create_topic(o, o.products);
  std::fprintf(stderr, "preloading %lld purchases into %d partitions...\n",
               static_cast<long long>(o.records), o.partitions);
  preload(o);
  std::printf("brook-bench-peers: %s, %lld purchases, %d partitions, broker %s; JVM %s\n",
              o.workload.c_str(), static_cast<long long>(o.records), o.partitions,
              o.bootstrap.c_str(), o.jvm_options.c_str());
  int failures = 0;
  // ratio name -> one value per round
  std::map<std::string, std::vector<double>> ratios;
  std::map<std::string, std::vector<double>> rss, throughputs;  // by "guarantee/contender"
  for (int round = 0; round < rounds; ++round) {
    std::map<std::string, std::map<std::string, Result>> results;  // guarantee -> contender
    for (size_t gi = 0; gi < guarantees.size(); ++gi) {
      bool eos = guarantees[gi] == "exactly_once_v2";
      std::printf("\nround %d, %s, commit.interval.ms=%d, 1 stream thread\n", round + 1,
                  guarantees[gi].c_str(), commit_ms);
      std::printf("  %-18s %10s %9s %10s %9s %9s %9s\n", "", "records/s", "CPU s/M", "peak RSS MB",
                  "RUNNING", "1st out", "done");
      // Alternate the order: no contender always runs first.
      std::vector<Contender> order = contenders;
      if ((gi + round) % 2) std::reverse(order.begin(), order.end());
      for (const Contender& c : order) {
        std::string tag = c.name;
        std::replace(tag.begin(), tag.end(), ' ', '-');
        std::string id =
            "bench-" + run_id + "-" + std::to_string(round) + "-" + guarantees[gi] + "-" + tag;
        std::string output = id + "-out";
        Done mode = !c.counted                            ? Done::kCopies
                    : o.workload == "windowed-sales"      ? Done::kWindows
                    : o.workload == "purchase-enrichment" ? Done::kCopies
                                                          : Done::kTotals;
        Result r = run(o, command(o, c.name, eos, id, output, commit_ms), output, eos, mode,
                       o.work + "/" + id + ".log");
        if (!r.failure.empty()) ++failures;
        print_row(c.name, r);
        std::fflush(stdout);
        results[guarantees[gi]][c.name] = r;
        if (r.failure.empty()) {
          rss[guarantees[gi] + "/" + c.name].push_back(r.peak_rss_mb);
          throughputs[guarantees[gi] + "/" + c.name].push_back(r.throughput);
        }
      }
      auto& g = results[guarantees[gi]];
      auto ok = [&](const char* name) { return g.count(name) && g[name].failure.empty(); };
      for (const char* name : {"brook", "brook per record"}) {
        if (!ok(name) || !ok("Kafka Streams")) continue;
        const Result& ks = g["Kafka Streams"];
        std::string key = guarantees[gi] + ": " + name + " / Kafka Streams";
        ratios[key + ", throughput"].push_back(g[name].throughput / ks.throughput);
        ratios[key + ", CPU per record"].push_back(g[name].cpu_s_per_m / ks.cpu_s_per_m);
        ratios[key + ", peak RSS"].push_back(g[name].peak_rss_mb / ks.peak_rss_mb);
        ratios[key + ", time to first output"].push_back(g[name].to_first_output /
                                                         ks.to_first_output);
      }
      if (ok("brook") && ok("raw pipe")) {
        ratios[guarantees[gi] + ": brook / raw pipe, throughput"].push_back(
            g["brook"].throughput / g["raw pipe"].throughput);
      }
    }
    if (results.count("at_least_once") && results.count("exactly_once_v2")) {
      for (const char* name : {"brook", "brook per record", "Kafka Streams"}) {
        const Result& a = results["at_least_once"][name];
        const Result& e = results["exactly_once_v2"][name];
        if (a.failure.empty() && e.failure.empty() && a.throughput > 0) {
          ratios[std::string(name) + ": exactly_once_v2 / at_least_once, throughput"].push_back(
              e.throughput / a.throughput);
        }
      }
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty()      ? 0.0
           : v.size() % 2 ? v[v.size() / 2]
                          : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::printf("\nmedians over %d rounds (range)\n", rounds);
  for (const auto& [key, v] : throughputs) {
    std::printf("  %-48s %10.0f records/s, peak RSS %.0f MB\n", key.c_str(), median(v),
                median(rss[key]));
  }
  for (const auto& [key, v] : ratios) {
    std::printf("  %-68s %.2fx (%.2f-%.2f)\n", key.c_str(), median(v),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  }
  if (failures == 0) std::filesystem::remove_all(o.work);
  return failures == 0 ? 0 : 1;
}
