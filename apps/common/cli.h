// A small command-line parser for the apps: --name value, --name=value and
// boolean --name flags, with a usage text built from the declared options. An
// option not on the command line is taken from the environment:
// BROOK_INPUT_TOPIC for --input-topic, BROOK_STOP_AT_END=true for
// --stop-at-end (repeatable options excepted), so that a container configures
// a worker with environment variables only. Single-threaded; parse once in
// main().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace brook::apps {

class Cli {
 public:
  Cli(std::string program, std::string summary)
      : program_(std::move(program)), summary_(std::move(summary)) {}

  // An option taking a value; `repeatable` collects every occurrence.
  Cli& option(const std::string& name, const std::string& help, bool repeatable = false);
  Cli& flag(const std::string& name, const std::string& help);

  // False (with *error set) on an unknown option or a missing value. Reads
  // `env` (the process's environment by default) for options not given.
  bool parse(int argc, char** argv, std::string* error, char** env = nullptr);
  std::string usage() const;

  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  // Whether the environment variable `var` (NAME of NAME=value) is one of the
  // options' (BROOK_ and the option's name in capitals, '-' as '_').
  bool takes_environment_variable(const std::string& var) const;

 private:
  struct Spec {
    std::string help;
    bool takes_value;
    bool repeatable;
  };
  static std::string environment_name(const std::string& option);

  std::string program_, summary_;
  std::vector<std::pair<std::string, Spec>> specs_;
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace brook::apps
