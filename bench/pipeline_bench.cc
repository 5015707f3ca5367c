// brook-bench-pipeline: throughput of brook pipelines against the raw librdkafka
// consume->produce pipe, measured in one run on the same Kafka (the local Kafka
// in this process unless --bootstrap-servers is given) and reported as ratios.
//
//   raw pipe        librdkafka consumer (group) -> producer, bytes untouched
//   raw two-hop     a reference, not a target: the raw pipe writing a topic it
//                   reads back, as uncombined running totals does with its
//                   repartition topic — librdkafka's share of that work
//   stateless       brook: JSON parse -> map_values -> JSON write -> to
//   running totals  brook: the running-totals app (repartition, RocksDB,
//                   changelog, record cache), which combines purchases per
//                   product before its repartition topic (Combine)
//   per record      the same app with every purchase crossing the repartition
//                   topic, as in Kafka Streams (compare with raw two-hop)
//
// Each pipeline reads the same preloaded input topic with its own consumer
// group; every producer compresses with lz4 (the local Kafka keeps only 5 MiB
// per partition, and the running totals' repartition topic concentrates 27
// product keys on few partitions). A brook run that does not process exactly
// the records it should fails the benchmark. Every consumer may prefetch the
// whole input (queued.max.messages.kbytes, --prefetch-kbytes): librdkafka 2.0
// pauses a consumer that reaches that limit and resumes it only when its broker
// thread next wakes, which added a random ~0.5 s stall to either pipeline.
// Every consumer also fetches with fetch.wait.max.ms=10 (--fetch-wait-ms): the
// local Kafka answers a fetch that finds no records only after the full
// fetch.wait.max.ms (500 ms by default), even when records arrive meanwhile —
// a real broker answers as soon as they do. A pipeline that reads what it wrote
// (the running totals' repartition topic) stalled for up to 0.5 s on that
// whenever it caught up with its own writes.
//
// The clock runs from the moment the pipeline's consumer takes its partitions,
// at positions already looked up (committed offsets, else the beginning), until
// it has consumed every input record and every record it produced is
// acknowledged. For brook that is from RUNNING (its tasks exist, their stores
// are open, and only then does its consumer take the partitions, so it has
// fetched nothing ahead) until its bounded run (stop.at.end) has committed; the
// raw pipe looks its positions up in the rebalance callback the same way. (The
// local Kafka makes a new group wait ~3 s before assigning, the same for all.)
// Rounds alternate the pipelines; each round runs every pipeline back to back,
// and the report gives the median over rounds of each throughput and of each
// round's ratio to the raw pipe (pairing within a round keeps the machine's
// drift out of the ratio).
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

#include "apps/common/cli.h"
#include "apps/running_totals/running_totals.h"
#include "apps/sales_generator/sales_model.h"
#include "brook/brook.h"
#include "engine/internal_topics.h"
#include "engine/kafka_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bootstrap;
  std::string input;
  int partitions = 0;
  int64_t records = 0;
  std::string state_dir;
  std::string commit_ms;
  std::string compression = "lz4";
  std::vector<std::pair<std::string, std::string>> properties;  // extra brook config
};

void check(const brook::Status& s) {
  if (!s) {
    std::cerr << "brook-bench-pipeline: " << s.message() << "\n";
    std::exit(1);
  }
}

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
                             RD_KAFKA_V_VALUE(v.data(), v.size()), RD_KAFKA_V_END) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
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

// Properties given with --property for one client (prefix stripped).
std::map<std::string, std::string> client_defaults(const Options& o, const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : o.properties) {
    if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
  }
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct RawPipe {
  Clock::time_point assigned{};
  brook::kafka::Handle consumer, producer;
};

// The raw pipes' clients: the same client settings brook uses by default
// (consumer: range assignment, queued.min.messages=1000000; producer:
// linger.ms=100, acks=all, murmur2_random), the bench's lz4 compression and
// the client properties brook's pipelines get. The consumer subscribes to
// `topics`; the rebalance callback starts the clock.
void start_raw_pipe(const Options& o, const std::string& group,
                    const std::vector<std::string>& topics, RawPipe* pipe) {
  brook::kafka::Conf cconf;
  check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap}, {"group.id", group},
                                 {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"},
                                 {"partition.assignment.strategy", "range"},
                                 {"queued.min.messages", "1000000"},
                                 {"session.timeout.ms", "6000"}},
                                &cconf));
  char err[256];
  for (const auto& [k, v] : client_defaults(o, "consumer.")) {
    rd_kafka_conf_set(cconf.get(), k.c_str(), v.c_str(), err, sizeof err);
  }
  rd_kafka_conf_set_opaque(cconf.get(), pipe);
  rd_kafka_conf_set_rebalance_cb(cconf.get(), [](rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                                 rd_kafka_topic_partition_list_t* parts, void* op) {
    auto* st = static_cast<RawPipe*>(op);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      // As brook does: look the positions up (committed, else the beginning),
      // then take the partitions there, and start the clock.
      rd_kafka_committed(rk, parts, 30000);
      for (int i = 0; i < parts->cnt; ++i) {
        auto& p = parts->elems[i];
        int64_t low = 0, high = 0;
        if (p.offset < 0 &&
            brook::kafka::watermarks(rk, p.topic, p.partition, &low, &high, 30000)) {
          p.offset = low;
        }
      }
      rd_kafka_assign(rk, parts);
      st->assigned = Clock::now();
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  });
  check(brook::kafka::make_client(RD_KAFKA_CONSUMER, std::move(cconf), &pipe->consumer));
  rd_kafka_poll_set_consumer(pipe->consumer.get());
  brook::kafka::Conf pconf;
  check(brook::kafka::make_conf({{"bootstrap.servers", o.bootstrap}, {"linger.ms", "100"},
                                 {"acks", "all"}, {"partitioner", "murmur2_random"},
                                 {"compression.type", o.compression}},
                                &pconf));
  for (const auto& [k, v] : client_defaults(o, "producer.")) {
    rd_kafka_conf_set(pconf.get(), k.c_str(), v.c_str(), err, sizeof err);
  }
  check(brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(pconf), &pipe->producer));
  brook::kafka::PartitionList list(
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_subscribe(pipe->consumer.get(), list.get());
}

// Copies `m`'s value to `out`, with `key` (null: `m`'s key).
void forward(RawPipe& pipe, rd_kafka_topic_t* out, const rd_kafka_message_t* m,
             const std::string* key = nullptr) {
  while (rd_kafka_producev(
             pipe.producer.get(), RD_KAFKA_V_RKT(out), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
             RD_KAFKA_V_KEY(key ? key->data() : m->key, key ? key->size() : m->key_len),
             RD_KAFKA_V_VALUE(m->payload, m->len),
             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    rd_kafka_poll(pipe.producer.get(), 10);
  }
  rd_kafka_poll(pipe.producer.get(), 0);
}

// Seconds from the assignment until the pipe is done.
double finish_raw_pipe(RawPipe& pipe, rd_kafka_topic_t* out) {
  rd_kafka_flush(pipe.producer.get(), 120000);
  auto end = Clock::now();
  rd_kafka_topic_destroy(out);
  rd_kafka_consumer_close(pipe.consumer.get());
  return std::chrono::duration<double>(end - pipe.assigned).count();
}

// Fails the benchmark when a raw pipe has read nothing for 30 s (records lost,
// e.g. to the local Kafka's 5 MiB per partition), instead of waiting forever.
void check_progress(const char* pipe, Clock::time_point last_read, int64_t inputs, int64_t hops) {
  if (Clock::now() - last_read < std::chrono::seconds(30)) return;
  check(brook::Status::error(std::string(pipe) + ": nothing read for 30 s, at " +
                             std::to_string(inputs) + " input and " + std::to_string(hops) +
                             " hop records (the local Kafka keeps 5 MiB per partition: fewer "
                             "records, or more partitions)"));
}

// The baseline: input records copied to `output` (null keys, values untouched).
double run_raw_pipe(const Options& o, const std::string& group, const std::string& output) {
  RawPipe pipe;
  start_raw_pipe(o, group, {o.input}, &pipe);
  rd_kafka_topic_t* out = rd_kafka_topic_new(pipe.producer.get(), output.c_str(), nullptr);
  int64_t consumed = 0;
  auto last_read = Clock::now();
  while (consumed < o.records) {
    brook::kafka::Message m(rd_kafka_consumer_poll(pipe.consumer.get(), 100));
    if (!m || m->err) {
      check_progress("raw pipe", last_read, consumed, 0);
      continue;
    }
    last_read = Clock::now();
    forward(pipe, out, m.get());
    ++consumed;
  }
  return finish_raw_pipe(pipe, out);
}

// The reference for pipelines that repartition every record: librdkafka's share
// of the uncombined running totals' work and nothing else. One consumer reads the input and a
// topic `hop` that the pipe writes itself: every input record is copied to
// `hop` (as running totals writes its repartition topic) and read back from
// it (where running totals would aggregate). No parsing, no state. The copies
// are keyed as running totals' are, by one of 27 keys (its 27 products), so
// they spread over the hop's partitions alike; they carry whole purchases,
// where running totals' carry smaller totals.
double run_raw_two_hop(const Options& o, const std::string& group, const std::string& hop) {
  RawPipe pipe;
  start_raw_pipe(o, group, {o.input, hop}, &pipe);
  rd_kafka_topic_t* out = rd_kafka_topic_new(pipe.producer.get(), hop.c_str(), nullptr);
  std::vector<std::string> keys;
  for (int k = 0; k < 27; ++k) keys.push_back("product-" + std::to_string(k));
  int64_t inputs = 0, hops = 0;
  const rd_kafka_topic_t* input_rkt = nullptr;  // the input's handle, once seen
  auto last_read = Clock::now();
  while (inputs < o.records || hops < o.records) {
    brook::kafka::Message m(rd_kafka_consumer_poll(pipe.consumer.get(), 10));
    if (!m) {
      check_progress("raw two-hop pipe", last_read, inputs, hops);
      // As brook does when its input pauses: send what lingers.
      if (inputs == o.records) rd_kafka_flush(pipe.producer.get(), 1);
      continue;
    }
    if (m->err) continue;
    last_read = Clock::now();
    if (!input_rkt && std::strcmp(rd_kafka_topic_name(m->rkt), o.input.c_str()) == 0) {
      input_rkt = m->rkt;
    }
    if (m->rkt == input_rkt) {
      forward(pipe, out, m.get(), &keys[inputs % keys.size()]);
      ++inputs;
    } else {
      ++hops;
    }
  }
  return finish_raw_pipe(pipe, out);
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
  return std::chrono::duration<double>(end - Clock::time_point(Clock::duration(running_at.load()))).count();
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

struct Payload {
  std::string product_id;
  int64_t quantity = 0;
  brook::Cents total_purchase;
};
BROOK_JSON(Payload, product_id, quantity, total_purchase)

brook::Topology stateless(const std::string& in, const std::string& out) {
  brook::StreamsBuilder b;
  b.stream<std::optional<std::string>, brook::demo::PurchaseEvent>(in)
      .map_values([](const brook::demo::PurchaseEvent& p) {
        return Payload{p.product_id, p.quantity, p.total_purchase};
      })
      .to(out);
  return b.build();
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
              "run one pipeline: raw | two-hop | stateless | totals | totals-per-record (no "
              "ratios; for profiling)")
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
  for (const std::string& kv : cli.all("property")) {  // consumer.X / producer.X apply to all pipelines
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
      std::fprintf(stderr, "round %d: at_least_once %.3f s, exactly_once_v2 %.3f s\n", r, alos, eos);
      alos_times.push_back(alos);
      eos_times.push_back(eos);
      ratios.push_back(alos / eos);
    }
    std::filesystem::remove_all(o.state_dir);
    std::printf("running totals, commit.interval.ms=100, records=%lld partitions=%d rounds=%d\n",
                static_cast<long long>(o.records), o.partitions, rounds);
    std::printf("at_least_once    %10.0f records/s (median)\n", o.records / median(alos_times));
    std::printf("exactly_once_v2  %10.0f records/s (median)   ratio %.2f (median of rounds; target >= 0.90)\n",
                o.records / median(eos_times), median(ratios));
    return 0;
  }
  std::string only = cli.get("only").value_or("");
  std::vector<double> raws, hops, statelesses, totalses, per_records, hop_ratios, stateless_ratios,
      totals_ratios, per_record_ratios, per_record_hop_ratios;
  for (int r = 0; r < rounds; ++r) {
    std::string suffix = run_id + "." + std::to_string(r);
    double raw = 0, hop = 0, sl = 0, rt = 0, pr = 0;
    if (only.empty() || only == "raw") {
      create("bench.raw.out." + suffix, o.partitions);
      raw = run_raw_pipe(o, "bench-raw-" + suffix, "bench.raw.out." + suffix);
    }
    if (only.empty() || only == "two-hop") {
      create("bench.hop." + suffix, o.partitions);
      hop = run_raw_two_hop(o, "bench-hop-" + suffix, "bench.hop." + suffix);
    }
    if (only.empty() || only == "stateless") {
      create("bench.stateless.out." + suffix, o.partitions);
      sl = run_brook(o, stateless(o.input, "bench.stateless.out." + suffix),
                     "bench-stateless-" + suffix, o.records);
    }
    if (only == "passthrough") {  // brook with no serde work: framework overhead only
      create("bench.pass.out." + suffix, o.partitions);
      brook::StreamsBuilder b;
      b.stream<std::optional<std::string>, brook::Bytes>(o.input).to("bench.pass.out." + suffix);
      sl = run_brook(o, b.build(), "bench-pass-" + suffix, o.records);
    }
    if (only.empty() || only == "totals") {
      create("bench.totals.out." + suffix, o.partitions);
      rt = run_totals(o, "bench-totals-" + suffix, "bench.totals.out." + suffix, true);
    }
    if (only.empty() || only == "totals-per-record") {
      create("bench.per-record.out." + suffix, o.partitions);
      pr = run_totals(o, "bench-per-record-" + suffix, "bench.per-record.out." + suffix, false);
    }
    std::fprintf(stderr,
                 "round %d: raw %.3f s, raw two-hop %.3f s, stateless %.3f s, running totals "
                 "%.3f s, per record %.3f s\n",
                 r, raw, hop, sl, rt, pr);
    raws.push_back(raw);
    hops.push_back(hop);
    statelesses.push_back(sl);
    totalses.push_back(rt);
    per_records.push_back(pr);
    if (hop > 0) hop_ratios.push_back(raw / hop);
    if (sl > 0) stateless_ratios.push_back(raw / sl);
    if (rt > 0) totals_ratios.push_back(raw / rt);
    if (pr > 0) per_record_ratios.push_back(raw / pr);
    if (pr > 0) per_record_hop_ratios.push_back(hop / pr);
  }
  std::filesystem::remove_all(o.state_dir);
  if (!only.empty()) return 0;
  auto rate = [&](std::vector<double> v) { return o.records / median(std::move(v)); };
  std::printf("records=%lld partitions=%d rounds=%d (medians over rounds; ratio = median of "
              "each round's raw time / brook time)\n",
              static_cast<long long>(o.records), o.partitions, rounds);
  // A ratio's median, with its range over rounds (the machine's noise).
  auto ratio = [](const std::vector<double>& v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f (rounds %.2f-%.2f)", median(v),
                  *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
    return std::string(buf);
  };
  std::printf("raw librdkafka pipe      %10.0f records/s\n", rate(raws));
  std::printf(
      "raw two-hop pipe         %10.0f records/s   ratio %s; reference: librdkafka's "
      "work in running totals per record\n",
      rate(hops), ratio(hop_ratios).c_str());
  std::printf("brook stateless          %10.0f records/s   ratio %s; target >= 0.90\n",
              rate(statelesses), ratio(stateless_ratios).c_str());
  std::printf("brook running totals     %10.0f records/s   ratio %s; target >= 0.60\n",
              rate(totalses), ratio(totals_ratios).c_str());
  std::printf(
      "  per record, uncombined %10.0f records/s   ratio %s; every purchase crosses the "
      "repartition topic (Kafka Streams' plan)\n",
      rate(per_records), ratio(per_record_ratios).c_str());
  std::printf("  per record / raw two-hop pipe: %s\n", ratio(per_record_hop_ratios).c_str());
  return 0;
}
