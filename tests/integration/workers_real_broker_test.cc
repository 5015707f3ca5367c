// Workers as containers run them, on a real broker: configured by environment
// variables only, stopped with SIGTERM (they commit, close their tasks and
// leave the group at once, so another worker takes their tasks without waiting
// for the session to time out), and restarted under the same
// group.instance.id (static membership: their tasks come back without a
// rebalance). The running totals stay exact throughout.
#include <signal.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "tests/integration/sales_check.h"

namespace brook {
namespace {

using S = std::string;
using testing::Worker;

// How many times a worker's log says its thread was assigned partitions, and
// the partition count of the last time.
struct Assignments {
  int times = 0;
  int last = -1;
};
size_t count(const S& log, const S& what) {
  size_t n = 0;
  for (size_t at = log.find(what); at != S::npos; at = log.find(what, at + 1)) ++n;
  return n;
}
Assignments assignments(const S& log) {
  Assignments a;
  static const std::regex kAssigned("assigned (\\d+) partitions");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kAssigned);
       it != std::sregex_iterator(); ++it) {
    ++a.times;
    a.last = std::stoi((*it)[1]);
  }
  return a;
}

class Workers : public testing::RealKafkaSalesTest {
 protected:
  Workers() : RealKafkaSalesTest("workers") {}

  // brook-running-totals with no flag at all: everything from BROOK_*
  // variables, as a container's environment gives it.
  std::unique_ptr<Worker> env_worker(const S& name, std::vector<std::pair<S, S>> more = {}) {
    std::vector<std::pair<S, S>> env{{"BROOK_BOOTSTRAP_SERVERS", kafka_->bootstrap_servers()},
                                     {"BROOK_APPLICATION_ID", app_},
                                     {"BROOK_INPUT_TOPIC", purchases_},
                                     {"BROOK_OUTPUT_TOPIC", totals_},
                                     {"BROOK_STATE_DIR", dir_ + "/" + name},
                                     {"BROOK_PROCESSING_GUARANTEE", "exactly_once_v2"},
                                     {"BROOK_CONSUMER_SESSION_TIMEOUT_MS", "45000"},
                                     {"BROOK_CONSUMER_HEARTBEAT_INTERVAL_MS", "500"},
                                     {"BROOK_LOG_LEVEL", "debug"}};
    env.insert(env.end(), more.begin(), more.end());
    return std::make_unique<Worker>(std::vector<S>{}, dir_ + "/" + name + ".log", [env] {
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    });
  }
  // Waits until `w`'s log shows `n` assignments, the last of `partitions`.
  static bool wait_assigned(Worker& w, int n, int partitions, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Assignments a = assignments(w.log());
      if (a.times >= n && a.last == partitions) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  void generate(int64_t n, uint64_t seed) {
    std::atomic<bool> stop{false};
    demo::GeneratorStats stats;
    Status s =
        demo::generate(testing::generator_options(*kafka_, purchases_, n, seed, 0), stop, &stats);
    ASSERT_TRUE(s) << s.message();
  }
  // Stops `w` (SIGTERM), then drains what is left in a bounded run and checks
  // the committed totals of `seeds`' purchases.
  void stop_and_check(Worker& w, const std::vector<std::pair<uint64_t, int64_t>>& seeds) {
    w.signal(SIGTERM);
    EXPECT_EQ(w.wait(30000), 0) << w.log();
    StreamsConfig c = kafka_->bounded_config(app_, dir_ + "/drain");
    c.set("processing.guarantee", "exactly_once_v2");
    KafkaStreams streams(demo::build_running_totals(purchases_, totals_), c);
    ASSERT_TRUE(streams.start());
    ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
    std::map<S, demo::RunningTotal> expected;
    for (const auto& [seed, n] : seeds)
      testing::add_totals(&expected, testing::expected_totals(seed, n));
    testing::TotalsSeen seen = testing::read_totals(*kafka_, totals_, /*read_committed=*/true);
    EXPECT_EQ(seen.not_growing, 0u) << "a committed total repeated or went back";
    testing::expect_totals_equal(expected, seen.latest);
  }
};

// The tasks a worker keeps through a rebalance, as its log's last assignment
// says ("(N kept, ...").
int kept(const S& log) {
  static const std::regex kKept("\\((\\d+) kept,");
  int n = -1;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kKept); it != std::sregex_iterator();
       ++it) {
    n = std::stoi((*it)[1]);
  }
  return n;
}

// A worker set up by its environment only, sharing the tasks with another,
// is stopped with SIGTERM: it exits cleanly at once, and the other takes all
// 8 tasks long before the 45 s session timeout would have told the group.
// Through both rebalances (the second worker joining, the first leaving), the
// tasks that stay on a worker are kept as they are: not closed, not restored.
TEST_F(Workers, ASigtermedWorkerLeavesTheGroupAtOnceAndItsTasksMoveWithoutLoss) {
  generate(3000, 41);
  auto a = env_worker("a");
  ASSERT_TRUE(wait_assigned(*a, 1, 8, std::chrono::seconds(30))) << a->log();
  auto b = env_worker("b");
  ASSERT_TRUE(wait_assigned(*b, 1, 4, std::chrono::seconds(60))) << b->log();
  ASSERT_TRUE(wait_assigned(*a, 2, 4, std::chrono::seconds(30))) << a->log();
  EXPECT_EQ(kept(a->log()), 4) << "the tasks that stayed were not kept:\n" << a->log();
  size_t restores = count(b->log(), "restoring store");
  generate(2000, 42);
  auto stopped = std::chrono::steady_clock::now();
  a->signal(SIGTERM);
  EXPECT_EQ(a->wait(30000), 0) << a->log();
  EXPECT_TRUE(wait_assigned(*b, 2, 8, std::chrono::seconds(20))) << b->log();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(25))
      << "the group waited for the session timeout";
  EXPECT_EQ(kept(b->log()), 4) << b->log();
  // Only the 2 aggregation tasks that came from the other worker restore
  // (their stores are new here); the kept ones do not.
  EXPECT_LE(count(b->log(), "restoring store") - restores, 2u) << b->log();
  generate(1000, 43);
  stop_and_check(*b, {{41, 3000}, {42, 2000}, {43, 1000}});
}

// Static membership: a worker restarting under its group.instance.id within
// the session timeout gets its tasks back, and the other worker sees no
// rebalance at all (no revocation, no new assignment).
TEST_F(Workers, AWorkerRestartingWithItsGroupInstanceIdCausesNoRebalance) {
  generate(3000, 51);
  // Static members stay in the group after they stop: a short session
  // timeout lets the final drain in without waiting long for them to expire.
  const std::pair<S, S> session{"BROOK_CONSUMER_SESSION_TIMEOUT_MS", "15000"};
  auto a = env_worker("a", {{"BROOK_GROUP_INSTANCE_ID", "worker-a"}, session});
  auto b = env_worker("b", {{"BROOK_GROUP_INSTANCE_ID", "worker-b"}, session});
  ASSERT_TRUE(wait_assigned(*a, 1, 4, std::chrono::seconds(60))) << a->log();
  ASSERT_TRUE(wait_assigned(*b, 1, 4, std::chrono::seconds(30))) << b->log();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // settled
  Assignments before = assignments(b->log());
  size_t revoked_before = count(b->log(), "partitions revoked");
  a->signal(SIGTERM);
  EXPECT_EQ(a->wait(30000), 0) << a->log();
  generate(2000, 52);
  auto again = env_worker("a", {{"BROOK_GROUP_INSTANCE_ID", "worker-a"}, session});
  ASSERT_TRUE(wait_assigned(*again, 1, 4, std::chrono::seconds(30))) << again->log();
  generate(1000, 53);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  Assignments after = assignments(b->log());
  EXPECT_EQ(after.times, before.times) << "the other worker went through a rebalance:\n"
                                       << b->log();
  EXPECT_EQ(count(b->log(), "partitions revoked"), revoked_before) << b->log();
  again->signal(SIGTERM);
  EXPECT_EQ(again->wait(30000), 0) << again->log();
  stop_and_check(*b, {{51, 3000}, {52, 2000}, {53, 1000}});
}

}  // namespace
}  // namespace brook
