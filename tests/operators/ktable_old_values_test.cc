// A KTable's changes with old values (Change::old_value), as a table-table join
// or a regrouping will read them: what the aggregation, map_values and filter
// forward once enable_sending_old_values() is asked for, cached or not.
#include <gtest/gtest.h>

#include "brook/streams_builder.h"
#include "brook/testing/topology_test_driver.h"

namespace brook {
namespace {

using S = std::string;

struct Seen {
  S key;
  std::optional<int64_t> new_value;
  std::optional<int64_t> old_value;
  bool operator==(const Seen&) const = default;
};

// Records the changes that reach it.
class ChangeRecorder final : public NodeBase, public Input<S, Change<int64_t>> {
 public:
  ChangeRecorder(std::string name, std::vector<Seen>* seen)
      : NodeBase(std::move(name)), seen_(seen) {}
  void process(const Record<S, Change<int64_t>>& r) override {
    seen_->push_back({r.key, r.value.new_value, r.value.old_value});
  }

 private:
  std::vector<Seen>* seen_;
};

void record_changes(StreamsBuilder& b, const KTable<S, int64_t>& table, std::vector<Seen>* seen) {
  Topology::NodeDef d;
  d.name = "RECORDER-" + table.node_name();
  d.predecessors = {table.node_name()};
  d.create = [name = d.name, seen]() -> std::unique_ptr<NodeBase> {
    return std::make_unique<ChangeRecorder>(name, seen);
  };
  b.topology().add_node(std::move(d));
}

class KTableOldValues : public ::testing::TestWithParam<bool> {
 protected:
  // Counts per key; cached (the driver flushes after every record) or not.
  StreamsConfig config() const {
    return GetParam() ? StreamsConfig{} : StreamsConfig{{"cache.max.bytes.buffering", "0"}};
  }
};

TEST_P(KTableOldValues, AnAggregationSendsEachKeysPreviousValueOnceAsked) {
  StreamsBuilder b;
  auto counts = b.stream<S, S>("in").group_by_key().count(Materialized::as("counts"));
  counts.enable_sending_old_values();
  std::vector<Seen> seen;
  record_changes(b, counts, &seen);
  TopologyTestDriver driver(b.build(), config(), 1);
  auto in = driver.create_input_topic<S, S>("in");
  in.pipe_input("a", "x", 1);
  in.pipe_input("a", "y", 2);
  in.pipe_input("b", "z", 3);
  EXPECT_EQ(seen, (std::vector<Seen>{{"a", 1, std::nullopt}, {"a", 2, 1}, {"b", 1, std::nullopt}}));
}

TEST_P(KTableOldValues, WithoutBeingAskedNoOldValueIsSent) {
  StreamsBuilder b;
  auto counts = b.stream<S, S>("in").group_by_key().count(Materialized::as("counts"));
  std::vector<Seen> seen;
  record_changes(b, counts, &seen);
  TopologyTestDriver driver(b.build(), config(), 1);
  auto in = driver.create_input_topic<S, S>("in");
  in.pipe_input("a", "x", 1);
  in.pipe_input("a", "y", 2);
  EXPECT_EQ(seen, (std::vector<Seen>{{"a", 1, std::nullopt}, {"a", 2, std::nullopt}}));
}

TEST_P(KTableOldValues, DerivedTablesMapAndFilterOldValuesAsTheirParentsSendThem) {
  StreamsBuilder b;
  auto counts = b.stream<S, S>("in").group_by_key().count(Materialized::as("counts"));
  auto tens = counts.map_values([](int64_t n) { return n * 10; });
  auto over_ten = tens.filter([](const S&, int64_t n) { return n > 10; });
  over_ten.enable_sending_old_values();  // reaches back to the aggregation
  std::vector<Seen> mapped, filtered;
  record_changes(b, tens, &mapped);
  record_changes(b, over_ten, &filtered);
  TopologyTestDriver driver(b.build(), config(), 1);
  auto in = driver.create_input_topic<S, S>("in");
  in.pipe_input("a", "x", 1);
  in.pipe_input("a", "y", 2);
  EXPECT_EQ(mapped, (std::vector<Seen>{{"a", 10, std::nullopt}, {"a", 20, 10}}));
  EXPECT_EQ(filtered, (std::vector<Seen>{{"a", 20, std::nullopt}}))
      << "10 never passed the filter: the filtered table had no value before, and the first "
         "change (absent before and after) is not sent at all";
}

INSTANTIATE_TEST_SUITE_P(CachedOrNot, KTableOldValues, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Cached" : "Uncached"; });

}  // namespace
}  // namespace brook
