#include "apps/purchase_enrichment/purchase_enrichment.h"

namespace brook::demo {

EnrichedPurchase enrich(const PurchaseRecord& p, const std::optional<ProductRecord>& product) {
  EnrichedPurchase e{p.transaction_time, p.transaction_id, p.product_id,      p.price,
                     p.quantity,         p.is_member,      p.member_discount, p.add_supplements,
                     p.supplement_price, p.total_purchase, std::nullopt};
  if (product) {
    e.product = ProductInfo{product->category,       product->item,
                            product->size,           product->cogs,
                            product->price,          product->inventory_level,
                            product->contains_fruit, product->contains_veggies,
                            product->contains_nuts,  product->contains_caffeine};
  }
  return e;
}

Topology build_purchase_enrichment(const std::string& purchases_topic,
                                   const std::string& products_topic,
                                   const std::string& output_topic) {
  StreamsBuilder builder;
  auto products = builder.table<std::string, ProductRecord>(
      products_topic, Consumed::as("products-source"), Materialized::as("products-store"));
  builder.stream<std::string, PurchaseRecord>(purchases_topic, Consumed::as("purchases-source"))
      .select_key([](const std::string&, const PurchaseRecord& p) { return p.product_id; })
      .left_join(products, enrich, Named::as("enrich"))
      .to(output_topic);
  return builder.build();
}

}  // namespace brook::demo
