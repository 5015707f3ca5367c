// The restock-sales workload (a stream-stream join): each restocking event
// (demo.inventories, timed by event_time) joined with the purchases of the
// same product (timed by transaction_time) made within `within` after it,
// waiting `grace` for late purchases.
#pragma once

#include <chrono>
#include <string>

#include "apps/common/demo_records.h"
#include "brook/brook.h"

namespace brook::demo {

struct RestockSale {
  std::string product_id;
  std::string restock_time;
  int64_t stock_quantity = 0;
  std::string transaction_id;
  std::string transaction_time;
  int64_t quantity = 0;
};
BROOK_JSON(RestockSale, product_id, restock_time, stock_quantity, transaction_id, transaction_time,
           quantity)

struct RestockSalesOptions {
  std::string inventories_topic = "demo.inventories";
  std::string purchases_topic = "demo.purchases";
  std::string output_topic = "demo.restock.sales";
  std::chrono::milliseconds within = std::chrono::minutes(5);
  std::chrono::milliseconds grace = std::chrono::minutes(1);
};

Topology build_restock_sales(const RestockSalesOptions& options);

}  // namespace brook::demo
