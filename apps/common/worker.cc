#include "apps/common/worker.h"

#include <atomic>
#include <iostream>
#include <thread>
#include <vector>

#include "brook/testing/embedded_kafka.h"

extern char** environ;

namespace brook::apps {

void add_worker_flags(Cli& cli) {
  cli.option("bootstrap-servers", "Kafka to use; absent: start an embedded Kafka in this process")
      .option("application-id", "the application's id (its group, and its topics' prefix)")
      .option("processing-guarantee", "at_least_once | exactly_once_v2")
      .option("commit-interval-ms", "commit period")
      .option("num-stream-threads", "stream threads in this process")
      .option("state-dir", "root of local state")
      .option("config", "properties file (key=value) with any brook or librdkafka key")
      .option("property", "KEY=VALUE config entry (repeatable)", true)
      .flag("stop-at-end", "process inputs up to their end offsets at start, then exit")
      .flag("describe", "print the topology and exit");
}

bool worker_config(const WorkerApp& app, const Cli& cli, StreamsConfig* config) {
  config->set("application.id", app.application_id);
  for (const auto& [key, value] : app.defaults) config->set(key, value);
  if (auto file = cli.get("config")) {
    Status s = config->load_properties_file(*file);
    if (!s) {
      std::cerr << app.program << ": " << s.message() << "\n";
      return false;
    }
  }
  // The environment's configuration keys; a variable of one of the options
  // came in with them (BROOK_INPUT_TOPIC is --input-topic, not a key).
  std::vector<char*> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    if (!cli.takes_environment_variable(entry.substr(0, entry.find('=')))) env.push_back(*e);
  }
  env.push_back(nullptr);
  config->load_environment(env.data());
  const std::pair<const char*, const char*> flags[] = {
      {"bootstrap-servers", "bootstrap.servers"},
      {"application-id", "application.id"},
      {"processing-guarantee", "processing.guarantee"},
      {"commit-interval-ms", "commit.interval.ms"},
      {"num-stream-threads", "num.stream.threads"},
      {"state-dir", "state.dir"},
  };
  for (const auto& [flag, key] : flags) {
    if (auto v = cli.get(flag)) config->set(key, *v);
  }
  for (const std::string& kv : cli.all("property")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << app.program << ": --property takes KEY=VALUE, got '" << kv << "'\n";
      return false;
    }
    config->set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (cli.has("stop-at-end")) config->set("stop.at.end", "true");
  return true;
}

int run_worker(const WorkerApp& app, const Cli& cli, Topology topology, StreamsConfig config,
               const std::function<void()>& tick) {
  if (cli.has("describe")) {
    std::cout << topology.describe();
    return 0;
  }
  std::unique_ptr<EmbeddedKafka> embedded;
  if (!config.contains("bootstrap.servers")) {
    Status s = EmbeddedKafka::start(1, &embedded);
    for (const std::string& t : app.topics) {
      if (s) s = embedded->create_topic(t, 4);
    }
    if (!s) {
      std::cerr << app.program << ": " << s.message() << "\n";
      return 1;
    }
    config.set("bootstrap.servers", embedded->bootstrap_servers());
    std::cerr << app.program << ": no --bootstrap-servers given; started an embedded Kafka at "
              << embedded->bootstrap_servers() << " (write the demo topics to it with "
              << "brook-sales-generator --bootstrap-servers " << embedded->bootstrap_servers()
              << ")\n";
  }
  KafkaStreams streams(std::move(topology), config);
  Status s = streams.start();
  if (!s) {
    std::cerr << app.program << ": " << s.message() << "\n";
    return 2;
  }
  std::atomic<bool> done{false};
  std::thread view;
  if (tick) {
    view = std::thread([&] {
      while (!done.load()) {
        tick();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  }
  int rc = streams.run_until_signal();
  done = true;
  if (view.joinable()) view.join();
  if (tick) tick();
  auto m = streams.metrics();
  std::cerr << app.program << ": processed " << m["process-total"] << " records, skipped "
            << m["deserialization-errors-total"] << " malformed, dropped "
            << m["dropped-records-total"] << ", " << m["commit-total"] << " commits\n";
  return rc;
}

}  // namespace brook::apps
