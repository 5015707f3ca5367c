// What brook-bench-pipeline's programs share: its options, how it fails, and
// the client properties given on its command line. Single-threaded use.
#pragma once

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "brook/status.h"

namespace brook::bench {

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

inline void check(const brook::Status& s) {
  if (!s) {
    std::cerr << "brook-bench-pipeline: " << s.message() << "\n";
    std::exit(1);
  }
}

// Properties given with --property for one client (prefix stripped).
inline std::map<std::string, std::string> client_defaults(const Options& o,
                                                          const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : o.properties) {
    if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
  }
  return out;
}

}  // namespace brook::bench
