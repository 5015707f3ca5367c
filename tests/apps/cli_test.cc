// The apps' command line: options from flags or, when absent, from the
// environment (a container's only way in).
#include "apps/common/cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace brook::apps {
namespace {

Cli worker_cli() {
  Cli cli("brook-test", "a test");
  cli.option("input-topic", "in")
      .option("output-topic", "out")
      .option("property", "KEY=VALUE", true)
      .flag("stop-at-end", "stop");
  return cli;
}

struct Env {
  explicit Env(std::vector<std::string> e) : entries(std::move(e)) {}
  std::vector<std::string> entries;
  std::vector<char*> pointers;
  char** get() {
    pointers.clear();
    for (std::string& e : entries) pointers.push_back(e.data());
    pointers.push_back(nullptr);
    return pointers.data();
  }
};

TEST(Cli, TakesAbsentOptionsFromTheEnvironmentAndFlagsFirst) {
  Cli cli = worker_cli();
  Env env({"BROOK_INPUT_TOPIC=from-env", "BROOK_OUTPUT_TOPIC=ignored", "BROOK_STOP_AT_END=true",
           "BROOK_PROPERTY=a=b", "INPUT_TOPIC=other"});
  std::string arg0 = "brook-test", arg1 = "--output-topic", arg2 = "from-flag";
  char* argv[] = {arg0.data(), arg1.data(), arg2.data()};
  std::string error;
  ASSERT_TRUE(cli.parse(3, argv, &error, env.get())) << error;
  EXPECT_EQ(cli.get("input-topic"), "from-env");
  EXPECT_EQ(cli.get("output-topic"), "from-flag") << "a flag wins over the environment";
  EXPECT_TRUE(cli.has("stop-at-end"));
  EXPECT_TRUE(cli.all("property").empty()) << "repeatable options are command-line only";
  EXPECT_TRUE(cli.takes_environment_variable("BROOK_INPUT_TOPIC"));
  EXPECT_TRUE(cli.takes_environment_variable("BROOK_STOP_AT_END"));
  EXPECT_FALSE(cli.takes_environment_variable("BROOK_PROPERTY"));
  EXPECT_FALSE(cli.takes_environment_variable("BROOK_COMMIT_INTERVAL_MS"));
}

TEST(Cli, AFlagFromTheEnvironmentIsTrueFalseOrAnError) {
  std::string arg0 = "brook-test";
  char* argv[] = {arg0.data()};
  std::string error;
  Cli off = worker_cli();
  Env no({"BROOK_STOP_AT_END=false"});
  ASSERT_TRUE(off.parse(1, argv, &error, no.get())) << error;
  EXPECT_FALSE(off.has("stop-at-end"));
  Cli bad = worker_cli();
  Env maybe({"BROOK_STOP_AT_END=maybe"});
  EXPECT_FALSE(bad.parse(1, argv, &error, maybe.get()));
  EXPECT_NE(error.find("BROOK_STOP_AT_END"), std::string::npos) << error;
}

}  // namespace
}  // namespace brook::apps
