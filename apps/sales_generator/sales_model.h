// SalesModel: the smoothie-bar sales simulation behind brook-sales-generator —
// the product catalogue, purchases drawn by propensity to buy, and restocking
// events — deterministic for a given seed and start time (its own PRNG, so the
// sequence is the same on every platform). Produces DESIGN.md's JSON formats.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace brook::demo {

struct Product {
  const char* id;
  const char* category;
  const char* item;
  const char* size;
  int64_t cogs_cents;
  int64_t price_cents;
  int inventory;
  bool contains_fruit, contains_veggies, contains_nuts, contains_caffeine;
  int propensity;    // _TotalWeight
  int range_weight;  // cumulative propensity
};
const std::vector<Product>& products();

struct Purchase {
  int64_t time_us = 0;
  std::string transaction_id;
  std::string product_id;
  int64_t price_cents = 0;
  int64_t quantity = 0;
  bool is_member = false;
  int member_discount_pct = 0;
  bool add_supplements = false;
  int64_t supplement_price_cents = 0;
  int64_t total_cents = 0;
};

struct Restock {
  int64_t time_us = 0;
  std::string product_id;
  int existing_level = 0;
  int stock_quantity = 0;
  int new_level = 0;
};

// A change of the catalogue while sales go on: a product's new price, or its
// deletion (a tombstone on demo.products); a later change of a deleted
// product brings it back.
struct ProductChange {
  int64_t time_us = 0;
  size_t index = 0;  // in products()
  bool deleted = false;
  int64_t price_cents = 0;
};

class SalesModel {
 public:
  // `start_us`: event time of the first purchase, microseconds since the epoch.
  SalesModel(uint64_t seed, int64_t start_us);

  // The next purchase; event time advances by 0..2*mean_gap_us.
  Purchase next_purchase(int64_t mean_gap_us);
  // A restock that the last purchase triggered (stock below 10), if any.
  bool take_restock(Restock* out);
  // After a purchase, once in `every` purchases on average (0: never), a
  // catalogue change at the time of that purchase: one in ten deletes a
  // product, the others change a price by 5 to 15 % (up or down). Drawn from
  // a generator of its own: the purchases are the same with or without.
  bool take_product_change(int every, ProductChange* out);

  // `price_cents` < 0: the catalogue's price.
  static std::string product_json(const Product& p, int64_t time_us, int64_t price_cents = -1);
  static std::string purchase_json(const Purchase& p);
  static std::string restock_json(const Restock& r);
  static std::string format_time(int64_t time_us);  // "2022-12-01 15:17:33.263040"

 private:
  static uint64_t splitmix(uint64_t& state);
  uint64_t next() { return splitmix(state_); }
  uint64_t uniform(uint64_t n) { return next() % n; }

  uint64_t state_;
  uint64_t change_state_;  // the catalogue changes' own generator
  int64_t now_us_;
  std::vector<int64_t> prices_;
  std::vector<bool> deleted_;
  std::vector<int> inventory_;
  bool pending_restock_ = false;
  Restock restock_;
};

}  // namespace brook::demo
