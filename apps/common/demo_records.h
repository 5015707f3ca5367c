// The smoothie-bar demo's records as the apps read and write them (the JSON
// formats of DESIGN.md, as brook-sales-generator writes them). Plain values.
#pragma once

#include <optional>
#include <string>

#include "brook/brook.h"

namespace brook::demo {

// The fields of a purchase the running totals and windowed sales need; any
// other field is ignored, and a purchase missing one of the required three is
// skipped as malformed.
struct PurchaseEvent {
  std::optional<std::string> transaction_time;
  std::string product_id;
  int64_t quantity = 0;
  Cents total_purchase;
};
BROOK_JSON(PurchaseEvent, transaction_time, product_id, quantity, total_purchase)

// Every field of a purchase (demo.purchases).
struct PurchaseRecord {
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
};
BROOK_JSON(PurchaseRecord, transaction_time, transaction_id, product_id, price, quantity, is_member,
           member_discount, add_supplements, supplement_price, total_purchase)

// A product (demo.products, keyed by product_id; a null value deletes it).
struct ProductRecord {
  std::optional<std::string> event_time;
  std::string product_id;
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
BROOK_JSON(ProductRecord, event_time, product_id, category, item, size, cogs, price,
           inventory_level, contains_fruit, contains_veggies, contains_nuts, contains_caffeine)

// A restocking event (demo.inventories, keyed by product_id).
struct RestockRecord {
  std::string event_time;
  std::string product_id;
  int64_t existing_level = 0;
  int64_t stock_quantity = 0;
  int64_t new_level = 0;
};
BROOK_JSON(RestockRecord, event_time, product_id, existing_level, stock_quantity, new_level)

}  // namespace brook::demo
