#include "apps/running_totals/running_totals.h"

#include <gtest/gtest.h>

#include "apps/sales_generator/sales_model.h"
#include "brook/testing/topology_test_driver.h"

namespace brook::demo {
namespace {

// Pipes 2000 generated purchases into `driver`, calling `between` after each;
// returns the totals they must add up to.
template <class Between>
std::map<std::string, RunningTotal> pipe_purchases(TopologyTestDriver& driver, Between between) {
  auto in = driver.create_input_topic<std::string, std::string>("demo.purchases");
  SalesModel model(7, 1669907853000000);
  std::map<std::string, RunningTotal> expected;
  for (int i = 0; i < 2000; ++i) {
    Purchase p = model.next_purchase(1000);
    in.pipe_raw_value(std::nullopt, SalesModel::purchase_json(p), p.time_us / 1000);
    RunningTotal& e = expected[p.product_id];
    e.product_id = p.product_id;
    e.transactions += 1;
    e.quantities += p.quantity;
    e.sales.value += p.total_cents;
    e.event_time = std::max(e.event_time, SalesModel::format_time(p.time_us));
    between(i);
  }
  return expected;
}

void expect_totals(TopologyTestDriver& driver,
                   const std::map<std::string, RunningTotal>& expected) {
  auto out = driver.create_output_topic<std::string, RunningTotal>("demo.running.totals")
                 .read_key_values_to_map();
  ASSERT_EQ(out.size(), expected.size());
  for (const auto& [id, e] : expected) {
    EXPECT_EQ(out[id].transactions, e.transactions) << id;
    EXPECT_EQ(out[id].quantities, e.quantities) << id;
    EXPECT_EQ(out[id].sales.value, e.sales.value) << id;
    EXPECT_EQ(out[id].event_time, e.event_time) << id;
    EXPECT_EQ(out[id].product_id, id);
  }
}

TEST(RunningTotals, TotalsEveryProductExactlyToTheCent) {
  Topology t = build_running_totals("demo.purchases", "demo.running.totals");
  TopologyTestDriver driver(t, {{"application.id", "rt"}}, 4);
  auto expected = pipe_purchases(driver, [](int) {});
  expect_totals(driver, expected);
}

TEST(RunningTotals, CombinedPurchasesAddUpExactlyWithFewRepartitionedRecords) {
  Topology t = build_running_totals("demo.purchases", "demo.running.totals");
  TopologyTestDriver driver(t, {{"application.id", "rt"}, {"commit.interval.ms", "1000"}}, 4);
  // 100 purchases every 10 ms of wall-clock time: each combiner writes its
  // partials every 100 ms (1000 purchases), each commit is 1000 ms apart.
  auto expected = pipe_purchases(driver, [&](int i) {
    if (i % 100 == 99) driver.advance_wall_clock_time(std::chrono::milliseconds(10));
  });
  driver.advance_wall_clock_time(std::chrono::milliseconds(1000));  // a commit
  expect_totals(driver, expected);
  int64_t repartitioned = driver.metrics().process_total.load() - 2000;
  EXPECT_GT(repartitioned, 0);
  // At most one partial per product and task (4) each 100 ms (2), plus the commit.
  EXPECT_LE(repartitioned, static_cast<int64_t>(expected.size()) * 4 * 3);
}

TEST(RunningTotals, SkipsMalformedPurchasesAndCountsThem) {
  Topology t = build_running_totals("p", "o");
  TopologyTestDriver driver(t, {}, 2);
  auto in = driver.create_input_topic<std::string, std::string>("p");
  const char* bad[] = {
      "{not json",
      R"({"quantity":1,"total_purchase":1.00})",                       // no product_id
      R"({"product_id":"SC01","total_purchase":1.00})",                // no quantity
      R"({"product_id":"SC01","quantity":1})",                         // no total_purchase
      R"({"product_id":"SC01","quantity":"one","total_purchase":1})",  // wrong type
      R"({"product_id":7,"quantity":1,"total_purchase":1})",           // wrong type
      "",
  };
  for (const char* b : bad) in.pipe_raw_value(std::nullopt, std::string(b), 0);
  in.pipe_raw_value(std::nullopt, std::nullopt, 0);  // null value
  in.pipe_raw_value(
      std::nullopt,
      std::string(R"({"product_id":"SC01","quantity":2,"total_purchase":11.98,"extra":[1]})"), 0);
  auto out = driver.create_output_topic<std::string, RunningTotal>("o").read_key_values_to_map();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out["SC01"].quantities, 2);
  EXPECT_EQ(out["SC01"].sales.value, 1198);
  EXPECT_EQ(driver.metrics().deserialization_errors_total.load(), 8);
}

TEST(SalesModel, IsDeterministicForASeedAndWritesTheDesignFormats) {
  SalesModel a(42, 1669907853263040), b(42, 1669907853263040);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(SalesModel::purchase_json(a.next_purchase(1000)),
              SalesModel::purchase_json(b.next_purchase(1000)));
  }
  SalesModel m(1, 1669907853263040);
  Purchase p = m.next_purchase(0);
  std::string json = SalesModel::purchase_json(p);
  EXPECT_EQ(json.rfind("{\"transaction_time\":\"2022-12-01 15:17:33.263040\",", 0), 0u) << json;
  for (const char* f :
       {"transaction_id", "product_id", "price", "quantity", "is_member", "member_discount",
        "add_supplements", "supplement_price", "total_purchase"}) {
    EXPECT_NE(json.find(std::string("\"") + f + "\":"), std::string::npos) << f;
  }
  EXPECT_EQ(products().size(), 27u);  // products.csv has 27 rows (DESIGN.md says 26)
  EXPECT_EQ(products().back().range_weight, 200);
}

}  // namespace
}  // namespace brook::demo
