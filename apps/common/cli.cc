#include "apps/common/cli.h"

#include <algorithm>
#include <cctype>

extern char** environ;

namespace brook::apps {

Cli& Cli::option(const std::string& name, const std::string& help, bool repeatable) {
  specs_.push_back({name, Spec{help, true, repeatable}});
  return *this;
}

Cli& Cli::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, Spec{help, false, false}});
  return *this;
}

std::string Cli::environment_name(const std::string& option) {
  std::string out = "BROOK_";
  for (char c : option) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

bool Cli::takes_environment_variable(const std::string& var) const {
  return std::any_of(specs_.begin(), specs_.end(), [&](const auto& s) {
    return !s.second.repeatable && environment_name(s.first) == var;
  });
}

bool Cli::parse(int argc, char** argv, std::string* error, char** env) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      values_["help"].push_back("true");
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + arg + "'";
      return false;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto it =
        std::find_if(specs_.begin(), specs_.end(), [&](const auto& s) { return s.first == name; });
    if (it == specs_.end()) {
      *error = "unknown option '--" + name + "'";
      return false;
    }
    std::string value = "true";
    if (it->second.takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        *error = "option '--" + name + "' needs a value";
        return false;
      }
    } else if (inline_value) {
      value = *inline_value;
    }
    if (!it->second.repeatable) values_[name].clear();
    values_[name].push_back(value);
  }
  for (char** e = env ? env : environ; e && *e; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string var = entry.substr(0, eq), value = entry.substr(eq + 1);
    for (const auto& [name, spec] : specs_) {
      if (spec.repeatable || values_.count(name) || environment_name(name) != var) continue;
      if (spec.takes_value) {
        values_[name].push_back(value);
      } else if (value == "true" || value == "1" || value == "yes") {
        values_[name].push_back("true");
      } else if (value != "false" && value != "0" && value != "no" && !value.empty()) {
        *error = var + " takes true or false, got '" + value + "'";
        return false;
      }
    }
  }
  return true;
}

std::string Cli::usage() const {
  std::string out = "usage: " + program_ + " [options]\n" + summary_ +
                    "\n\noptions (each also from the environment: --input-topic from "
                    "BROOK_INPUT_TOPIC, a flag from BROOK_<FLAG>=true):\n";
  for (const auto& [name, spec] : specs_) {
    std::string left = "  --" + name + (spec.takes_value ? " VALUE" : "");
    if (left.size() < 32) left.resize(32, ' ');
    out += left + " " + spec.help + "\n";
  }
  return out;
}

std::optional<std::string> Cli::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Cli::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace brook::apps
