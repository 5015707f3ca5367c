// The check the broker-fault tests rely on when the input itself holds a
// purchase twice: input_totals must find the repeat, count it in the totals,
// and tell a missing purchase and a foreign record apart.
#include <gtest/gtest.h>

#include "apps/sales_generator/sales_model.h"
#include "tests/integration/sales_check.h"

namespace brook::testing {
namespace {

TEST(SalesCheck, InputTotalsCountARepeatedPurchaseAgainAndTellMissingAndForeignRecords) {
  TestKafka kafka;
  std::string purchases = kafka.unique("purchases");
  create_sales_topics(kafka, purchases, kafka.unique("totals"), 2);
  std::atomic<bool> stop{false};
  demo::GeneratorStats stats;
  Status s = demo::generate(generator_options(kafka, purchases, 40, 7), stop, &stats);
  ASSERT_TRUE(s) << s.message();

  InputTotals as_written = input_totals(kafka, purchases, 7, 40);
  EXPECT_EQ(as_written.repeated, 0u);
  EXPECT_EQ(as_written.missing, 0u);
  EXPECT_EQ(as_written.unknown, 0u);
  expect_totals_equal(expected_totals(7, 40), as_written.totals);

  // The 13th purchase written again, as a producer's retry would.
  demo::SalesModel model(7, kSalesStartUs);
  demo::Purchase p;
  for (int i = 0; i < 13; ++i) p = model.next_purchase(1000);
  ASSERT_TRUE(kafka.produce(purchases, 0, std::nullopt, demo::SalesModel::purchase_json(p)));
  ASSERT_TRUE(kafka.produce(purchases, 1, std::nullopt, std::string("{\"not\":\"a purchase\"}")));

  InputTotals repeated = input_totals(kafka, purchases, 7, 40);
  EXPECT_EQ(repeated.repeated, 1u);
  EXPECT_EQ(repeated.missing, 0u);
  EXPECT_EQ(repeated.unknown, 1u);
  std::map<std::string, demo::RunningTotal> want = expected_totals(7, 40);
  demo::RunningTotal& t = want[p.product_id];
  t.transactions += 1;
  t.quantities += p.quantity;
  t.sales.value += p.total_cents;
  expect_totals_equal(want, repeated.totals);

  // Checked against 41 purchases, the 41st (never written) is missing.
  InputTotals more = input_totals(kafka, purchases, 7, 41);
  EXPECT_EQ(more.missing, 1u);
  EXPECT_EQ(more.repeated, 1u);
}

}  // namespace
}  // namespace brook::testing
