// A small command-line parser for the apps: --name value, --name=value and
// boolean --name flags, with a usage text built from the declared options.
// Single-threaded; parse once in main().
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

  // False (with *error set) on an unknown option or a missing value.
  bool parse(int argc, char** argv, std::string* error);
  std::string usage() const;

  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  bool has(const std::string& name) const { return values_.count(name) > 0; }

 private:
  struct Spec {
    std::string help;
    bool takes_value;
    bool repeatable;
  };
  std::string program_, summary_;
  std::vector<std::pair<std::string, Spec>> specs_;
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace brook::apps
