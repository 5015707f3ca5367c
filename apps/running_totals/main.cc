// brook-running-totals: the running-totals workload as a worker process.
#include <unistd.h>

#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "apps/common/cli.h"
#include "apps/running_totals/running_totals.h"
#include "brook/testing/embedded_kafka.h"

extern char** environ;

namespace {

// The latest total per product, printed as a table once a second when changed.
class TotalsTable {
 public:
  void update(const brook::demo::RunningTotal& t) {
    std::lock_guard<std::mutex> lock(mu_);
    rows_[t.product_id] = t;
    dirty_ = true;
  }
  void print_if_changed() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dirty_) return;
    dirty_ = false;
    int64_t tx = 0, qty = 0, cents = 0;
    std::string out = "\n product  transactions  quantities          sales  last purchase\n";
    for (const auto& [id, t] : rows_) {
      std::string sales;
      brook::json::write(t.sales, sales);
      char line[160];
      std::snprintf(line, sizeof line, " %-7s  %12lld  %10lld  %13s  %s\n", id.c_str(),
                    static_cast<long long>(t.transactions), static_cast<long long>(t.quantities),
                    sales.c_str(), t.event_time.c_str());
      out += line;
      tx += t.transactions;
      qty += t.quantities;
      cents += t.sales.value;
    }
    std::string total;
    brook::json::write(brook::Cents{cents}, total);
    char line[160];
    std::snprintf(line, sizeof line, " %-7s  %12lld  %10lld  %13s\n", "TOTAL",
                  static_cast<long long>(tx), static_cast<long long>(qty), total.c_str());
    out += line;
    std::cout << out << std::flush;
  }

 private:
  std::mutex mu_;
  std::map<std::string, brook::demo::RunningTotal> rows_;
  bool dirty_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  brook::KafkaStreams::install_signal_handlers();
  brook::apps::Cli cli(
      "brook-running-totals",
      "Running totals per product of demo.purchases, written to demo.running.totals.");
  cli.option("bootstrap-servers", "Kafka to use; absent: start an embedded Kafka in this process")
      .option("application-id", "default running-totals")
      .option("input-topic", "default demo.purchases")
      .option("output-topic", "default demo.running.totals")
      .option("processing-guarantee", "at_least_once | exactly_once_v2")
      .option("commit-interval-ms", "commit period")
      .option("num-stream-threads", "stream threads in this process")
      .option("state-dir", "root of local state")
      .option("config", "properties file (key=value) with any brook or librdkafka key")
      .option("property", "KEY=VALUE config entry (repeatable)", true)
      .flag("stop-at-end", "process inputs up to their end offsets at start, then exit")
      .flag("print-totals", "print the live totals table to stdout")
      .flag("no-combine",
            "send every purchase through the repartition topic (Kafka Streams' plan) instead "
            "of combining purchases per product first")
      .flag("describe", "print the topology and exit");
  std::string error;
  if (!cli.parse(argc, argv, &error)) {
    std::cerr << "brook-running-totals: " << error << "\n\n" << cli.usage();
    return 2;
  }
  if (cli.has("help")) {
    std::cout << cli.usage();
    return 0;
  }
  std::string input = cli.get("input-topic").value_or("demo.purchases");
  std::string output = cli.get("output-topic").value_or("demo.running.totals");

  // Precedence: defaults < --config file < BROOK_* environment < flags.
  brook::StreamsConfig config;
  config.set("application.id", "running-totals");
  if (auto file = cli.get("config")) {
    brook::Status s = config.load_properties_file(*file);
    if (!s) {
      std::cerr << "brook-running-totals: " << s.message() << "\n";
      return 2;
    }
  }
  config.load_environment(environ);
  const std::pair<const char*, const char*> flags[] = {
      {"bootstrap-servers", "bootstrap.servers"},
      {"application-id", "application.id"},
      {"processing-guarantee", "processing.guarantee"},
      {"commit-interval-ms", "commit.interval.ms"},
      {"num-stream-threads", "num.stream.threads"},
      {"state-dir", "state.dir"},
  };
  for (const auto& [flag, key] : flags) {
    if (auto v = cli.get(flag)) config.set(key, *v);
  }
  for (const std::string& kv : cli.all("property")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "brook-running-totals: --property takes KEY=VALUE, got '" << kv << "'\n";
      return 2;
    }
    config.set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (cli.has("stop-at-end")) config.set("stop.at.end", "true");

  TotalsTable table;
  brook::demo::TotalsObserver observer;
  if (cli.has("print-totals")) observer = [&table](const auto& t) { table.update(t); };
  std::optional<brook::Combine> combine = brook::Combine{};
  if (cli.has("no-combine")) combine.reset();
  brook::Topology topology = brook::demo::build_running_totals(input, output, observer, combine);
  if (cli.has("describe")) {
    std::cout << topology.describe();
    return 0;
  }

  std::unique_ptr<brook::EmbeddedKafka> embedded;
  if (!config.contains("bootstrap.servers")) {
    brook::Status s = brook::EmbeddedKafka::start(1, &embedded);
    if (s) s = embedded->create_topic(input, 4);
    if (s) s = embedded->create_topic(output, 4);
    if (!s) {
      std::cerr << "brook-running-totals: " << s.message() << "\n";
      return 1;
    }
    config.set("bootstrap.servers", embedded->bootstrap_servers());
    std::cerr << "brook-running-totals: no --bootstrap-servers given; started an embedded Kafka at "
              << embedded->bootstrap_servers() << " (write purchases to it with "
              << "brook-sales-generator --bootstrap-servers " << embedded->bootstrap_servers()
              << ")\n";
  }

  brook::KafkaStreams streams(std::move(topology), config);
  brook::Status s = streams.start();
  if (!s) {
    std::cerr << "brook-running-totals: " << s.message() << "\n";
    return 2;
  }
  std::atomic<bool> done{false};
  std::thread printer;
  if (observer) {
    printer = std::thread([&] {
      while (!done.load()) {
        table.print_if_changed();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  }
  int rc = streams.run_until_signal();
  done = true;
  if (printer.joinable()) printer.join();
  if (observer) table.print_if_changed();
  auto m = streams.metrics();
  std::cerr << "brook-running-totals: processed " << m["process-total"] << " records, skipped "
            << m["deserialization-errors-total"] << " malformed, " << m["commit-total"]
            << " commits\n";
  return rc;
}
