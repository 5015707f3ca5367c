// The running-totals workload: purchases -> re-key by product_id -> group ->
// reduce into {event_time, product_id, transactions, quantities, sales} ->
// output topic, keyed by product_id. Sales are summed in integer cents. The
// reducer is associative, so by default each task combines its purchases per
// product before the repartition topic.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "apps/common/demo_records.h"
#include "brook/brook.h"

namespace brook::demo {

struct RunningTotal {
  std::string event_time;  // transaction_time of the latest purchase
  std::string product_id;
  int64_t transactions = 0;
  int64_t quantities = 0;
  Cents sales;
};
BROOK_JSON(RunningTotal, event_time, product_id, transactions, quantities, sales)

// The reducer: `next` added to `total`, keeping the later event time (the
// format sorts as time does). Associative, so purchases can be combined before
// the repartition topic.
RunningTotal add_to_total(RunningTotal total, const RunningTotal& next);

// Called for every total written (e.g. to print a live table); may be empty.
using TotalsObserver = std::function<void(const RunningTotal&)>;

// `combine`: how purchases are combined per product before the repartition
// topic (see Combine); nullopt: every purchase crosses it, as in Kafka Streams.
Topology build_running_totals(const std::string& input_topic, const std::string& output_topic,
                              TotalsObserver observer = {},
                              std::optional<Combine> combine = Combine{});

}  // namespace brook::demo
