// brook-purchase-enrichment: the purchase-enrichment workload as a worker process.
#include <iostream>

#include "apps/common/cli.h"
#include "apps/common/worker.h"
#include "apps/purchase_enrichment/purchase_enrichment.h"

int main(int argc, char** argv) {
  brook::KafkaStreams::install_signal_handlers();
  brook::apps::Cli cli("brook-purchase-enrichment",
                       "Purchases enriched with the latest product record, written to "
                       "demo.purchases.enriched.");
  brook::apps::add_worker_flags(cli);
  cli.option("input-topic", "the purchases; default demo.purchases")
      .option("products-topic", "default demo.products")
      .option("output-topic", "default demo.purchases.enriched");
  std::string error;
  if (!cli.parse(argc, argv, &error)) {
    std::cerr << "brook-purchase-enrichment: " << error << "\n\n" << cli.usage();
    return 2;
  }
  if (cli.has("help")) {
    std::cout << cli.usage();
    return 0;
  }
  std::string purchases = cli.get("input-topic").value_or("demo.purchases");
  std::string products = cli.get("products-topic").value_or("demo.products");
  std::string output = cli.get("output-topic").value_or("demo.purchases.enriched");
  // The join waits for the re-keyed purchases (up to 2 s past their end)
  // before it moves the products table on: so a purchase meets the product
  // record current at its time, not a later one.
  brook::apps::WorkerApp app{
      "brook-purchase-enrichment",
      "purchase-enrichment",
      {purchases, products, output},
      {{"max.task.idle.ms", std::to_string(brook::demo::kEnrichmentIdleMs)}}};
  brook::StreamsConfig config;
  if (!brook::apps::worker_config(app, cli, &config)) return 2;
  return brook::apps::run_worker(
      app, cli, brook::demo::build_purchase_enrichment(purchases, products, output),
      std::move(config));
}
