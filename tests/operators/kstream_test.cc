#include <gtest/gtest.h>

#include "brook/streams_builder.h"
#include "brook/testing/topology_test_driver.h"

namespace brook {
namespace {

using S = std::string;

TEST(KStream, MapsFiltersAndWritesWithTypesFromTheLambdas) {
  StreamsBuilder b;
  b.stream<S, S>("in")
      .map_values([](const S& v) { return static_cast<int64_t>(v.size()); })
      .filter([](const S&, int64_t n) { return n > 2; })
      .map([](const S& k, int64_t n) {
        return KeyValue{n, k + "!"};
      })
      .to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, S>("in");
  auto out = driver.create_output_topic<int64_t, S>("out");
  in.pipe_input("a", "xy", 1);
  in.pipe_input("b", "xyz", 2);
  in.pipe_input("c", "wxyz", 3);
  auto r = out.read_record();
  EXPECT_EQ(r.key, 3);
  EXPECT_EQ(r.value, "b!");
  EXPECT_EQ(r.timestamp, 2) << "records keep their timestamp";
  EXPECT_EQ(out.read_key_value().key, 4);
  EXPECT_TRUE(out.is_empty());
}

TEST(KStream, FlatMapsAndFiltersNot) {
  StreamsBuilder b;
  b.stream<S, S>("in")
      .flat_map_values([](const S& v) {
        return std::vector<S>{v, v + v};
      })
      .filter_not([](const S&, const S& v) { return v == "bb"; })
      .flat_map([](const S& k, const S& v) {
        return std::vector<KeyValue<S, int32_t>>{{k + v, static_cast<int32_t>(v.size())}};
      })
      .to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, S>("in");
  auto out = driver.create_output_topic<S, int32_t>("out");
  in.pipe_input("k", "a", 0);
  in.pipe_input("k", "b", 0);
  auto list = out.read_key_values_to_list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].key, "ka");
  EXPECT_EQ(list[1].key, "kaa");
  EXPECT_EQ(list[1].value, 2);
  EXPECT_EQ(list[2].key, "kb");
}

TEST(KStream, PeeksForEachesAndMergesStreams) {
  StreamsBuilder b;
  std::vector<S> peeked, visited;
  auto left = b.stream<S, S>("left");
  auto right = b.stream<S, S>("right");
  auto merged = left.merge(right).peek([&](const S& k, const S&) { peeked.push_back(k); });
  merged.foreach ([&](const S&, const S& v) { visited.push_back(v); });
  merged.to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  driver.create_input_topic<S, S>("left").pipe_input("l", "1", 0);
  driver.create_input_topic<S, S>("right").pipe_input("r", "2", 0);
  EXPECT_EQ(peeked, (std::vector<S>{"l", "r"}));
  EXPECT_EQ(visited, (std::vector<S>{"1", "2"}));
  EXPECT_EQ((driver.create_output_topic<S, S>("out").queue_size()), 2u);
}

TEST(KGroupedStream, CountsPerKeyAfterRepartitioningOverSeveralPartitions) {
  StreamsBuilder b;
  b.stream<S, S>("words")
      .group_by([](const S&, const S& word) { return word; }, Grouped::as("by-word"))
      .count(Materialized::as("counts"))
      .to_stream()
      .to("counts-out");
  Topology t = b.build();
  EXPECT_NE(t.describe().find("by-word-repartition"), std::string::npos);
  TopologyTestDriver driver(t, {}, 4);
  auto in = driver.create_input_topic<S, S>("words");
  // Null keys: the input spreads them round-robin over the 4 partitions, so the
  // same word arrives on different partitions and only repartitioning brings
  // them to one task.
  for (const char* w : {"a", "b", "a", "c", "a", "b"}) in.pipe_value(w, 1);
  auto counts = driver.create_output_topic<S, int64_t>("counts-out").read_key_values_to_map();
  EXPECT_EQ(counts, (std::map<S, int64_t>{{"a", 3}, {"b", 2}, {"c", 1}}));
  EXPECT_EQ((driver.store_get<S, int64_t>("counts", "a")), 3);
  auto changelog = driver.create_output_topic<S, int64_t>("test-driver-counts-changelog");
  EXPECT_EQ(changelog.read_key_values_to_map(), counts) << "every store write is changelogged";
}

struct Sale {
  std::string product;
  int64_t quantity = 0;
};
BROOK_JSON(Sale, product, quantity)

// The reducer of the sales tests.
Sale add_quantities(Sale total, const Sale& s) {
  total.quantity += s.quantity;
  return total;
}

// The latest quantity of each product in the sales tests' output topic, "totals".
std::map<S, int64_t> read_quantities(TopologyTestDriver& driver) {
  std::map<S, int64_t> totals;
  for (const auto& [k, v] : driver.create_output_topic<S, Sale>("totals").read_key_values_to_map())
    totals[k] = v.quantity;
  return totals;
}

// Serde `Inner`, counting its calls.
template <class Inner>
struct Counting {
  static inline int writes = 0, reads = 0;
  template <class T>
  static void serialize(const T& v, std::string& out) {
    ++writes;
    Inner::serialize(v, out);
  }
  template <class T>
  static bool deserialize(const char* data, size_t size, T& out) {
    ++reads;
    return Inner::deserialize(data, size, out);
  }
};
using CountingSaleSerde = Counting<BinarySerde<Sale>>;
using CountingKeySerde = Counting<Serde<S>>;

TEST(KGroupedStream, WritesAndReadsTheRepartitionTopicWithTheGroupedSerdes) {
  StreamsBuilder b;
  b.stream<S, Sale>("sales")
      .group_by([](const S&, const Sale& s) { return s.product; },
                Grouped::as("by-product")
                    .with_value_serde<CountingSaleSerde>()
                    .with_key_serde<CountingKeySerde>())
      .reduce(add_quantities)
      .to_stream()
      .to("totals");
  Topology t = b.build();
  EXPECT_NE(t.describe().find("by-product-repartition"), std::string::npos);
  TopologyTestDriver driver(t, {}, 3);
  auto in = driver.create_input_topic<S, Sale>("sales");
  for (auto [p, q] : {std::pair{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}})
    in.pipe_value(Sale{p, q}, 1);
  EXPECT_EQ(CountingSaleSerde::writes, 4) << "the repartition sink writes with the value serde";
  EXPECT_EQ(CountingSaleSerde::reads, 4) << "the repartition source reads with it";
  EXPECT_EQ(CountingKeySerde::writes, 4);
  EXPECT_EQ(CountingKeySerde::reads, 4);
  EXPECT_EQ(read_quantities(driver), (std::map<S, int64_t>{{"a", 4}, {"b", 2}, {"c", 4}}));
}

TEST(KStream, ReadsAndWritesTopicsWithTheConsumedAndProducedSerdes) {
  using Binary = BinarySerde<Sale>;
  StreamsBuilder b;
  b.stream<S, Sale>("sales", Consumed::as("sales-source").with_value_serde<Binary>())
      .map_values([](const Sale& s) {
        return Sale{s.product, s.quantity * 10};
      })
      .to("out", Produced::as("out-sink").with_value_serde<Binary>());
  Topology t = b.build();
  EXPECT_NE(t.describe().find("Source: sales-source (topics: [sales])"), std::string::npos)
      << t.describe();
  EXPECT_NE(t.describe().find("Sink: out-sink (topic: out)"), std::string::npos) << t.describe();
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, Sale, Serde<S>, Binary>("sales");
  in.pipe_input("k", Sale{"a", 2}, 1);
  // JSON is not what this source reads: skipped and counted, as any bad record.
  driver.create_input_topic<S, Sale>("sales").pipe_input("k", Sale{"b", 3}, 2);
  EXPECT_EQ(driver.metrics().deserialization_errors_total.load(), 1);
  auto out = driver.create_output_topic<S, Sale, Serde<S>, Binary>("out");
  ASSERT_EQ(out.queue_size(), 1u);
  EXPECT_THROW((driver.create_output_topic<S, Sale>("out").read_record()), std::runtime_error)
      << "the sink wrote binary, which JSON does not read";
  in.pipe_input("k", Sale{"c", 4}, 3);
  auto r = out.read_record();
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.value.product, "c");
  EXPECT_EQ(r.value.quantity, 40);
  EXPECT_TRUE(out.is_empty());
}

TEST(KStream, TakesTimestampsFromTheConsumedExtractor) {
  // The event time is the quantity here; the record's own timestamp is ignored.
  auto by_quantity = [](const S&, const Sale& s, int64_t) { return s.quantity; };
  StreamsBuilder b;
  b.stream<S, Sale>("json", with_timestamp_extractor(by_quantity)).to("out");
  b.stream<S, Sale>("binary", Consumed::as("binary-source")
                                  .with_value_serde<BinarySerde<Sale>>()
                                  .with_timestamp_extractor(by_quantity))
      .to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  driver.create_input_topic<S, Sale>("json").pipe_input("k", Sale{"a", 7}, 1000);
  driver.create_input_topic<S, Sale, Serde<S>, BinarySerde<Sale>>("binary").pipe_input(
      "k", Sale{"b", 9}, 1000);
  auto out = driver.create_output_topic<S, Sale>("out");
  EXPECT_EQ(out.read_record().timestamp, 7);
  EXPECT_EQ(out.read_record().timestamp, 9);
}

TEST(KGroupedStream, KeepsItsStoreWithTheMaterializedSerdes) {
  using Binary = BinarySerde<Sale>;
  for (bool caching : {true, false}) {
    SCOPED_TRACE(caching ? "cached" : "not cached");
    auto materialized = Materialized::as("totals").with_value_serde<Binary>();
    if (!caching) materialized.with_caching_disabled();
    StreamsBuilder b;
    b.stream<S, Sale>("sales")
        .group_by_key()
        .reduce(add_quantities, materialized)
        .to_stream()
        .to("out");
    Topology t = b.build();
    TopologyTestDriver driver(t);
    auto in = driver.create_input_topic<S, Sale>("sales");
    in.pipe_input("a", Sale{"a", 1}, 1);
    in.pipe_input("a", Sale{"a", 2}, 2);
    auto stored = driver.store_get<S, Sale, Serde<S>, Binary>("totals", "a");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->quantity, 3);
    EXPECT_FALSE((driver.store_get<S, Sale>("totals", "a")))
        << "the store holds binary, which JSON does not read";
    auto out = driver.create_output_topic<S, Sale>("out").read_key_values_to_list();
    ASSERT_EQ(out.size(), 2u) << "the output topic keeps its own (JSON) serde";
    EXPECT_EQ(out[1].value.quantity, 3);
  }
}

// Sales re-keyed by product and reduced, with `combine` ahead of the repartition topic.
Topology sales_totals(std::optional<Combine> combine) {
  StreamsBuilder b;
  b.stream<S, Sale>("sales")
      .group_by([](const S&, const Sale& s) { return s.product; }, Grouped::as("by-product"))
      .reduce(add_quantities, Materialized::as("totals-store"), combine)
      .to_stream()
      .to("totals");
  return b.build();
}

// Six sales of two products; null keys, so both of two partitions see both.
void pipe_six_sales(TopologyTestDriver& driver) {
  auto in = driver.create_input_topic<S, Sale>("sales");
  int64_t ts = 10;
  for (auto [p, q] : {std::pair{"a", 1}, {"a", 2}, {"b", 3}, {"b", 4}, {"a", 5}, {"b", 6}})
    in.pipe_value(Sale{p, q}, ts++);
}

const std::map<S, int64_t> kSixSalesTotals = {{"a", 8}, {"b", 13}};

TEST(KGroupedStream, CombinesEachKeysRecordsBeforeTheRepartitionTopicForAtMostTheDelay) {
  Topology t = sales_totals(Combine::within_ms(100));
  TopologyTestDriver driver(t, StreamsConfig{}.set("commit.interval.ms", "1000"), 2);
  pipe_six_sales(driver);
  EXPECT_EQ(driver.metrics().process_total.load(), 6) << "the combiners hold every sale back";
  driver.advance_wall_clock_time(std::chrono::milliseconds(99));
  EXPECT_EQ(driver.metrics().process_total.load(), 6);
  driver.advance_wall_clock_time(std::chrono::milliseconds(1));
  EXPECT_EQ(driver.metrics().process_total.load(), 6 + 4)
      << "after the delay, one partial per product from each of the two tasks";
  auto totals = driver.create_output_topic<S, Sale>("totals");
  EXPECT_TRUE(totals.is_empty()) << "the store's cache still holds the totals until the commit";
  driver.advance_wall_clock_time(std::chrono::milliseconds(900));
  EXPECT_EQ(read_quantities(driver), kSixSalesTotals);
  EXPECT_EQ((driver.store_get<S, Sale>("totals-store", "a"))->quantity, 8);
}

TEST(KGroupedStream, CombinerWritesWhatItHoldsAtEveryCommit) {
  Topology t = sales_totals(Combine::within_ms(60000));  // longer than the commit interval
  TopologyTestDriver driver(t, StreamsConfig{}.set("commit.interval.ms", "1000"), 2);
  pipe_six_sales(driver);
  driver.advance_wall_clock_time(std::chrono::milliseconds(999));
  EXPECT_EQ(driver.metrics().process_total.load(), 6);
  // The commit flushes the combiners, processes their partials, then flushes
  // the store's cache those filled, all before it completes.
  driver.advance_wall_clock_time(std::chrono::milliseconds(1));
  EXPECT_EQ(driver.metrics().process_total.load(), 6 + 4);
  EXPECT_EQ(read_quantities(driver), kSixSalesTotals);
}

TEST(KGroupedStream, CombinerWritesEverythingOnceItHoldsMaxKeys) {
  Topology t = sales_totals(Combine::within_ms(60000).with_max_keys(2));
  TopologyTestDriver driver(t, StreamsConfig{}.set("commit.interval.ms", "60000"), 1);
  auto in = driver.create_input_topic<S, Sale>("sales");
  in.pipe_value(Sale{"a", 1}, 1);
  in.pipe_value(Sale{"a", 2}, 2);
  EXPECT_EQ(driver.metrics().process_total.load(), 2);
  in.pipe_value(Sale{"b", 3}, 3);  // the second key
  EXPECT_EQ(driver.metrics().process_total.load(), 3 + 2);
  in.pipe_value(Sale{"c", 4}, 4);
  EXPECT_EQ(driver.metrics().process_total.load(), 4 + 2) << "a new round of combining";
  driver.advance_wall_clock_time(std::chrono::milliseconds(60000));
  EXPECT_EQ(read_quantities(driver), (std::map<S, int64_t>{{"a", 3}, {"b", 3}, {"c", 4}}));
}

TEST(KGroupedStream, CombinedReduceEmitsWhatTheUncombinedOneDoesWhenEveryRecordCommits) {
  Topology combined = sales_totals(Combine{});
  Topology plain = sales_totals(std::nullopt);
  // Adding the combiner renames nothing: it takes the next free number.
  std::string with = combined.describe(), without = plain.describe();
  EXPECT_NE(with.find("KSTREAM-COMBINE"), std::string::npos) << with;
  EXPECT_EQ(without.find("KSTREAM-COMBINE"), std::string::npos) << without;
  for (const char* name :
       {"KSTREAM-KEY-SELECT-0000000001", "KSTREAM-REDUCE-0000000002", "KSTREAM-SINK-0000000003",
        "KSTREAM-SOURCE-0000000004", "by-product-repartition", "totals-store"}) {
    EXPECT_NE(with.find(name), std::string::npos) << name << "\n" << with;
    EXPECT_NE(without.find(name), std::string::npos) << name << "\n" << without;
  }
  auto run = [](const Topology& t) {
    TopologyTestDriver driver(t, {}, 3);  // commits after every input record
    pipe_six_sales(driver);
    std::vector<std::pair<S, int64_t>> out;
    for (const auto& kv : driver.create_output_topic<S, Sale>("totals").read_key_values_to_list())
      out.emplace_back(kv.key, kv.value.quantity);
    return out;
  };
  EXPECT_EQ(run(combined), run(plain));
  EXPECT_EQ(run(combined).size(), 6u) << "one update per sale";
}

TEST(KGroupedStream, ReducesAndAggregatesWithoutRepartitionWhenKeyIsUnchanged) {
  StreamsBuilder b;
  auto grouped = b.stream<S, int64_t>("nums").group_by_key();
  grouped.reduce([](int64_t a, int64_t v) { return a + v; }).to_stream().to("sums");
  grouped
      .aggregate([] { return S(); },
                 [](const S&, int64_t v, S agg) { return agg + std::to_string(v) + ","; })
      .to_stream()
      .to("lists");
  Topology t = b.build();
  EXPECT_EQ(t.describe().find("repartition"), std::string::npos) << t.describe();
  TopologyTestDriver driver(t, {}, 2);
  auto in = driver.create_input_topic<S, int64_t>("nums");
  in.pipe_input("x", 1, 0);
  in.pipe_input("y", 10, 0);
  in.pipe_input("x", 2, 0);
  EXPECT_EQ((driver.create_output_topic<S, int64_t>("sums").read_key_values_to_map()),
            (std::map<S, int64_t>{{"x", 3}, {"y", 10}}));
  EXPECT_EQ((driver.create_output_topic<S, S>("lists").read_key_values_to_map()),
            (std::map<S, S>{{"x", "1,2,"}, {"y", "10,"}}));
}

TEST(KTable, MapsFiltersAndStreamsItsUpdates) {
  StreamsBuilder b;
  auto table =
      b.stream<S, int64_t>("in").group_by_key().reduce([](int64_t a, int64_t v) { return a + v; });
  table.filter([](const S&, int64_t v) { return v % 2 == 0; })
      .map_values([](int64_t v) { return "even:" + std::to_string(v); })
      .to_stream()
      .to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, int64_t>("in");
  auto out = driver.create_output_topic<S, S>("out");
  in.pipe_input("k", 1, 0);  // 1: odd, filtered out (tombstone, not on the stream)
  in.pipe_input("k", 1, 0);  // 2
  in.pipe_input("k", 5, 0);  // 7: odd again
  auto list = out.read_key_values_to_list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].value, "even:2");
}

TEST(SourceNode, SkipsAndCountsRecordsThatDoNotDeserialize) {
  StreamsBuilder b;
  b.stream<S, int64_t>("in").to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<S, int64_t>("in");
  in.pipe_raw_value(S("k"), S("abc"), 0);  // not 8 bytes
  in.pipe_raw_value(S("k"), std::nullopt, 0);
  in.pipe_input("k", 42, 0);
  auto out = driver.create_output_topic<S, int64_t>("out");
  EXPECT_EQ(out.read_key_value().value, 42);
  EXPECT_TRUE(out.is_empty());
  EXPECT_EQ(driver.metrics().deserialization_errors_total.load(), 2);
}

TEST(SinkNode, KeepsNullKeysAndValuesNullWithOptionalTypes) {
  StreamsBuilder b;
  b.stream<std::optional<S>, std::optional<S>>("in").to("out");
  b.stream<S, S>("in2").to("out2");
  Topology t = b.build();
  TopologyTestDriver driver(t);
  driver.create_input_topic<S, S>("in").pipe_raw_value(std::nullopt, std::nullopt, 0);
  driver.create_input_topic<S, S>("in").pipe_raw_value(S("k"), S("v"), 0);
  driver.create_input_topic<S, S>("in2").pipe_raw_value(std::nullopt, S("v"), 0);
  auto& out = driver.captured("out");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].key.has_value());
  EXPECT_FALSE(out[0].value.has_value()) << "a tombstone stays a tombstone";
  EXPECT_EQ(out[1].key, "k");
  EXPECT_EQ(driver.captured("out2").front().key, "") << "std::string reads null as empty";
}

TEST(SourceNode, SendsUndeserializableRecordsToTheDeadLetterTopic) {
  StreamsBuilder b;
  b.stream<S, int64_t>("in").to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t, {{"errors.dead.letter.queue.topic.name", "dlq"}});
  driver.create_input_topic<S, int64_t>("in").pipe_raw_value(S("k"), S("abc"), 0);
  auto& dlq = driver.captured("dlq");
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq.front().value, "abc");
  EXPECT_FALSE(dlq.front().headers.empty());
}

TEST(SourceNode, StopsOnBadRecordsWhenConfiguredToFail) {
  StreamsBuilder b;
  b.stream<S, int64_t>("in").to("out");
  Topology t = b.build();
  TopologyTestDriver driver(t, {{"default.deserialization.exception.handler", "log_and_fail"}});
  auto in = driver.create_input_topic<S, int64_t>("in");
  EXPECT_THROW(in.pipe_raw_value(S("k"), S("abc"), 0), std::runtime_error);
}

}  // namespace
}  // namespace brook
