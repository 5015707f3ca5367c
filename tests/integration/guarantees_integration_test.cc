// What brook promises beyond an uninterrupted run, end to end over the wire
// protocol with real RocksDB stores, on the embedded Kafka and on a real broker:
// tombstones through changelog and restore, bad input (dead-letter topic,
// log_and_fail), local state that does not match its changelog, a switch of
// guarantee, the memory budget, and a Kafka or topic that is not there.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>

#include <filesystem>

#include "state/checkpoint_file.h"
#include "tests/integration/sales_check.h"

namespace brook {
namespace {

using S = std::string;

class Guarantees : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    app_ = kafka_->unique("guarantees");
    purchases_ = kafka_->unique("purchases");
    totals_ = kafka_->unique("totals");
    dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-g")).string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  StreamsConfig config(const S& guarantee = "at_least_once") {
    StreamsConfig c = kafka_->bounded_config(app_, dir_);
    c.set("processing.guarantee", guarantee).set("commit.interval.ms", "100");
    return c;
  }
  // A bounded run of `topology`; its metrics, and its exit code in `*rc`.
  std::map<S, int64_t> run(Topology topology, StreamsConfig c, int* rc = nullptr,
                           S* error = nullptr) {
    KafkaStreams streams(std::move(topology), c);
    Status s = streams.start();
    EXPECT_TRUE(s) << s.message();
    int code = streams.run_until_signal();
    if (rc) {
      *rc = code;
    } else {
      EXPECT_EQ(code, 0) << streams.error();
    }
    if (error) *error = streams.error();
    return streams.metrics();
  }
  void generate(int64_t n, uint64_t seed) {
    std::atomic<bool> stop{false};
    demo::GeneratorStats stats;
    Status s =
        demo::generate(testing::generator_options(*kafka_, purchases_, n, seed), stop, &stats);
    ASSERT_TRUE(s) << s.message();
  }
  Topology totals_topology() { return demo::build_running_totals(purchases_, totals_); }

  std::unique_ptr<testing::TestKafka> kafka_;
  S app_, purchases_, totals_, dir_;
};

// "put:K=V" stores V under K, "del:K" deletes K, "get:K" writes "K=V" or
// "K absent" to the output — through a logged, persistent store.
class Commands final : public Processor<S, S, S, S> {
 public:
  void init(ProcessorContext<S, S>& context) override {
    context_ = &context;
    store_.emplace(context.key_value_store<S, S>("kv"));
  }
  void process(const Record<S, S>& r) override {
    const S& c = r.value;
    if (c.rfind("put:", 0) == 0) {
      size_t eq = c.find('=');
      store_->put(c.substr(4, eq - 4), c.substr(eq + 1));
    } else if (c.rfind("del:", 0) == 0) {
      store_->remove(c.substr(4));
    } else if (c.rfind("get:", 0) == 0) {
      S key = c.substr(4);
      auto v = store_->get(key);
      context_->forward(Record<S, S>{key, v ? key + "=" + *v : key + " absent", r.timestamp, {}});
    }
  }

 private:
  ProcessorContext<S, S>* context_ = nullptr;
  std::optional<KeyValueStore<S, S, Serde<S>, Serde<S>>> store_;
};

Topology commands(const S& input, const S& output) {
  Topology t;
  t.add_source<S, S>("in", {input});
  t.add_processor<S, S, S, S>("commands", [] { return std::make_unique<Commands>(); }, {"in"});
  t.add_state_store(Topology::StoreDef{"kv", true, true, false}, {"commands"});
  t.add_sink<S, S>("out", output, {"commands"});
  return t;
}

// A delete reaches the changelog as a tombstone, and a store rebuilt from the
// changelog lacks the deleted key.
TEST_F(Guarantees, ADeleteReachesTheChangelogAsATombstoneAndRestoresAsOne) {
  S input = kafka_->unique("commands"), output = kafka_->unique("answers");
  ASSERT_TRUE(kafka_->create_topic(input, 1));
  ASSERT_TRUE(kafka_->create_topic(output, 1));
  ASSERT_TRUE(kafka_->produce_all(input, {{"k", "put:a=1"}, {"k", "put:b=2"}, {"k", "del:a"}}));
  run(commands(input, output), config());
  bool tombstone = false;
  for (const auto& r : kafka_->read_all(app_ + "-kv-changelog")) {
    tombstone = tombstone || (r.key == S("a") && !r.value);
  }
  EXPECT_TRUE(tombstone) << "no tombstone for the deleted key in the changelog";
  std::filesystem::remove_all(dir_);  // rebuilt from the changelog
  ASSERT_TRUE(kafka_->produce_all(input, {{"k", "get:a"}, {"k", "get:b"}}));
  auto m = run(commands(input, output), config());
  EXPECT_GT(m["restore-records-total"], 0);
  std::vector<S> answers;
  for (const auto& r : kafka_->read_all(output)) answers.push_back(r.value.value_or("null"));
  EXPECT_EQ(answers, (std::vector<S>{"a absent", "b=2"}));
}

// A record that cannot be deserialized goes to the dead-letter topic as it came
// (key, value, timestamp, headers), with headers naming the error and where it
// came from; the run goes on.
TEST_F(Guarantees, AnUndeserializableRecordGoesToTheDeadLetterTopicAsItCame) {
  S dlq = kafka_->unique("dead-letters");
  testing::create_sales_topics(*kafka_, purchases_, totals_, 2);
  ASSERT_TRUE(kafka_->create_topic(dlq, 1));
  generate(100, 3);
  ASSERT_TRUE(kafka_->produce(purchases_, 1, S("some-key"), S("{not json"), {{"trace", "t-1"}}));
  StreamsConfig c = config();
  c.set("errors.dead.letter.queue.topic.name", dlq);
  auto m = run(totals_topology(), c);
  EXPECT_EQ(m["deserialization-errors-total"], 1);
  auto bad = kafka_->read_all(dlq);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].key, S("some-key"));
  EXPECT_EQ(bad[0].value, S("{not json"));
  std::map<S, S> headers(bad[0].headers.begin(), bad[0].headers.end());
  EXPECT_EQ(headers["trace"], "t-1") << "the record's own headers stay";
  EXPECT_EQ(headers["brook.error"], "cannot deserialize value");
  EXPECT_EQ(headers["brook.source"].rfind(purchases_ + "-1@", 0), 0u) << headers["brook.source"];
  int64_t source_ts = -1;
  for (const auto& r : kafka_->read_all(purchases_)) {
    if (r.value == S("{not json")) source_ts = r.timestamp;
  }
  EXPECT_EQ(bad[0].timestamp, source_ts);
  testing::expect_totals_equal(testing::expected_totals(3, 100),
                               testing::read_totals(*kafka_, totals_, false).latest);
}

// With log_and_fail, such a record stops the instance with an error naming it,
// and its offset is not committed: the next run (log_and_continue) meets it
// again, skips it and counts everything else.
TEST_F(Guarantees, LogAndFailStopsAtAnUndeserializableRecordWithoutCommittingIt) {
  testing::create_sales_topics(*kafka_, purchases_, totals_, 1);
  generate(50, 4);
  ASSERT_TRUE(kafka_->produce(purchases_, 0, std::nullopt, S("{not json")));
  StreamsConfig c = config();
  c.set("default.deserialization.exception.handler", "log_and_fail");
  int rc = 0;
  S error;
  run(totals_topology(), c, &rc, &error);
  EXPECT_NE(rc, 0);
  EXPECT_NE(error.find("log_and_fail"), S::npos) << error;
  EXPECT_NE(error.find(purchases_ + "-0@50"), S::npos) << error;
  auto m = run(totals_topology(), config());
  EXPECT_EQ(m["deserialization-errors-total"], 1) << "met again: it was not committed";
  testing::expect_totals_equal(testing::expected_totals(4, 50),
                               testing::read_totals(*kafka_, totals_, false).latest);
}

// A checkpoint that claims more than the changelog holds (the topic was
// recreated, or the directory copied from elsewhere) cannot be trusted: the
// store is wiped and rebuilt from the whole changelog.
TEST_F(Guarantees, ACheckpointAheadOfTheChangelogWipesTheStoreAndRestoresItAll) {
  testing::create_sales_topics(*kafka_, purchases_, totals_, 2);
  generate(500, 5);
  run(totals_topology(), config());
  int64_t changelog =
      static_cast<int64_t>(kafka_->read_all(app_ + "-running-totals-store-changelog").size());
  int rewritten = 0;
  for (const auto& task : std::filesystem::directory_iterator(dir_ + "/" + app_)) {
    S path = (task.path() / ".checkpoint").string();
    if (!std::filesystem::exists(path)) continue;
    state::CheckpointFile file(path);
    S warning;
    state::ChangelogOffsets offsets = file.read(&warning);
    for (auto& [tp, offset] : offsets) offset += 1000000;
    file.write(offsets);
    ++rewritten;
  }
  ASSERT_GT(rewritten, 0);
  generate(200, 6);
  auto m = run(totals_topology(), config());
  EXPECT_EQ(m["restore-records-total"], changelog) << "the whole changelog, from scratch";
  auto expected = testing::expected_totals(5, 500);
  testing::add_totals(&expected, testing::expected_totals(6, 200));
  testing::expect_totals_equal(expected, testing::read_totals(*kafka_, totals_, false).latest);
}

// Stores written under at_least_once may hold writes never logged; under
// exactly_once_v2 they are wiped and rebuilt from their changelogs (and back).
TEST_F(Guarantees, SwitchingTheGuaranteeRebuildsTheStoresFromTheirChangelogs) {
  testing::create_sales_topics(*kafka_, purchases_, totals_, 2);
  generate(300, 7);
  run(totals_topology(), config("at_least_once"));
  generate(200, 8);
  auto eos = run(totals_topology(), config("exactly_once_v2"));
  EXPECT_GT(eos["restore-records-total"], 0) << "rebuilt from the changelog";
  generate(100, 9);
  auto back = run(totals_topology(), config("at_least_once"));
  EXPECT_GT(back["restore-records-total"], 0) << "rebuilt again";
  auto expected = testing::expected_totals(7, 300);
  testing::add_totals(&expected, testing::expected_totals(8, 200));
  testing::add_totals(&expected, testing::expected_totals(9, 100));
  testing::expect_totals_equal(expected, testing::read_totals(*kafka_, totals_, false).latest);
}

TEST_F(Guarantees, APersistentStoreWithoutAChangelogIsRefusedUnderExactlyOnce) {
  S input = kafka_->unique("words"), output = kafka_->unique("counts");
  ASSERT_TRUE(kafka_->create_topic(input, 1));
  ASSERT_TRUE(kafka_->create_topic(output, 1));
  StreamsBuilder b;
  b.stream<S, S>(input)
      .group_by_key()
      .count(Materialized::as("unlogged").with_logging_disabled())
      .to_stream()
      .to(output);
  KafkaStreams streams(b.build(), config("exactly_once_v2"));
  Status s = streams.start();
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("'unlogged'"), S::npos) << s.message();
  EXPECT_NE(s.message().find("logging disabled"), S::npos) << s.message();
}

TEST_F(Guarantees, TheMemoryBudgetSizesRocksDbsSharedCache) {
  testing::create_sales_topics(*kafka_, purchases_, totals_, 1);
  generate(10, 10);
  StreamsConfig c = config();
  c.set("rocksdb.memory.budget.bytes", "12345678");
  auto m = run(totals_topology(), c);
  EXPECT_EQ(m["rocksdb-block-cache-capacity-bytes"], 12345678);
}

TEST_F(Guarantees, AMissingSourceTopicFailsStartNamingIt) {
  KafkaStreams streams(totals_topology(), config());
  Status s = streams.start();
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("source topic " + purchases_ + " does not exist"), S::npos)
      << s.message();
}

TEST_F(Guarantees, AKafkaThatDoesNotAnswerFailsStartNamingIt) {
  StreamsConfig c = config();
  c.set("bootstrap.servers", "127.0.0.1:1");
  KafkaStreams streams(totals_topology(), c);
  auto started = std::chrono::steady_clock::now();
  Status s = streams.start();
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("cannot reach Kafka at 127.0.0.1:1"), S::npos) << s.message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

// A store that cannot write (the disk is full: here, files limited to 256 KiB)
// stops the worker with an error naming the store, within a minute, and loses
// nothing: a run once there is room counts every purchase (exactly once under
// exactly_once_v2). Under at-least-once the write fails while a batch of
// records is being processed; under exactly-once when the commit applies the
// staged writes.
TEST_F(Guarantees, AFullDiskStopsTheWorkerNamingTheStoreAndLosesNothing) {
  for (const S guarantee : {"at_least_once", "exactly_once_v2"}) {
    SCOPED_TRACE(guarantee);
    app_ = kafka_->unique("full-" + guarantee);
    purchases_ = kafka_->unique("purchases-" + guarantee);
    totals_ = kafka_->unique("totals-" + guarantee);
    S dir = dir_ + "/" + guarantee;
    testing::create_sales_topics(*kafka_, purchases_, totals_, 2);
    generate(20000, 12);
    std::filesystem::create_directories(dir);
    testing::Worker worker({"--bootstrap-servers",
                            kafka_->bootstrap_servers(),
                            "--application-id",
                            app_,
                            "--input-topic",
                            purchases_,
                            "--output-topic",
                            totals_,
                            "--state-dir",
                            dir,
                            "--commit-interval-ms",
                            "100",
                            "--no-combine",
                            "--processing-guarantee",
                            guarantee,
                            "--property",
                            "cache.max.bytes.buffering=0",
                            "--property",
                            "log.level=info",
                            "--property",
                            "consumer.session.timeout.ms=6000"},
                           dir + "/worker.log", [] {
                             // Writes past the limit fail with EFBIG instead of raising SIGXFSZ.
                             ::signal(SIGXFSZ, SIG_IGN);
                             struct rlimit limit {
                               256 << 10, 256 << 10
                             };
                             ::setrlimit(RLIMIT_FSIZE, &limit);
                           });
    int rc = worker.wait(60000);
    S log = worker.log();
    EXPECT_EQ(rc, 1) << "the worker did not stop with an error within a minute:\n" << log;
    EXPECT_NE(log.find("state store 'running-totals-store'"), S::npos) << log;
    StreamsConfig c = config(guarantee);
    c.set("state.dir", dir);
    run(totals_topology(), c);
    auto expected = testing::expected_totals(12, 20000);
    auto latest = testing::read_totals(*kafka_, totals_, guarantee != "at_least_once").latest;
    if (guarantee == "exactly_once_v2") {
      testing::expect_totals_equal(expected, latest);
      continue;
    }
    for (const auto& [product, e] : expected) {
      EXPECT_GE(latest[product].transactions, e.transactions) << product << ": purchases lost";
    }
  }
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

// An output Kafka refuses at once (over message.max.bytes) fails the instance
// under either guarantee, and under exactly-once its transaction is not
// committed: no input after the last commit counts as processed, and the
// outputs a read_committed reader sees are those of committed inputs only.
TEST_F(Guarantees, AnOutputKafkaRefusesFailsTheRunAndCommitsNoInputAfterIt) {
  ASSERT_TRUE(kafka_->create_topic(purchases_, 1));
  ASSERT_TRUE(kafka_->produce_all(purchases_, {{"a", "small"}, {"b", "big"}, {"c", "small"}}));
  for (const S guarantee : {"at_least_once", "exactly_once_v2"}) {
    SCOPED_TRACE(guarantee);
    app_ = kafka_->unique("refused-" + guarantee);
    totals_ = kafka_->unique("out-" + guarantee);
    ASSERT_TRUE(kafka_->create_topic(totals_, 1));
    StreamsBuilder builder;
    builder.stream<S, S>(purchases_)
        .map_values([](const S& v) { return v == "big" ? S(1536 * 1024, 'x') : v; })
        .to(totals_);
    int rc = 0;
    S error;
    run(builder.build(), config(guarantee), &rc, &error);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(error.find("too large"), S::npos) << error;
    int64_t committed = kafka_->committed_offset(app_, purchases_, 0);
    EXPECT_LE(committed, 1) << "an input after the refused output was committed";
    if (guarantee == "exactly_once_v2" && kafka_->is_real_broker()) {
      size_t outputs = kafka_->read_all(totals_, true).size();
      EXPECT_EQ(outputs, static_cast<size_t>(std::max<int64_t>(committed, 0)))
          << "outputs of uncommitted inputs are visible";
    }
  }
}

}  // namespace
}  // namespace brook
