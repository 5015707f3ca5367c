// brook-running-totals: the running-totals workload as a worker process.
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "apps/common/cli.h"
#include "apps/common/worker.h"
#include "apps/running_totals/running_totals.h"

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
  brook::apps::add_worker_flags(cli);
  cli.option("input-topic", "default demo.purchases")
      .option("output-topic", "default demo.running.totals")
      .flag("print-totals", "print the live totals table to stdout")
      .flag("no-combine",
            "send every purchase through the repartition topic (Kafka Streams' plan) instead "
            "of combining purchases per product first");
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
  brook::apps::WorkerApp app{"brook-running-totals", "running-totals", {input, output}};
  brook::StreamsConfig config;
  if (!brook::apps::worker_config(app, cli, &config)) return 2;

  TotalsTable table;
  brook::demo::TotalsObserver observer;
  if (cli.has("print-totals")) observer = [&table](const auto& t) { table.update(t); };
  std::optional<brook::Combine> combine = brook::Combine{};
  if (cli.has("no-combine")) combine.reset();
  brook::Topology topology = brook::demo::build_running_totals(input, output, observer, combine);
  std::function<void()> tick;
  if (observer) tick = [&table] { table.print_if_changed(); };
  return brook::apps::run_worker(app, cli, std::move(topology), std::move(config), tick);
}
