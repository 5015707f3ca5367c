// brook-restock-sales: the restock-sales workload (a stream-stream join) as a
// worker process.
#include <iostream>

#include "apps/common/cli.h"
#include "apps/common/worker.h"
#include "apps/restock_sales/restock_sales.h"

int main(int argc, char** argv) {
  brook::KafkaStreams::install_signal_handlers();
  brook::apps::Cli cli("brook-restock-sales",
                       "Each restock joined with the purchases of its product made soon after, "
                       "written to demo.restock.sales.");
  brook::apps::add_worker_flags(cli);
  cli.option("input-topic", "the restocks; default demo.inventories")
      .option("purchases-topic", "default demo.purchases")
      .option("output-topic", "default demo.restock.sales")
      .option("within", "purchases up to this many minutes after a restock (default 5)")
      .option("grace", "late purchases are waited for this many minutes (default 1)");
  std::string error;
  if (!cli.parse(argc, argv, &error)) {
    std::cerr << "brook-restock-sales: " << error << "\n\n" << cli.usage();
    return 2;
  }
  if (cli.has("help")) {
    std::cout << cli.usage();
    return 0;
  }
  brook::demo::RestockSalesOptions o;
  o.inventories_topic = cli.get("input-topic").value_or(o.inventories_topic);
  o.purchases_topic = cli.get("purchases-topic").value_or(o.purchases_topic);
  o.output_topic = cli.get("output-topic").value_or(o.output_topic);
  try {
    if (auto v = cli.get("within"))
      o.within = std::chrono::milliseconds(int64_t(std::stod(*v) * 60000));
    if (auto v = cli.get("grace"))
      o.grace = std::chrono::milliseconds(int64_t(std::stod(*v) * 60000));
  } catch (const std::exception&) {
    std::cerr << "brook-restock-sales: --within and --grace take minutes\n";
    return 2;
  }
  if (o.within.count() < 0 || o.grace.count() < 0) {
    std::cerr << "brook-restock-sales: --within and --grace must not be negative\n";
    return 2;
  }
  brook::apps::WorkerApp app{"brook-restock-sales",
                             "restock-sales",
                             {o.inventories_topic, o.purchases_topic, o.output_topic}};
  brook::StreamsConfig config;
  if (!brook::apps::worker_config(app, cli, &config)) return 2;
  return brook::apps::run_worker(app, cli, brook::demo::build_restock_sales(o), std::move(config));
}
