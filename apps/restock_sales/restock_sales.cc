#include "apps/restock_sales/restock_sales.h"

namespace brook::demo {

Topology build_restock_sales(const RestockSalesOptions& o) {
  StreamsBuilder builder;
  auto purchases =
      builder
          .stream<std::string, PurchaseRecord>(
              o.purchases_topic,
              with_timestamp_extractor(time_field(&PurchaseRecord::transaction_time)))
          .select_key([](const std::string&, const PurchaseRecord& p) { return p.product_id; });
  builder
      .stream<std::string, RestockRecord>(
          o.inventories_topic, with_timestamp_extractor(time_field(&RestockRecord::event_time)))
      .join(
          purchases,
          [](const RestockRecord& r, const PurchaseRecord& p) {
            return RestockSale{r.product_id,     r.event_time,       r.stock_quantity,
                               p.transaction_id, p.transaction_time, p.quantity};
          },
          // Purchases from the restock on (none before it), up to `within` after.
          JoinWindows::of_time_difference_and_grace(o.within, o.grace)
              .before(std::chrono::milliseconds(0)),
          Named::as("restock-sales"))
      .to(o.output_topic);
  return builder.build();
}

}  // namespace brook::demo
