// brook-sales-generator: writes the smoothie-bar demo topics (demo.products,
// demo.purchases, demo.inventories) to Kafka.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "apps/common/cli.h"
#include "apps/sales_generator/generator.h"

namespace {
std::atomic<bool> g_stop{false};
}

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-sales-generator", "Writes smoothie-bar sales to the demo topics.");
  cli.option("bootstrap-servers", "Kafka to write to (required)")
      .option("purchases", "number of purchases; 0 = forever (default 0)")
      .option("rate", "purchases per second; 0 = as fast as possible (default 10)")
      .option("seed", "PRNG seed; same seed, same data (default: from the clock)")
      .option("start-time-ms", "event time of the first purchase, ms since epoch (default: now)")
      .option("products-topic", "default demo.products")
      .option("purchases-topic", "default demo.purchases")
      .option("inventories-topic", "default demo.inventories")
      .option("create-topics", "create the missing demo topics with this many partitions")
      .option("event-gap-ms",
              "mean event-time gap between purchases, ms (default: 1 / rate): cover hours of "
              "sales in minutes")
      .option("product-changes-every",
              "a price change or (one in ten) a deletion once in this many purchases on average; "
              "0 = never (default 500)")
      .flag("quiet", "no progress lines");
  std::string error;
  if (!cli.parse(argc, argv, &error)) {
    std::cerr << "brook-sales-generator: " << error << "\n\n" << cli.usage();
    return 2;
  }
  if (cli.has("help")) {
    std::cout << cli.usage();
    return 0;
  }
  brook::demo::GeneratorOptions o;
  if (!cli.get("bootstrap-servers")) {
    std::cerr << "brook-sales-generator: --bootstrap-servers is required\n";
    return 2;
  }
  try {
    o.bootstrap_servers = *cli.get("bootstrap-servers");
    o.purchases = std::stoll(cli.get("purchases").value_or("0"));
    o.rate = std::stod(cli.get("rate").value_or("10"));
    o.seed = std::stoull(cli.get("seed").value_or("0"));
    o.start_time_us = std::stoll(cli.get("start-time-ms").value_or("0")) * 1000;
    o.create_partitions = std::stoi(cli.get("create-topics").value_or("0"));
    o.product_changes_every = std::stoi(cli.get("product-changes-every").value_or("500"));
    o.event_gap_us = static_cast<int64_t>(std::stod(cli.get("event-gap-ms").value_or("0")) * 1000);
  } catch (const std::exception&) {
    std::cerr << "brook-sales-generator: --purchases, --rate, --seed, --start-time-ms and "
                 "--create-topics take numbers\n";
    return 2;
  }
  if (o.purchases < 0 || o.rate < 0 || o.create_partitions < 0 || o.product_changes_every < 0 ||
      o.event_gap_us < 0) {
    std::cerr << "brook-sales-generator: --purchases, --rate, --create-topics and "
                 "--product-changes-every must not be negative\n";
    return 2;
  }
  o.products_topic = cli.get("products-topic").value_or(o.products_topic);
  o.purchases_topic = cli.get("purchases-topic").value_or(o.purchases_topic);
  o.inventories_topic = cli.get("inventories-topic").value_or(o.inventories_topic);
  o.quiet = cli.has("quiet");
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  brook::demo::GeneratorStats stats;
  brook::Status s = brook::demo::generate(o, g_stop, &stats);
  if (!s) {
    std::cerr << "brook-sales-generator: " << s.message() << "\n";
    return 1;
  }
  std::fprintf(stderr,
               "brook-sales-generator: wrote %lld purchases, %lld restocks and %lld product "
               "changes\n",
               static_cast<long long>(stats.purchases), static_cast<long long>(stats.restocks),
               static_cast<long long>(stats.product_changes));
  return 0;
}
