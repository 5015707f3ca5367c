#include "tests/integration/sales_check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "apps/sales_generator/sales_model.h"

namespace brook::testing {

namespace {

void add_purchase(std::map<std::string, demo::RunningTotal>* totals, const demo::Purchase& p) {
  demo::RunningTotal& e = (*totals)[p.product_id];
  e.product_id = p.product_id;
  e.transactions += 1;
  e.quantities += p.quantity;
  e.sales.value += p.total_cents;
  e.event_time = std::max(e.event_time, demo::SalesModel::format_time(p.time_us));
}

// The first `n` purchases the generator writes with `seed` at `rate`.
std::vector<demo::Purchase> generated_purchases(uint64_t seed, int64_t n, double rate,
                                                int64_t start_us) {
  demo::SalesModel model(seed, start_us);
  int64_t gap_us = rate > 0 ? static_cast<int64_t>(1e6 / rate) : 1000;  // as the generator
  std::vector<demo::Purchase> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(model.next_purchase(gap_us));
  return out;
}

}  // namespace

std::map<std::string, demo::RunningTotal> expected_totals(uint64_t seed, int64_t n, double rate,
                                                          int64_t start_us) {
  std::map<std::string, demo::RunningTotal> out;
  for (const demo::Purchase& p : generated_purchases(seed, n, rate, start_us))
    add_purchase(&out, p);
  return out;
}

InputTotals input_totals(TestKafka& kafka, const std::string& topic, uint64_t seed, int64_t n,
                         double rate, int64_t start_us) {
  InputTotals out;
  // Each purchase by the exact record the generator writes for it: how often
  // it was generated, and how often the topic holds it.
  struct Count {
    demo::Purchase purchase;
    size_t generated = 0;
    size_t held = 0;
  };
  std::map<std::string, Count> counts;
  for (demo::Purchase& p : generated_purchases(seed, n, rate, start_us)) {
    add_purchase(&out.totals, p);
    Count& c = counts[demo::SalesModel::purchase_json(p)];
    c.purchase = std::move(p);
    ++c.generated;
  }
  for (const ConsumedRecord& r : kafka.read_all(topic)) {
    auto it = r.value ? counts.find(*r.value) : counts.end();
    if (it == counts.end()) {
      ++out.unknown;
    } else if (++it->second.held > it->second.generated) {
      ++out.repeated;
      add_purchase(&out.totals, it->second.purchase);
    }
  }
  for (const auto& [value, c] : counts) out.missing += c.generated - std::min(c.held, c.generated);
  return out;
}

void add_totals(std::map<std::string, demo::RunningTotal>* into,
                const std::map<std::string, demo::RunningTotal>& more) {
  for (const auto& [id, t] : more) {
    demo::RunningTotal& e = (*into)[id];
    e.product_id = id;
    e.transactions += t.transactions;
    e.quantities += t.quantities;
    e.sales.value += t.sales.value;
    e.event_time = std::max(e.event_time, t.event_time);
  }
}

demo::GeneratorOptions generator_options(const TestKafka& kafka, const std::string& purchases,
                                         int64_t n, uint64_t seed, double rate, int64_t start_us) {
  demo::GeneratorOptions o;
  o.bootstrap_servers = kafka.bootstrap_servers();
  o.purchases_topic = purchases;
  o.products_topic = purchases + "-products";
  o.inventories_topic = purchases + "-inventories";
  o.purchases = n;
  o.seed = seed;
  o.rate = rate;
  o.start_time_us = start_us;
  o.quiet = true;
  return o;
}

void create_sales_topics(TestKafka& kafka, const std::string& purchases, const std::string& totals,
                         int partitions) {
  for (const std::string& t :
       {purchases, purchases + "-products", purchases + "-inventories", totals}) {
    Status s = kafka.create_topic(t, partitions);
    ASSERT_TRUE(s) << s.message();
  }
}

TotalsSeen read_totals(TestKafka& kafka, const std::string& topic, bool read_committed) {
  std::vector<ConsumedRecord> records = kafka.read_all(topic, read_committed);
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.partition < b.partition || (a.partition == b.partition && a.offset < b.offset);
  });
  TotalsSeen seen;
  for (const ConsumedRecord& r : records) {
    demo::RunningTotal t;
    EXPECT_TRUE(r.key && r.value);
    if (!r.value) continue;
    EXPECT_TRUE(Serde<demo::RunningTotal>::deserialize(r.value->data(), r.value->size(), t))
        << *r.value;
    EXPECT_EQ(t.product_id, r.key.value_or(""));
    auto it = seen.latest.find(t.product_id);
    if (it != seen.latest.end() && t.transactions <= it->second.transactions) ++seen.not_growing;
    seen.latest[t.product_id] = t;
    ++seen.records;
  }
  return seen;
}

void expect_totals_equal(const std::map<std::string, demo::RunningTotal>& expected,
                         const std::map<std::string, demo::RunningTotal>& actual) {
  EXPECT_EQ(actual.size(), expected.size());
  for (const auto& [id, e] : expected) {
    auto it = actual.find(id);
    if (it == actual.end()) {
      ADD_FAILURE() << "no total for " << id;
      continue;
    }
    EXPECT_EQ(it->second.transactions, e.transactions) << id;
    EXPECT_EQ(it->second.quantities, e.quantities) << id;
    EXPECT_EQ(it->second.sales.value, e.sales.value) << id;
    EXPECT_EQ(it->second.event_time, e.event_time) << id;
  }
}

bool wait_for_totals(TestKafka& kafka, const std::string& topic,
                     const std::map<std::string, demo::RunningTotal>& expected,
                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto latest = read_totals(kafka, topic, /*read_committed=*/true).latest;
    bool all = latest.size() == expected.size();
    for (const auto& [product, e] : expected) {
      auto it = latest.find(product);
      all = all && it != latest.end() && it->second.transactions == e.transactions;
    }
    if (all) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

Worker::Worker(const std::vector<std::string>& args, std::string log_path,
               const std::function<void()>& in_child, std::string binary)
    : log_path_(std::move(log_path)) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::setenv("BROOK_LOG_LEVEL", "debug", 1);
    if (in_child) in_child();
    std::vector<std::string> argv_strings = {binary};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
}

Worker::~Worker() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void Worker::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int Worker::wait(int timeout_ms) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, timeout_ms < 0 ? 0 : WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string Worker::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool log_shows_open_transaction(const std::string& log) {
  // "<client id>: transaction begun|committed|aborted", one producer per thread.
  std::map<std::string, bool> open;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    for (const char* what :
         {": transaction begun", ": transaction committed", ": transaction aborted"}) {
      size_t at = line.find(what);
      if (at == std::string::npos) continue;
      size_t from = line.find("brook: ");
      std::string producer = from == std::string::npos ? "" : line.substr(from + 7, at - from - 7);
      open[producer] = std::string(what) == ": transaction begun";
    }
  }
  for (const auto& [producer, is_open] : open) {
    if (is_open) return true;
  }
  return false;
}

void RealKafkaSalesTest::generate(int64_t n, uint64_t seed, double rate) {
  std::atomic<bool> stop{false};
  demo::GeneratorStats stats;
  Status s = demo::generate(generator_options(*kafka_, purchases_, n, seed, rate), stop, &stats);
  ASSERT_TRUE(s) << s.message();
}

void RealKafkaSalesTest::SetUp() {
  kafka_ = std::make_unique<TestKafka>(TestKafka::Kind::kReal);
  app_ = kafka_->unique(prefix_);
  purchases_ = kafka_->unique("purchases");
  totals_ = kafka_->unique("totals");
  dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-" + prefix_)).string();
  std::filesystem::create_directories(dir_);
  create_sales_topics(*kafka_, purchases_, totals_, 4);
}

void RealKafkaSalesTest::TearDown() {
  if (HasFailure()) {
    std::cerr << "kept the workers' logs and state in " << dir_ << "\n";
    return;
  }
  std::filesystem::remove_all(dir_);
}

}  // namespace brook::testing
