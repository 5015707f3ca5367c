#include "apps/running_totals/running_totals.h"

namespace brook::demo {

RunningTotal add_to_total(RunningTotal total, const RunningTotal& next) {
  if (next.event_time > total.event_time) total.event_time = next.event_time;
  total.transactions += next.transactions;
  total.quantities += next.quantities;
  total.sales += next.sales;
  return total;
}

Topology build_running_totals(const std::string& input_topic, const std::string& output_topic,
                              TotalsObserver observer, std::optional<Combine> combine) {
  StreamsBuilder builder;
  auto totals =
      builder.stream<std::string, PurchaseEvent>(input_topic)
          .select_key([](const std::string&, const PurchaseEvent& p) { return p.product_id; })
          .map_values([](const PurchaseEvent& p) {
            return RunningTotal{p.transaction_time.value_or(""), p.product_id, 1, p.quantity,
                                p.total_purchase};
          })
          // Only brook reads the repartition topic: binary, not JSON.
          .group_by_key(Grouped::as("running-totals").with_value_serde<BinarySerde<RunningTotal>>())
          .reduce(add_to_total, Materialized::as("running-totals-store"), combine)
          .to_stream();
  if (observer) {
    totals.peek([observer](const std::string&, const RunningTotal& t) { observer(t); })
        .to(output_topic);
  } else {
    totals.to(output_topic);
  }
  return builder.build();
}

}  // namespace brook::demo
