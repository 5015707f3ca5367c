// What every brook worker app shares: its common flags (--bootstrap-servers,
// --application-id, --processing-guarantee, --commit-interval-ms,
// --num-stream-threads, --state-dir, --config, --property, --stop-at-end,
// --describe), the configuration they make (defaults < --config file <
// BROOK_* environment < flags), an embedded Kafka when no
// --bootstrap-servers is given, and running the topology until a signal (or
// the end of a bounded run) with a summary at exit. Used from main() only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "apps/common/cli.h"
#include "brook/brook.h"

namespace brook::apps {

struct WorkerApp {
  std::string program;         // e.g. "brook-windowed-sales"
  std::string application_id;  // the default application.id
  // Topics an embedded Kafka is given (4 partitions each).
  std::vector<std::string> topics;
  // The app's own defaults of config keys (overridden like application.id).
  std::vector<std::pair<std::string, std::string>> defaults = {};
};

// Declares the common flags on `cli`.
void add_worker_flags(Cli& cli);

// The configuration the flags make. False, with the reason printed, when a
// flag or the --config file is wrong.
bool worker_config(const WorkerApp& app, const Cli& cli, StreamsConfig* config);

// Runs `topology` with `config` until SIGINT/SIGTERM (or the end of a bounded
// run), starting an embedded Kafka with app.topics first when the config
// names no bootstrap.servers. `tick`, if set, is called about five times a
// second while it runs (and once at the end): a live view. Prints a topology
// description instead with --describe. Returns the process's exit code.
int run_worker(const WorkerApp& app, const Cli& cli, Topology topology, StreamsConfig config,
               const std::function<void()>& tick = {});

}  // namespace brook::apps
