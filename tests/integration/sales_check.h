// What integration tests of the running totals check, computed independently of
// brook: the totals the generator's purchases must add up to (the same
// SalesModel, same seed), and a check of the totals a run wrote. Also a worker
// process of brook-running-totals for tests that kill it. Test-thread only.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/running_totals/running_totals.h"
#include "apps/sales_generator/generator.h"
#include "tests/integration/test_kafka.h"

namespace brook::testing {

constexpr int64_t kSalesStartUs = 1669907853000000;

// The running totals of the first `n` purchases the generator writes with
// `seed` at `rate` purchases per second (0: as fast as possible).
// `start_us`: the event time of the first purchase.
std::map<std::string, demo::RunningTotal> expected_totals(uint64_t seed, int64_t n, double rate = 0,
                                                          int64_t start_us = kSalesStartUs);

// The purchases in `topic` compared with the first `n` the generator writes
// with `seed` at `rate` (as expected_totals), record by record.
struct InputTotals {
  // The running totals of the records the topic holds: those of the `n`
  // purchases, plus each purchase the topic holds more than once again.
  std::map<std::string, demo::RunningTotal> totals;
  size_t missing = 0;   // purchases of the `n` the topic lacks
  size_t repeated = 0;  // records beyond the first of the same purchase
  size_t unknown = 0;   // records that are none of the `n` purchases
};
InputTotals input_totals(TestKafka& kafka, const std::string& topic, uint64_t seed, int64_t n,
                         double rate = 0, int64_t start_us = kSalesStartUs);

// Adds the totals of `more` (another run of purchases) to `into`.
void add_totals(std::map<std::string, demo::RunningTotal>* into,
                const std::map<std::string, demo::RunningTotal>& more);

// Generator options writing `n` purchases with `seed` to the given topics of
// `kafka` (products and inventories named after the purchases topic).
demo::GeneratorOptions generator_options(const TestKafka& kafka, const std::string& purchases,
                                         int64_t n, uint64_t seed, double rate = 0,
                                         int64_t start_us = kSalesStartUs);

// Creates the purchases topic, its products and inventories topics and the
// totals topic with `partitions` partitions each.
void create_sales_topics(TestKafka& kafka, const std::string& purchases, const std::string& totals,
                         int partitions);

struct TotalsSeen {
  std::map<std::string, demo::RunningTotal> latest;  // per product, by offset order
  size_t records = 0;
  // Records whose product's transactions did not grow over its previous total
  // in the same partition: what an input applied twice, or an output written
  // twice, would show.
  size_t not_growing = 0;
};
// Reads every total in `topic` (in offset order per partition).
TotalsSeen read_totals(TestKafka& kafka, const std::string& topic, bool read_committed);

// Waits until the latest read_committed totals on `topic` count every
// purchase of `expected` (true), or `timeout` passes (false).
bool wait_for_totals(TestKafka& kafka, const std::string& topic,
                     const std::map<std::string, demo::RunningTotal>& expected,
                     std::chrono::milliseconds timeout);

// Expects the latest totals to equal `expected` field by field, with every
// product present and no other.
void expect_totals_equal(const std::map<std::string, demo::RunningTotal>& expected,
                         const std::map<std::string, demo::RunningTotal>& actual);

// A child process running brook-running-totals with `args` (after the binary),
// its stderr (and stdout) appended to `log_path`, BROOK_LOG_LEVEL=debug.
class Worker {
 public:
  // `in_child`, if any, runs in the child just before it execs the worker;
  // `binary`: another app than brook-running-totals.
  Worker(const std::vector<std::string>& args, std::string log_path,
         const std::function<void()>& in_child = {}, std::string binary = BROOK_RUNNING_TOTALS_BIN);
  ~Worker();  // SIGKILL if still running
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for the process; its exit code (128 + signal when killed), or -1 on
  // timeout (it is then still running).
  int wait(int timeout_ms = -1);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// The transaction state a worker's debug log shows last for each of its
// producers: whether any transaction was open (begun, not yet committed or
// aborted) at the end of the log.
bool log_shows_open_transaction(const std::string& log);

// A test on a real broker (BROOK_TEST_BOOTSTRAP_SERVERS, or one started) with
// sales topics of its own (purchases, the generator's others, totals; 4
// partitions), an application id, and a directory for workers' state and
// logs, kept when the test fails.
class RealKafkaSalesTest : public ::testing::Test {
 protected:
  explicit RealKafkaSalesTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override;
  void TearDown() override;
  // Writes `n` purchases with `seed` to purchases_ at `rate` per second (0:
  // as fast as possible); fails the test unless all were written.
  void generate(int64_t n, uint64_t seed, double rate = 0);

  std::unique_ptr<TestKafka> kafka_;
  std::string app_, purchases_, totals_, dir_;

 private:
  std::string prefix_;
};

}  // namespace brook::testing
