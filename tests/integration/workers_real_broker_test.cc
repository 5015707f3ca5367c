// Workers as containers run them, on a real broker: configured by environment
// variables only, stopped with SIGTERM (they commit, close their tasks and
// leave the group at once, so another worker takes their tasks without waiting
// for the session to time out), and restarted under the same
// group.instance.id (static membership: their tasks come back without a
// rebalance). The running totals stay exact throughout.
#include <signal.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

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
  // Waits until the last assignment of every worker of `ws` has `partitions`.
  static bool wait_all_assigned(const std::vector<Worker*>& ws, int partitions,
                                std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (Worker* w : ws) all = all && assignments(w->log()).last == partitions;
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
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

// Milliseconds since the epoch of a log line's "2026-11-28T08:47:21.567Z" start.
int64_t log_time_ms(const S& line) {
  std::tm tm{};
  int ms = 0;
  if (sscanf(line.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// When a worker owned which task, from its log: from an assignment naming the
// task to the revocation naming it, a loss or the shutdown, or to `end_ms`
// (its kill).
struct Ownership {
  S worker, task;
  int64_t from, to;
};
std::vector<Ownership> ownerships(const S& worker, const S& log, int64_t end_ms) {
  static const std::regex kAssigned("assigned \\d+ partitions, .*: \\[([0-9_ ]*)\\]");
  static const std::regex kRevoked("partitions revoked: handing over \\d+ tasks \\[([0-9_ ]*)\\]");
  std::vector<Ownership> out;
  std::map<S, int64_t> open;
  auto close_all = [&](int64_t at) {
    for (const auto& [task, from] : open) out.push_back({worker, task, from, at});
    open.clear();
  };
  std::istringstream lines(log);
  for (S line; std::getline(lines, line);) {
    int64_t at = log_time_ms(line);
    if (at < 0) continue;
    std::smatch m;
    if (std::regex_search(line, m, kAssigned)) {
      close_all(at);
      std::istringstream ids(m[1].str());
      for (S id; ids >> id;) open[id] = at;
    } else if (std::regex_search(line, m, kRevoked)) {
      std::istringstream ids(m[1].str());
      for (S id; ids >> id;) {
        auto it = open.find(id);
        if (it == open.end()) continue;
        out.push_back({worker, id, it->second, at});
        open.erase(it);
      }
    } else if (line.find("partitions lost") != S::npos ||
               line.find("shutting down; committed, closing") != S::npos) {
      close_all(at);
    }
  }
  close_all(end_ms);
  return out;
}

// Every task ran on one worker at a time: no two workers' ownerships of a
// task overlap. Returns how many times tasks changed hands.
int expect_one_owner_at_a_time(std::vector<Ownership> all) {
  std::sort(all.begin(), all.end(), [](const Ownership& x, const Ownership& y) {
    return std::tie(x.task, x.from) < std::tie(y.task, y.from);
  });
  int moves = 0;
  for (size_t i = 1; i < all.size(); ++i) {
    const Ownership& prev = all[i - 1];
    const Ownership& next = all[i];
    if (prev.task != next.task || prev.worker == next.worker) continue;
    ++moves;
    EXPECT_LE(prev.to, next.from) << "task " << next.task << " ran on " << prev.worker << " until "
                                  << prev.to << " and on " << next.worker << " from " << next.from;
  }
  return moves;
}

// A gauge of `streams`' metrics, -1 when it has none of that name.
int64_t gauge(const KafkaStreams& streams, const S& name) {
  auto m = streams.metrics();
  auto it = m.find(name);
  return it == m.end() ? -1 : it->second;
}

// num.standby.replicas=1: a worker (here, in this process) keeps warm copies of
// the other worker's aggregation stores by tailing their changelogs; when the
// other is killed with SIGKILL, its tasks resume here from those copies,
// replaying only the changelogs' tails (the restore-total metric of each task),
// not the changelogs (which a worker without standbys replays whole).
TEST_F(Workers, WithAStandbyAKilledWorkersTasksResumeOnItWithATailReplayOnly) {
  StreamsConfig c{{"application.id", app_},
                  {"bootstrap.servers", kafka_->bootstrap_servers()},
                  {"state.dir", dir_ + "/a"},
                  {"processing.guarantee", "exactly_once_v2"},
                  {"num.standby.replicas", "1"},
                  // Every update to the changelog: hundreds of records per
                  // task that a restoration without the standby replays.
                  {"cache.max.bytes.buffering", "0"}};
  // Every purchase through the repartition topic (no combining), each a
  // change of its product's total.
  auto a = std::make_unique<KafkaStreams>(
      demo::build_running_totals(purchases_, totals_, {}, std::nullopt), c);
  ASSERT_TRUE(a->start());
  generate(3000, 61);
  // B writes every update to its changelogs too (the app's default cache
  // would write a few per commit: too few for the tail to be told apart).
  auto b = env_worker("b", {{"BROOK_NUM_STANDBY_REPLICAS", "1"},
                            {"BROOK_CONSUMER_SESSION_TIMEOUT_MS", "6000"},
                            {"BROOK_CACHE_MAX_BYTES_BUFFERING", "0"}});
  ASSERT_TRUE(wait_assigned(*b, 1, 4, std::chrono::seconds(60))) << b->log();
  generate(20000, 62);
  std::map<S, demo::RunningTotal> expected = testing::expected_totals(61, 3000);
  testing::add_totals(&expected, testing::expected_totals(62, 20000));
  ASSERT_TRUE(testing::wait_for_totals(*kafka_, totals_, expected, std::chrono::seconds(60)));
  // B's aggregation tasks (sub-topology 1) are this worker's standbys, and they
  // have caught up with what B committed.
  std::vector<S> moved;
  for (int p = 0; p < 4; ++p) {
    if (gauge(*a, "update-total{task-id=1_" + std::to_string(p) + "}") >= 0) {
      moved.push_back("1_" + std::to_string(p));
    }
  }
  ASSERT_EQ(moved.size(), 2u) << b->log();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (const S& t : moved) {
    EXPECT_GT(gauge(*a, "update-total{task-id=" + t + "}"), 0) << t;
  }
  b->signal(SIGKILL);
  b->wait(10000);
  // The group drops B after its 6 s session; its tasks then run here.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto resumed = [&] {
    for (const S& t : moved) {
      if (gauge(*a, "restore-total{task-id=" + t + "}") < 0 ||
          gauge(*a, "restore-remaining-records-total{task-id=" + t + "}") != 0) {
        return false;
      }
    }
    return a->state() == KafkaStreams::State::kRunning;
  };
  while (!resumed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(resumed()) << b->log();
  // What a restoration without the standby would replay: the whole changelog
  // (as compaction left it by now) of the hundreds of updates written to it.
  std::map<int32_t, int64_t> changelog, written;
  for (const testing::ConsumedRecord& r :
       kafka_->read_all(app_ + "-running-totals-store-changelog")) {
    ++changelog[r.partition];
    written[r.partition] = std::max(written[r.partition], r.offset + 1);
  }
  for (const S& t : moved) {
    int32_t p = std::stoi(t.substr(2));
    int64_t restored = gauge(*a, "restore-total{task-id=" + t + "}");
    EXPECT_GT(written[p], 100) << t;
    std::cerr << "task " << t << ": restored " << restored << " of " << changelog[p] << "\n";
    EXPECT_LE(restored * 10, changelog[p]) << "task " << t << " replayed " << restored
                                           << " of its changelog's " << changelog[p] << " records";
  }
  generate(2000, 63);
  testing::add_totals(&expected, testing::expected_totals(63, 2000));
  EXPECT_TRUE(testing::wait_for_totals(*kafka_, totals_, expected, std::chrono::seconds(60)));
  a->close();
  testing::TotalsSeen seen = testing::read_totals(*kafka_, totals_, /*read_committed=*/true);
  EXPECT_EQ(seen.not_growing, 0u) << "a committed total repeated or went back";
  testing::expect_totals_equal(expected, seen.latest);
}

// Three workers on 6 partitions process purchases arriving at 2000/s while one
// of them is killed with SIGKILL and later a fourth joins. Exactly-once: the
// committed totals are exact. At-least-once: no purchase is lost, and the
// ones counted twice (processed by the killed worker after its last commit,
// and again by the worker that took its task over, when what it processed
// had gone downstream) are counted and reported (the test's
// duplicate_purchases property). Either way
// every task ran on one worker at a time, as the workers' logs tell.
class WorkersUnderGuarantee : public Workers, public ::testing::WithParamInterface<const char*> {};

TEST_P(WorkersUnderGuarantee, ThreeWorkersOnSixPartitionsThroughASigkillAndAJoin) {
  const bool eos = S(GetParam()) == "exactly_once_v2";
  purchases_ = kafka_->unique("purchases6");
  totals_ = kafka_->unique("totals6");
  testing::create_sales_topics(*kafka_, purchases_, totals_, 6);
  std::vector<std::pair<S, S>> env{{"BROOK_PROCESSING_GUARANTEE", GetParam()},
                                   {"BROOK_CONSUMER_SESSION_TIMEOUT_MS", "6000"}};
  // At-least-once commits every 30 s by default, and the cache holds totals
  // back until then: commit more often, for the test's time.
  if (!eos) env.push_back({"BROOK_COMMIT_INTERVAL_MS", "5000"});
  auto a = env_worker("a", env);
  auto b = env_worker("b", env);
  auto c = env_worker("c", env);
  // 6 purchases partitions and 6 of the repartition topic: 4 each.
  ASSERT_TRUE(wait_all_assigned({a.get(), b.get(), c.get()}, 4, std::chrono::seconds(60)))
      << a->log() << b->log() << c->log();
  constexpr int64_t kPurchases = 24000;
  constexpr double kRate = 2000;
  std::thread writer([&] { generate(kPurchases, 71, kRate); });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  int64_t killed_at = now_ms();
  b->signal(SIGKILL);
  b->wait(10000);
  // The group drops b after its session (6 s): a and c take its tasks.
  EXPECT_TRUE(wait_all_assigned({a.get(), c.get()}, 6, std::chrono::seconds(30)))
      << a->log() << c->log();
  auto d = env_worker("d", env);
  EXPECT_TRUE(wait_all_assigned({a.get(), c.get(), d.get()}, 4, std::chrono::seconds(30)))
      << a->log() << c->log() << d->log();
  writer.join();
  std::map<S, demo::RunningTotal> expected = testing::expected_totals(71, kPurchases, kRate);
  // Everything processed: the totals reach every purchase (at-least-once:
  // or more), and stay so.
  auto reached = [&] {
    auto latest = testing::read_totals(*kafka_, totals_, /*read_committed=*/true).latest;
    for (const auto& [product, e] : expected) {
      if (!latest.count(product) || latest[product].transactions < e.transactions) return false;
    }
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!reached() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  for (Worker* w : {a.get(), c.get(), d.get()}) {
    w->signal(SIGTERM);
    EXPECT_EQ(w->wait(30000), 0) << w->log();
  }
  int64_t stopped_at = now_ms();
  std::vector<Ownership> all = ownerships("b", b->log(), killed_at);
  for (auto [name, w] : {std::pair{"a", a.get()}, {"c", c.get()}, {"d", d.get()}}) {
    auto more = ownerships(name, w->log(), stopped_at);
    all.insert(all.end(), more.begin(), more.end());
  }
  EXPECT_GE(expect_one_owner_at_a_time(all), 4) << "tasks should have moved";

  testing::TotalsSeen seen = testing::read_totals(*kafka_, totals_, /*read_committed=*/true);
  if (eos) {
    EXPECT_EQ(seen.not_growing, 0u) << "a committed total repeated or went back";
    testing::expect_totals_equal(expected, seen.latest);
    return;
  }
  int64_t duplicates = 0;
  for (const auto& [product, e] : expected) {
    ASSERT_TRUE(seen.latest.count(product)) << product << " lost";
    int64_t got = seen.latest[product].transactions;
    EXPECT_GE(got, e.transactions) << product << ": purchases lost";
    duplicates += got - e.transactions;
  }
  EXPECT_EQ(seen.latest.size(), expected.size());
  RecordProperty("duplicate_purchases", static_cast<int>(duplicates));
  RecordProperty("repeated_totals", static_cast<int>(seen.not_growing));
  std::cerr << "at_least_once: " << duplicates << " of " << kPurchases
            << " purchases counted twice; " << seen.not_growing
            << " totals written again without growing\n";
}

INSTANTIATE_TEST_SUITE_P(Guarantees, WorkersUnderGuarantee,
                         ::testing::Values("exactly_once_v2", "at_least_once"),
                         [](const auto& info) {
                           return S(info.param) == "exactly_once_v2" ? "ExactlyOnce"
                                                                     : "AtLeastOnce";
                         });

}  // namespace
}  // namespace brook
