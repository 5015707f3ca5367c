#include "apps/windowed_sales/windowed_sales.h"

namespace brook::demo {

Topology build_windowed_sales(const WindowedSalesOptions& o) {
  StreamsBuilder builder;
  TimeWindows windows =
      TimeWindows::of_size_and_grace(o.window_size, o.grace).advance_by(o.advance);
  auto table =
      builder
          .stream<std::string, PurchaseEvent>(
              o.input_topic, with_timestamp_extractor(time_field(&PurchaseEvent::transaction_time)))
          .map([](const std::string&, const PurchaseEvent& p) {
            return KeyValue{p.product_id, WindowSales{1, p.quantity, p.total_purchase}};
          })
          // Only brook reads the repartition topic and the store: binary.
          .group_by_key(Grouped::as("windowed-sales").with_value_serde<BinarySerde<WindowSales>>())
          .windowed_by(windows)
          .reduce(
              [](WindowSales total, const WindowSales& sale) {
                total.transactions += sale.transactions;
                total.quantities += sale.quantities;
                total.sales += sale.sales;
                return total;
              },
              Materialized::as("windowed-sales-store")
                  .with_value_serde<BinarySerde<WindowSales>>());
  if (o.final_only) table = table.suppress(Suppressed::until_window_closes("windowed-sales-final"));
  auto out = table.to_stream().map([](const Windowed<std::string>& k, const WindowSales& s) {
    return KeyValue{k.key, WindowedSalesRecord{k.key, format_timestamp(k.window.start),
                                               format_timestamp(k.window.end), s.transactions,
                                               s.quantities, s.sales}};
  });
  if (o.observer) {
    auto observer = o.observer;
    out = out.peek([observer](const std::string&, const WindowedSalesRecord& r) { observer(r); });
  }
  out.to(o.output_topic);
  return builder.build();
}

}  // namespace brook::demo
