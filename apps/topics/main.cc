// brook-topics: creates and describes topics on any Kafka — a real broker
// (CreateTopics, DescribeConfigs) or brook's embedded Kafka (its admin topic) —
// so that scripts can set up sources and sinks before starting workers.
#include <iostream>

#include "apps/common/cli.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"

int main(int argc, char** argv) {
  brook::apps::Cli cli("brook-topics", "Creates and describes Kafka topics.");
  cli.option("bootstrap-servers", "Kafka to use (required)")
      .option("create", "create topic NAME:PARTITIONS unless it exists (repeatable)", true)
      .option("config", "KEY=VALUE topic config for the topics created (repeatable)", true)
      .option("describe", "print NAME's partition count and configs (repeatable)", true)
      .option("count",
              "print NAME's number of offsets in use (records, and any transaction markers) "
              "(repeatable)",
              true);
  std::string error;
  if (!cli.parse(argc, argv, &error)) {
    std::cerr << "brook-topics: " << error << "\n\n" << cli.usage();
    return 2;
  }
  if (cli.has("help")) {
    std::cout << cli.usage();
    return 0;
  }
  auto bootstrap = cli.get("bootstrap-servers");
  if (!bootstrap) {
    std::cerr << "brook-topics: --bootstrap-servers is required\n";
    return 2;
  }
  std::map<std::string, std::string> configs;
  for (const std::string& kv : cli.all("config")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "brook-topics: --config takes KEY=VALUE, got '" << kv << "'\n";
      return 2;
    }
    configs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::vector<brook::InternalTopic> topics;
  for (const std::string& spec : cli.all("create")) {
    size_t colon = spec.rfind(':');
    int partitions = 0;
    try {
      partitions = colon == std::string::npos ? 0 : std::stoi(spec.substr(colon + 1));
    } catch (const std::exception&) {
    }
    if (partitions < 1 || colon == 0) {
      std::cerr << "brook-topics: --create takes NAME:PARTITIONS, got '" << spec << "'\n";
      return 2;
    }
    topics.push_back(brook::InternalTopic{spec.substr(0, colon), partitions, false, configs});
  }
  brook::kafka::Conf conf;
  brook::kafka::Handle rk;
  brook::Status s = brook::kafka::make_conf({{"bootstrap.servers", *bootstrap}}, &conf);
  if (s) s = brook::kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk);
  bool embedded = false;
  if (s) s = brook::is_embedded_kafka(rk.get(), &embedded);
  if (s) s = brook::ensure_topics(rk.get(), topics, -1, embedded);
  if (!s) {
    std::cerr << "brook-topics: " << s.message() << "\n";
    return 1;
  }
  std::vector<std::string> described = cli.all("describe");
  std::map<std::string, int> counts;
  s = brook::kafka::partition_counts(rk.get(), described, &counts);
  std::map<std::string, std::map<std::string, std::string>> all;
  if (s && !embedded) s = brook::topic_configs(rk.get(), described, &all);
  if (!s) {
    std::cerr << "brook-topics: " << s.message() << "\n";
    return 1;
  }
  for (const std::string& t : described) {
    if (!counts.count(t)) {
      std::cerr << "brook-topics: no topic " << t << "\n";
      return 1;
    }
    std::cout << t << " partitions=" << counts[t];
    for (const auto& [k, v] : all[t]) std::cout << " " << k << "=" << v;
    std::cout << "\n";
  }
  std::vector<std::string> counted = cli.all("count");
  s = brook::kafka::partition_counts(rk.get(), counted, &counts);
  for (const std::string& t : counted) {
    if (!s || !counts.count(t)) {
      std::cerr << "brook-topics: no topic " << t << (s ? "" : ": " + s.message()) << "\n";
      return 1;
    }
    int64_t n = 0;
    for (int32_t p = 0; p < counts[t]; ++p) {
      int64_t low = 0, high = 0;
      s = brook::kafka::watermarks(rk.get(), t, p, &low, &high, 10000);
      if (!s) {
        std::cerr << "brook-topics: " << s.message() << "\n";
        return 1;
      }
      n += high - low;
    }
    std::cout << t << " " << n << "\n";
  }
  return 0;
}
