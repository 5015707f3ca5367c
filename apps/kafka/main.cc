// brook-kafka: the local Kafka (librdkafka's mock cluster) as a process that
// several workers can share. Prints `bootstrap.servers=HOST:PORT,...` as its
// first line on stdout, then runs until SIGINT/SIGTERM.
#include <csignal>
#include <iostream>
#include <thread>

#include "apps/common/cli.h"
#include "brook/testing/embedded_kafka.h"

namespace {
std::atomic<bool> g_stop{false};
}

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-kafka", "Runs a local Kafka (librdkafka mock cluster) on loopback.");
  cli.option("topic", "create topic NAME:PARTITIONS (repeatable)", true)
      .option("brokers", "number of brokers (default 1)");
  std::string error;
  if (!cli.parse(argc, argv, &error)) {
    std::cerr << "brook-kafka: " << error << "\n\n" << cli.usage();
    return 2;
  }
  if (cli.has("help")) {
    std::cout << cli.usage();
    return 0;
  }
  int brokers = 1;
  try {
    brokers = std::stoi(cli.get("brokers").value_or("1"));
  } catch (const std::exception&) {
    brokers = 0;
  }
  if (brokers < 1) {
    std::cerr << "brook-kafka: --brokers takes a positive number\n";
    return 2;
  }
  std::vector<std::pair<std::string, int>> topics;
  for (const std::string& spec : cli.all("topic")) {
    size_t colon = spec.rfind(':');
    int partitions = 0;
    try {
      if (colon != std::string::npos) partitions = std::stoi(spec.substr(colon + 1));
    } catch (const std::exception&) {
    }
    if (colon == std::string::npos || colon == 0 || partitions < 1) {
      std::cerr << "brook-kafka: --topic takes NAME:PARTITIONS, got '" << spec << "'\n";
      return 2;
    }
    topics.emplace_back(spec.substr(0, colon), partitions);
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::unique_ptr<brook::EmbeddedKafka> kafka;
  brook::Status s = brook::EmbeddedKafka::start(brokers, &kafka);
  if (!s) {
    std::cerr << "brook-kafka: " << s.message() << "\n";
    return 1;
  }
  for (const auto& [name, partitions] : topics) {
    s = kafka->create_topic(name, partitions);
    if (!s) {
      std::cerr << "brook-kafka: " << s.message() << "\n";
      return 1;
    }
  }
  std::cout << "bootstrap.servers=" << kafka->bootstrap_servers() << std::endl;
  std::cerr << "brook-kafka: local Kafka running at " << kafka->bootstrap_servers()
            << " (Ctrl-C to stop)" << std::endl;
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cerr << "brook-kafka: stopping" << std::endl;
  return 0;
}
