// The windowed-sales workload (the Spark demo): purchases by product over
// hopping windows of event time (transaction_time), with a grace period for
// late purchases: per product and window, the number of transactions, the
// quantities and the sales (exact, in cents). Every update of a window is
// written (through the record cache), or with `final_only` one result per
// window once it has closed.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "apps/common/demo_records.h"
#include "brook/brook.h"

namespace brook::demo {

// A window's sales so far (the aggregate; binary in the store).
struct WindowSales {
  int64_t transactions = 0;
  int64_t quantities = 0;
  Cents sales;
};
BROOK_JSON(WindowSales, transactions, quantities, sales)

// What demo.windowed.sales holds, keyed by product_id; times in the
// purchases' format, UTC.
struct WindowedSalesRecord {
  std::string product_id;
  std::string window_start;
  std::string window_end;
  int64_t transactions = 0;
  int64_t quantities = 0;
  Cents sales;
};
BROOK_JSON(WindowedSalesRecord, product_id, window_start, window_end, transactions, quantities,
           sales)

struct WindowedSalesOptions {
  std::string input_topic = "demo.purchases";
  std::string output_topic = "demo.windowed.sales";
  std::chrono::milliseconds window_size = std::chrono::minutes(10);
  std::chrono::milliseconds advance = std::chrono::minutes(5);
  std::chrono::milliseconds grace = std::chrono::minutes(10);
  bool final_only = false;
  // Called for every result written (e.g. to print a live view); may be empty.
  std::function<void(const WindowedSalesRecord&)> observer;
};

Topology build_windowed_sales(const WindowedSalesOptions& options);

}  // namespace brook::demo
