// brook-bench-pipeline: throughput of brook pipelines against librdkafka
// programs doing the same work by hand, measured in one run on the same Kafka
// (the local Kafka in this process unless --bootstrap-servers is given) and
// reported as ratios, with input records/s and what each pipeline produced.
//
//   raw pipe        librdkafka: consume -> produce, records copied untouched
//   stateless       brook: JSON parse -> map_values (a field changed) -> JSON
//                   write -> to; its records are the size of the raw pipe's
//   raw two-hop     librdkafka: the raw pipe writing a topic it reads back, as
//                   uncombined running totals does with its repartition topic
//   per record      brook: the running-totals app with every purchase crossing
//                   the repartition topic (Kafka Streams' plan); vs raw two-hop
//   raw fold        librdkafka + brook's JSON reader: parse, fold into a hash
//                   map per product, write the changed totals every 100 ms
//   combined        brook: the running-totals app combining purchases per
//                   product before its repartition topic (Combine); vs raw fold
//                   (both write a few totals per product per 100 ms, so neither
//                   compares with the raw pipe)
//
// Every raw program uses brook's client loop (RawLoop): batched consumption,
// delivery reports on librdkafka's background thread, brook's client defaults,
// and offsets committed on brook's schedule (each commit interval: flush, then
// commit). Each pipeline reads the same preloaded input topic with its own
// consumer group; every producer compresses with lz4 (the local Kafka keeps
// only 5 MiB per partition). A brook run that does not process exactly the
// records it should fails the benchmark. Every consumer, brook's and the raw
// programs', gets the same prefetch (--prefetch-kbytes, queued.min.messages)
// and fetch.wait.max.ms=10 (--fetch-wait-ms): the local Kafka answers an empty
// fetch only after the full fetch.wait.max.ms, which stalled pipelines that
// read what they write.
//
// The clock runs from the moment the pipeline's consumer takes its partitions,
// at positions already looked up (committed offsets, else the beginning), until
// it has consumed every input record and committed. For brook that is from
// RUNNING (its tasks exist and its stores are open) until its bounded run
// (stop.at.end) has committed. Rounds run every pipeline back to back, each
// round starting one pipeline further along the list; the report gives the
// median over rounds of each throughput and of each round's ratio to its
// reference (pairing within a round keeps the machine's drift out of it).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "apps/common/cli.h"
#include "apps/running_totals/running_totals.h"
#include "apps/sales_generator/sales_model.h"
#include "bench/pipeline_common.h"
#include "bench/raw_pipelines.h"
#include "brook/brook.h"
#include "brook/testing/embedded_kafka.h"
#include "engine/kafka/fetch_waker.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"

namespace {

using brook::bench::check;
using brook::bench::client_defaults;
using brook::bench::Clock;
using brook::bench::Options;
using brook::bench::run_raw_fold;
using brook::bench::run_raw_pipe;
using brook::bench::run_raw_two_hop;

// Preloads `n` purchases, spread over the partitions, produced concurrently with
// nothing (the local Kafka keeps 5 MiB per partition: size n and partitions so
// that n * ~290 bytes / partitions stays below that).
void preload(const Options& o) {
  brook::kafka::Conf conf;
  check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap}, {"linger.ms", "20"}}, &conf));
  brook::kafka::Handle rk;
  check(brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk));
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
  if (rd_kafka_flush(rk.get(), 120000)) check(brook::Status::error("preload flush timed out"));
  for (int p = 0; p < o.partitions; ++p) {
    int64_t low = 0, high = 0;
    if (brook::kafka::watermarks(rk.get(), o.input.c_str(), p, &low, &high, 30000) && low > 0) {
      check(
          brook::Status::error("the local Kafka dropped the oldest input records (it keeps 5 MiB "
                               "per partition): fewer records, or more partitions"));
    }
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// A bounded brook run; seconds from RUNNING (tasks created, partitions taken)
// to done.
// [min_reads, max_reads]: how many records the run must process (input, plus
// repartitioned records); any other count means the run lost or duplicated
// records and the timing is void.
double run_brook(const Options& o, brook::Topology topology, const std::string& app,
                 int64_t min_reads, int64_t max_reads) {
  brook::StreamsConfig config{{"application.id", app},
                              {"bootstrap.servers", o.bootstrap},
                              {"producer.compression.type", o.compression},
                              {"state.dir", o.state_dir},
                              {"stop.at.end", "true"},
                              {"consumer.session.timeout.ms", "6000"}};
  if (!o.commit_ms.empty()) config.set("commit.interval.ms", o.commit_ms);
  for (const auto& [k, v] : o.properties) config.set(k, v);
  brook::KafkaStreams streams(std::move(topology), config);
  std::atomic<int64_t> running_at{0}, done_at{0};
  streams.set_state_listener([&](brook::KafkaStreams::State s, brook::KafkaStreams::State) {
    if (s == brook::KafkaStreams::State::kRunning && running_at.load() == 0) {
      running_at = Clock::now().time_since_epoch().count();
    }
    // The bounded run is complete (everything processed and committed) when
    // shutdown begins; closing the clients afterwards is not pipeline work.
    if (s == brook::KafkaStreams::State::kPendingShutdown) {
      done_at = Clock::now().time_since_epoch().count();
    }
  });
  check(streams.start());
  if (streams.run_until_signal() != 0) check(brook::Status::error(streams.error()));
  auto end = Clock::time_point(Clock::duration(done_at.load()));
  auto m = streams.metrics();
  if (m["process-total"] < min_reads || m["process-total"] > max_reads) {
    std::string expected = min_reads == max_reads
                               ? std::to_string(min_reads)
                               : std::to_string(min_reads) + "-" + std::to_string(max_reads);
    check(brook::Status::error(app + " processed " + std::to_string(m["process-total"]) +
                               " records instead of " + expected +
                               " (the local Kafka keeps 5 MiB per partition: fewer records, or "
                               "more partitions)"));
  }
  return std::chrono::duration<double>(end - Clock::time_point(Clock::duration(running_at.load())))
      .count();
}

double run_brook(const Options& o, brook::Topology topology, const std::string& app,
                 int64_t reads) {
  return run_brook(o, std::move(topology), app, reads, reads);
}

// A bounded run of the running-totals app writing to `out`, combining purchases
// per product before the repartition topic as the app does, or (`combine`
// false) sending each across, as Kafka Streams would. Fails unless the final
// totals count every input purchase exactly once.
double run_totals(const Options& o, const std::string& app, const std::string& out, bool combine) {
  std::mutex mu;
  std::map<std::string, int64_t> transactions;  // latest total per product
  auto observe = [&](const brook::demo::RunningTotal& t) {
    std::lock_guard<std::mutex> lock(mu);
    transactions[t.product_id] = t.transactions;
  };
  std::optional<brook::Combine> combining;
  if (combine) combining = brook::Combine{};
  // Combined: each input once, plus at least one and at most one partial per input.
  double seconds = run_brook(o, brook::demo::build_running_totals(o.input, out, observe, combining),
                             app, combine ? o.records + 1 : 2 * o.records, 2 * o.records);
  int64_t counted = 0;
  for (const auto& [product, n] : transactions) counted += n;
  if (counted != o.records) {
    check(brook::Status::error(app + ": the totals count " + std::to_string(counted) +
                               " purchases instead of " + std::to_string(o.records)));
  }
  return seconds;
}

// The whole purchase, as the generator writes it: the stateless pipeline
// writes records of the size the raw pipe copies.
struct Purchase {
  std::string transaction_time;
  std::string transaction_id;
  std::string product_id;
  brook::Cents price;
  int64_t quantity = 0;
  bool is_member = false;
  brook::Cents member_discount;
  bool add_supplements = false;
  brook::Cents supplement_price;
  brook::Cents total_purchase;
};
BROOK_JSON(Purchase, transaction_time, transaction_id, product_id, price, quantity, is_member,
           member_discount, add_supplements, supplement_price, total_purchase)

// Parse, change a field, write: the member discount applied to the price.
brook::Topology stateless(const std::string& in, const std::string& out) {
  brook::StreamsBuilder b;
  b.stream<std::optional<std::string>, Purchase>(in)
      .map_values([](Purchase p) {
        if (p.is_member) p.price.value -= p.price.value * p.member_discount.value / 10000;
        return p;
      })
      .to(out);
  return b.build();
}

// What a pipeline wrote: records and bytes (keys and values) in the topics it
// produced to (for brook, its output and internal topics). Read back after the
// run, off the clock.
struct Produced {
  int64_t records = 0;
  int64_t bytes = 0;
};

Produced produced(const Options& o, const std::string& output, const std::string& app) {
  brook::kafka::Conf conf;
  check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap},
                                 {"group.id", "bench-reader"},
                                 {"enable.auto.commit", "false"}},
                                &conf));
  brook::kafka::Handle rk;
  check(brook::kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &rk));
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk.get(), 1, nullptr, &md, 30000)) {
    check(brook::Status::error("metadata failed"));
  }
  // Every partition up to its end now (the pipeline is done writing).
  brook::kafka::PartitionList list(rd_kafka_topic_partition_list_new(64));
  std::map<std::pair<std::string, int32_t>, int64_t> ends;
  for (int i = 0; i < md->topic_cnt; ++i) {
    std::string name = md->topics[i].topic;
    if (name != output && (app.empty() || name.rfind(app + "-", 0) != 0)) continue;
    for (int p = 0; p < md->topics[i].partition_cnt; ++p) {
      int64_t low = 0, high = 0;
      check(brook::kafka::watermarks(rk.get(), name, p, &low, &high, 30000));
      if (high <= low) continue;
      rd_kafka_topic_partition_list_add(list.get(), name.c_str(), p)->offset = low;
      ends[{name, p}] = high;
    }
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_assign(rk.get(), list.get());
  Produced out;
  size_t done = 0;
  auto last = Clock::now();
  while (done < ends.size()) {
    brook::kafka::Message m(rd_kafka_consumer_poll(rk.get(), 100));
    if (!m || m->err) {
      if (Clock::now() - last > std::chrono::seconds(30)) {
        check(brook::Status::error("reading back " + output + ": nothing for 30 s"));
      }
      continue;
    }
    last = Clock::now();
    ++out.records;
    out.bytes += static_cast<int64_t>(m->key_len + m->len);
    if (m->offset + 1 == ends[{rd_kafka_topic_name(m->rkt), m->partition}]) ++done;
  }
  rd_kafka_consumer_close(rk.get());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-bench-pipeline", "brook pipelines vs the raw librdkafka pipe.");
  cli.option("bootstrap-servers", "Kafka to use (default: the local Kafka in this process)")
      .option("records", "input records (default 300000)")
      .option("partitions", "input partitions (default 32)")
      .option("rounds", "rounds of each pipeline (default 5)")
      .option("commit-interval-ms", "brook's commit interval (default: 30000, as Kafka Streams)")
      .option("property", "KEY=VALUE added to brook's config (repeatable)", true)
      .option("compression", "producer compression of every pipeline (default lz4)")
      .option("prefetch-kbytes",
              "consumer queued.max.messages.kbytes of every pipeline (default 524288)")
      .option("fetch-wait-ms", "consumer fetch.wait.max.ms of every pipeline (default 10)")
      .option("only",
              "run one pipeline: raw | stateless | two-hop | totals-per-record | fold | totals "
              "(no ratios; for profiling)")
      .flag("compare-guarantees",
            "instead: running totals under exactly_once_v2 vs at_least_once, both at "
            "commit.interval.ms=100");
  std::string error;
  if (!cli.parse(argc, argv, &error) || cli.has("help")) {
    std::cerr << error << "\n" << cli.usage();
    return error.empty() ? 0 : 2;
  }
  Options o;
  o.records = std::stoll(cli.get("records").value_or("300000"));
  o.partitions = std::stoi(cli.get("partitions").value_or("32"));
  int rounds = std::stoi(cli.get("rounds").value_or("5"));
  o.commit_ms = cli.get("commit-interval-ms").value_or("");
  o.compression = cli.get("compression").value_or("lz4");
  o.properties.emplace_back("consumer.queued.max.messages.kbytes",
                            cli.get("prefetch-kbytes").value_or("524288"));
  // The raw pipes' prefetch (start_raw_pipe), for brook's pipelines too.
  o.properties.emplace_back("consumer.queued.min.messages", "1000000");
  o.properties.emplace_back("consumer.fetch.wait.max.ms", cli.get("fetch-wait-ms").value_or("10"));
  // Null-key records go to a random partition each, not to one partition for
  // 10 ms at a time: else some output partitions outgrow the local Kafka's
  // 5 MiB and lose their oldest records before they are counted.
  o.properties.emplace_back("producer.sticky.partitioning.linger.ms", "0");
  for (const std::string& kv :
       cli.all("property")) {  // consumer.X / producer.X apply to all pipelines
    size_t eq = kv.find('=');
    if (eq == std::string::npos) check(brook::Status::error("--property takes KEY=VALUE"));
    o.properties.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  std::unique_ptr<brook::EmbeddedKafka> kafka;
  auto create = [&](const std::string& t, int p) {
    if (kafka) {
      check(kafka->create_topic(t, p));
      return;
    }
    brook::kafka::Conf conf;
    check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap}}, &conf));
    brook::kafka::Handle rk;
    check(brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk));
    check(brook::ensure_topics(rk.get(), {brook::InternalTopic{t, p, false, {}}}, -1, false));
  };
  if (auto bs = cli.get("bootstrap-servers")) {
    o.bootstrap = *bs;
  } else {
    check(brook::EmbeddedKafka::start(1, &kafka));
    o.bootstrap = kafka->bootstrap_servers();
  }
  std::string run_id = std::to_string(::getpid());
  o.input = "bench.purchases." + run_id;
  o.state_dir = (std::filesystem::temp_directory_path() / ("brook-bench-" + run_id)).string();
  create(o.input, o.partitions);
  std::fprintf(stderr, "preloading %lld records into %d partitions...\n",
               static_cast<long long>(o.records), o.partitions);
  preload(o);

  if (cli.has("compare-guarantees")) {
    std::vector<double> alos_times, eos_times, ratios;
    o.commit_ms = "100";
    for (int r = 0; r < rounds; ++r) {
      std::string suffix = run_id + "." + std::to_string(r);
      create("bench.alos.out." + suffix, o.partitions);
      double alos = run_totals(o, "bench-alos-" + suffix, "bench.alos.out." + suffix, true);
      create("bench.eos.out." + suffix, o.partitions);
      o.properties.emplace_back("processing.guarantee", "exactly_once_v2");
      double eos = run_totals(o, "bench-eos-" + suffix, "bench.eos.out." + suffix, true);
      o.properties.pop_back();
      std::fprintf(stderr, "round %d: at_least_once %.3f s, exactly_once_v2 %.3f s\n", r, alos,
                   eos);
      alos_times.push_back(alos);
      eos_times.push_back(eos);
      ratios.push_back(alos / eos);
    }
    std::filesystem::remove_all(o.state_dir);
    std::printf("running totals, commit.interval.ms=100, records=%lld partitions=%d rounds=%d\n",
                static_cast<long long>(o.records), o.partitions, rounds);
    std::printf("at_least_once    %10.0f records/s (median)\n", o.records / median(alos_times));
    std::printf(
        "exactly_once_v2  %10.0f records/s (median)   ratio %.2f (median of rounds; target >= "
        "0.90)\n",
        o.records / median(eos_times), median(ratios));
    return 0;
  }
  std::string only = cli.get("only").value_or("");
  // The pipelines, in the order of the first round; each round starts one
  // further along, so none always runs first (or last) on a warming machine.
  struct Pipeline {
    std::string name;     // as --only names it
    std::string label;    // in the report
    std::string note;     // in the report, after the ratio
    bool raw = false;     // a librdkafka program, not brook
    std::string compare;  // the pipeline its ratio is against
    std::vector<double> seconds;
    std::vector<double> ratios;  // this round's compare time / this time
    Produced produced;
  };
  std::vector<Pipeline> pipelines;
  auto add = [&](std::string name, std::string label, std::string note, bool raw,
                 std::string compare) {
    Pipeline p;
    p.name = std::move(name);
    p.label = std::move(label);
    p.note = std::move(note);
    p.raw = raw;
    p.compare = std::move(compare);
    pipelines.push_back(std::move(p));
  };
  add("raw", "raw librdkafka pipe", "the baseline: copies each record", true, "");
  add("stateless", "brook stateless", "vs raw pipe; parse, change a field, write; target >= 0.90",
      false, "raw");
  add("two-hop", "raw two-hop pipe", "vs raw pipe; copies each record to a topic it reads back",
      true, "raw");
  add("totals-per-record", "brook running totals, per record",
      "vs raw two-hop; every purchase crosses the repartition topic (Kafka Streams' plan)", false,
      "two-hop");
  add("fold", "raw fold into a hash map",
      "vs raw pipe; parse, fold per product, write changed totals every 100 ms", true, "raw");
  add("totals", "brook running totals, combined",
      "vs raw fold; combined per product before the repartition topic", false, "fold");
  auto run_one = [&](Pipeline& p, const std::string& suffix) {
    std::string out = "bench." + p.name + ".out." + suffix;
    std::string app = "bench-" + p.name + "-" + suffix;
    create(out, o.partitions);
    double t = 0;
    if (p.name == "raw") t = run_raw_pipe(o, app, out);
    if (p.name == "two-hop") t = run_raw_two_hop(o, app, out);
    if (p.name == "fold") t = run_raw_fold(o, app, out);
    if (p.name == "stateless") t = run_brook(o, stateless(o.input, out), app, o.records);
    if (p.name == "totals") t = run_totals(o, app, out, true);
    if (p.name == "totals-per-record") t = run_totals(o, app, out, false);
    p.seconds.push_back(t);
    p.produced = produced(o, out, p.raw ? "" : app);
    return t;
  };
  for (int r = 0; r < rounds; ++r) {
    std::string suffix = run_id + "." + std::to_string(r);
    std::map<std::string, double> times;
    for (size_t i = 0; i < pipelines.size(); ++i) {
      Pipeline& p = pipelines[(i + r) % pipelines.size()];
      if (!only.empty() && p.name != only) continue;
      times[p.name] = run_one(p, suffix);
      std::fprintf(stderr, "round %d: %s %.3f s\n", r, p.name.c_str(), times[p.name]);
    }
    for (Pipeline& p : pipelines) {
      if (!p.compare.empty() && times.count(p.name) && times.count(p.compare)) {
        p.ratios.push_back(times[p.compare] / times[p.name]);
      }
    }
  }
  std::filesystem::remove_all(o.state_dir);
  std::printf(
      "records=%lld partitions=%d rounds=%d commit.interval.ms=%s (medians over rounds; "
      "ratio = median of each round's reference time / this time, with its range)\n",
      static_cast<long long>(o.records), o.partitions, rounds,
      o.commit_ms.empty() ? "30000" : o.commit_ms.c_str());
  std::printf("%-34s %12s %-18s %10s %8s\n", "pipeline", "input rec/s", "ratio", "produced", "MB");
  for (Pipeline& p : pipelines) {
    if (p.seconds.empty()) continue;
    char ratio[64] = "";
    if (!p.ratios.empty()) {
      std::snprintf(ratio, sizeof ratio, "%.2f (%.2f-%.2f)", median(p.ratios),
                    *std::min_element(p.ratios.begin(), p.ratios.end()),
                    *std::max_element(p.ratios.begin(), p.ratios.end()));
    }
    std::printf("%-34s %12.0f %-18s %10lld %8.1f  %s\n", p.label.c_str(),
                o.records / median(p.seconds), ratio, static_cast<long long>(p.produced.records),
                p.produced.bytes / 1e6, p.note.c_str());
  }
  return 0;
}
