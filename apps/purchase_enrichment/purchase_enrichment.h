// The purchase-enrichment workload (the Flink demo): demo.products as a
// table (keyed by product_id); each purchase re-keyed by product_id and
// left-joined with it, so it carries the product record current when it is
// processed — both inputs timed by their Kafka record timestamps, so a
// purchase sees the product records written before it. A purchase of a
// product that is unknown, or was deleted (a tombstone), carries
// "product": null. Exactly one output per valid purchase.
#pragma once

#include <optional>
#include <string>

#include "apps/common/demo_records.h"
#include "brook/brook.h"

namespace brook::demo {

// What a purchase is enriched with: the product record's fields but its key
// and time.
struct ProductInfo {
  std::string category;
  std::string item;
  std::string size;
  Cents cogs;
  Cents price;
  int64_t inventory_level = 0;
  bool contains_fruit = false;
  bool contains_veggies = false;
  bool contains_nuts = false;
  bool contains_caffeine = false;
};
BROOK_JSON(ProductInfo, category, item, size, cogs, price, inventory_level, contains_fruit,
           contains_veggies, contains_nuts, contains_caffeine)

// A purchase's fields plus its product (null when unknown or deleted).
struct EnrichedPurchase {
  std::string transaction_time;
  std::string transaction_id;
  std::string product_id;
  Cents price;
  int64_t quantity = 0;
  bool is_member = false;
  Cents member_discount;
  bool add_supplements = false;
  Cents supplement_price;
  Cents total_purchase;
  std::optional<ProductInfo> product;
};
BROOK_JSON(EnrichedPurchase, transaction_time, transaction_id, product_id, price, quantity,
           is_member, member_discount, add_supplements, supplement_price, total_purchase, product)

// The app's max.task.idle.ms: how long the join waits for re-keyed purchases
// (past the repartition topic's end) before it applies later product records.
constexpr int64_t kEnrichmentIdleMs = 2000;

EnrichedPurchase enrich(const PurchaseRecord& purchase,
                        const std::optional<ProductRecord>& product);

Topology build_purchase_enrichment(const std::string& purchases_topic,
                                   const std::string& products_topic,
                                   const std::string& output_topic);

}  // namespace brook::demo
