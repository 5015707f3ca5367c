// The windowed-sales, purchase-enrichment and restock-sales topologies through
// the test driver, on generated sales, checked against an independent
// computation from the same generated data.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "apps/purchase_enrichment/purchase_enrichment.h"
#include "apps/restock_sales/restock_sales.h"
#include "apps/sales_generator/sales_model.h"
#include "apps/windowed_sales/windowed_sales.h"
#include "brook/testing/topology_test_driver.h"

namespace brook::demo {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kStartUs = 1669907853000000;  // 2022-12-01 15:17:33 UTC
constexpr int64_t kMinute = 60000;

struct Expected {
  int64_t transactions = 0, quantities = 0, cents = 0;
};

// Purchases by product and 10-minute window starting every 5 minutes.
std::map<std::pair<std::string, int64_t>, Expected> expected_windows(
    const std::vector<Purchase>& purchases) {
  std::map<std::pair<std::string, int64_t>, Expected> out;
  for (const Purchase& p : purchases) {
    int64_t t = p.time_us / 1000;
    for (int64_t start = t / (5 * kMinute) * (5 * kMinute); start > t - 10 * kMinute;
         start -= 5 * kMinute) {
      if (start < 0) break;
      Expected& e = out[{p.product_id, start}];
      e.transactions += 1;
      e.quantities += p.quantity;
      e.cents += p.total_cents;
    }
  }
  return out;
}

std::vector<Purchase> generate(int n, int64_t mean_gap_us, SalesModel& model) {
  std::vector<Purchase> out;
  for (int i = 0; i < n; ++i) out.push_back(model.next_purchase(mean_gap_us));
  return out;
}

TEST(WindowedSales, EveryWindowEndsWithTheSumsOfItsPurchases) {
  WindowedSalesOptions o;
  Topology t = build_windowed_sales(o);
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<std::string, std::string>("demo.purchases");
  SalesModel model(11, kStartUs);
  std::vector<Purchase> purchases = generate(3000, 1000000, model);
  for (const Purchase& p : purchases) {
    in.pipe_raw_value(std::nullopt, SalesModel::purchase_json(p), 0);  // timed by transaction_time
  }
  auto expected = expected_windows(purchases);
  std::map<std::pair<std::string, int64_t>, WindowedSalesRecord> last;
  auto out = driver.create_output_topic<std::string, WindowedSalesRecord>("demo.windowed.sales");
  size_t n = 0;
  while (!out.is_empty()) {
    Record<std::string, WindowedSalesRecord> r = out.read_record();
    EXPECT_EQ(r.key, r.value.product_id);
    last[{r.value.product_id, *parse_timestamp(r.value.window_start)}] = r.value;
    ++n;
  }
  EXPECT_EQ(n, 2 * purchases.size()) << "caching off between records: one update per window";
  ASSERT_EQ(last.size(), expected.size());
  for (const auto& [key, e] : expected) {
    const WindowedSalesRecord& r = last[key];
    EXPECT_EQ(r.transactions, e.transactions) << key.first << "@" << key.second;
    EXPECT_EQ(r.quantities, e.quantities);
    EXPECT_EQ(r.sales.value, e.cents);
    EXPECT_EQ(*parse_timestamp(r.window_end) - *parse_timestamp(r.window_start), 10 * kMinute);
  }
  EXPECT_EQ(driver.metrics().dropped_records_total.load(), 0u);
}

TEST(WindowedSales, FinalResultsAreOnePerClosedWindowAndLatePurchasesAreDropped) {
  WindowedSalesOptions o;
  o.final_only = true;
  Topology t = build_windowed_sales(o);
  TopologyTestDriver driver(t);
  auto in = driver.create_input_topic<std::string, std::string>("demo.purchases");
  SalesModel model(12, kStartUs);
  std::vector<Purchase> purchases = generate(3000, 1000000, model);
  for (const Purchase& p : purchases)
    in.pipe_raw_value(std::nullopt, SalesModel::purchase_json(p), 0);
  // A purchase 25 minutes before the latest: every window it falls in closed
  // (end + 10 minutes of grace passed).
  Purchase late = purchases.back();
  late.time_us -= 25 * kMinute * 1000;
  in.pipe_raw_value(std::nullopt, SalesModel::purchase_json(late), 0);
  EXPECT_EQ(driver.metrics().dropped_records_total.load(), 2u) << "one per window of the record";
  int64_t stream_time = purchases.back().time_us / 1000;
  auto expected = expected_windows(purchases);
  std::map<std::pair<std::string, int64_t>, int> seen;
  auto out = driver.create_output_topic<std::string, WindowedSalesRecord>("demo.windowed.sales");
  while (!out.is_empty()) {
    WindowedSalesRecord r = out.read_record().value;
    int64_t start = *parse_timestamp(r.window_start);
    ++seen[{r.product_id, start}];
    const Expected& e = expected.at({r.product_id, start});
    EXPECT_EQ(r.transactions, e.transactions);
    EXPECT_EQ(r.sales.value, e.cents);
    EXPECT_LE(start + 10 * kMinute + 10 * kMinute, stream_time) << "a window not yet closed";
  }
  size_t closed = 0;
  for (const auto& [key, e] : expected) {
    if (key.second + 20 * kMinute <= stream_time) {
      ++closed;
      EXPECT_EQ(seen[key], 1) << key.first << "@" << key.second << ": exactly one final result";
    }
  }
  EXPECT_EQ(seen.size(), closed);
  EXPECT_GT(closed, 100u);
}

TEST(PurchaseEnrichment, EachPurchaseCarriesItsProductAsItStoodOrNullOnceDeleted) {
  Topology t = build_purchase_enrichment("demo.purchases", "demo.products", "out");
  TopologyTestDriver driver(t, {}, 3);
  auto products = driver.create_input_topic<std::string, std::string>("demo.products");
  auto purchases = driver.create_input_topic<std::string, std::string>("demo.purchases");
  SalesModel model(13, kStartUs);
  std::map<std::string, std::optional<int64_t>> price;  // product -> price, nullopt: deleted
  for (const Product& p : demo::products()) {
    products.pipe_raw_value(std::string(p.id), SalesModel::product_json(p, kStartUs),
                            kStartUs / 1000);
    price[p.id] = p.price_cents;
  }
  std::vector<std::pair<std::string, std::optional<int64_t>>> expected;  // transaction -> price
  int deletions = 0, changes = 0;
  for (int i = 0; i < 4000; ++i) {
    Purchase p = model.next_purchase(1000000);
    purchases.pipe_raw_value(std::nullopt, SalesModel::purchase_json(p), p.time_us / 1000);
    expected.emplace_back(p.transaction_id,
                          price.count(p.product_id) ? price[p.product_id] : std::nullopt);
    ProductChange c;
    if (model.take_product_change(50, &c)) {
      const Product& product = demo::products()[c.index];
      if (c.deleted) {
        products.pipe_raw_value(std::string(product.id), std::nullopt, c.time_us / 1000);
        price[product.id] = std::nullopt;
        ++deletions;
      } else {
        products.pipe_raw_value(std::string(product.id),
                                SalesModel::product_json(product, c.time_us, c.price_cents),
                                c.time_us / 1000);
        price[product.id] = c.price_cents;
        ++changes;
      }
    }
  }
  ASSERT_GT(deletions, 0);
  ASSERT_GT(changes, 10);
  auto out = driver.create_output_topic<std::string, EnrichedPurchase>("out");
  std::map<std::string, std::optional<int64_t>> got;
  size_t nulls = 0;
  while (!out.is_empty()) {
    Record<std::string, EnrichedPurchase> r = out.read_record();
    EXPECT_EQ(r.key, r.value.product_id);
    EXPECT_TRUE(got.emplace(r.value.transaction_id,
                            r.value.product ? std::optional<int64_t>(r.value.product->price.value)
                                            : std::nullopt)
                    .second)
        << "two outputs for purchase " << r.value.transaction_id;
    if (!r.value.product) ++nulls;
  }
  ASSERT_EQ(got.size(), expected.size()) << "one output per purchase";
  for (const auto& [id, p] : expected) EXPECT_EQ(got[id], p) << "purchase " << id;
  EXPECT_GT(nulls, 0u) << "purchases of deleted products carry product: null";
}

TEST(RestockSales, EachRestockMeetsThePurchasesOfItsProductWithinFiveMinutesAfterIt) {
  RestockSalesOptions o;
  Topology t = build_restock_sales(o);
  TopologyTestDriver driver(t, {}, 2);
  auto inventories = driver.create_input_topic<std::string, std::string>("demo.inventories");
  auto purchases = driver.create_input_topic<std::string, std::string>("demo.purchases");
  SalesModel model(14, kStartUs);
  std::vector<Restock> restocks;
  std::vector<Purchase> bought;
  for (int i = 0; i < 5000; ++i) {
    Purchase p = model.next_purchase(500000);
    purchases.pipe_raw_value(std::nullopt, SalesModel::purchase_json(p), 0);
    bought.push_back(p);
    Restock r;
    if (model.take_restock(&r)) {
      inventories.pipe_raw_value(r.product_id, SalesModel::restock_json(r), 0);
      restocks.push_back(r);
    }
  }
  ASSERT_GT(restocks.size(), 20u);
  std::multiset<std::string> expected;
  for (const Restock& r : restocks) {
    for (const Purchase& p : bought) {
      if (p.product_id == r.product_id && p.time_us / 1000 >= r.time_us / 1000 &&
          p.time_us / 1000 <= r.time_us / 1000 + 5 * kMinute) {
        expected.insert(SalesModel::format_time(r.time_us) + " " + p.transaction_id);
      }
    }
  }
  std::multiset<std::string> got;
  auto out = driver.create_output_topic<std::string, RestockSale>("demo.restock.sales");
  while (!out.is_empty()) {
    Record<std::string, RestockSale> r = out.read_record();
    EXPECT_EQ(r.key, r.value.product_id);
    got.insert(r.value.restock_time + " " + r.value.transaction_id);
  }
  EXPECT_EQ(got, expected);
  EXPECT_GT(got.size(), restocks.size());
}

}  // namespace
}  // namespace brook::demo
