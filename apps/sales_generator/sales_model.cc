#include "apps/sales_generator/sales_model.h"

#include <ctime>

#include "brook/json.h"

namespace brook::demo {

SalesModel::SalesModel(uint64_t seed, int64_t start_us)
    : state_(seed), change_state_(seed ^ 0x5eed0fca7a109ull), now_us_(start_us) {
  for (const Product& p : products()) {
    inventory_.push_back(p.inventory);
    prices_.push_back(p.price_cents);
    deleted_.push_back(false);
  }
}

uint64_t SalesModel::splitmix(uint64_t& state) {
  // splitmix64: small, fast and identical everywhere.
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Purchase SalesModel::next_purchase(int64_t mean_gap_us) {
  const auto& catalogue = products();
  now_us_ += mean_gap_us > 0 ? static_cast<int64_t>(uniform(2 * mean_gap_us + 1)) : 0;
  int total_weight = catalogue.back().range_weight;
  int draw = static_cast<int>(uniform(total_weight));
  size_t index = 0;
  while (catalogue[index].range_weight <= draw) ++index;
  const Product& product = catalogue[index];

  Purchase p;
  p.time_us = now_us_;
  p.transaction_id = std::to_string(1000000000ull + uniform(9000000000ull));
  p.product_id = product.id;
  p.price_cents = product.price_cents;
  int q = static_cast<int>(uniform(10));
  p.quantity = q < 7 ? 1 : q < 9 ? 2 : 3;
  p.is_member = uniform(10) < 3;
  p.member_discount_pct = p.is_member ? 10 : 0;
  p.add_supplements = uniform(10) < 3;
  p.supplement_price_cents = p.add_supplements ? 199 : 0;
  int64_t gross = (p.price_cents + p.supplement_price_cents) * p.quantity;
  // Discount rounded half up to the cent.
  p.total_cents = gross - (gross * p.member_discount_pct + 50) / 100;

  int& level = inventory_[index];
  level -= static_cast<int>(p.quantity);
  if (level < 10) {
    restock_ = Restock{now_us_, product.id, level, 20 + static_cast<int>(uniform(21)), 0};
    restock_.new_level = restock_.existing_level + restock_.stock_quantity;
    level = restock_.new_level;
    pending_restock_ = true;
  }
  return p;
}

bool SalesModel::take_product_change(int every, ProductChange* out) {
  if (every <= 0 || splitmix(change_state_) % static_cast<uint64_t>(every) != 0) return false;
  size_t index = splitmix(change_state_) % products().size();
  out->time_us = now_us_;
  out->index = index;
  if (!deleted_[index] && splitmix(change_state_) % 10 == 0) {
    deleted_[index] = true;
    out->deleted = true;
    out->price_cents = prices_[index];
    return true;
  }
  deleted_[index] = false;
  int64_t pct = 5 + static_cast<int64_t>(splitmix(change_state_) % 11);
  if (splitmix(change_state_) % 2) pct = -pct;
  prices_[index] += (prices_[index] * pct) / 100;
  out->deleted = false;
  out->price_cents = prices_[index];
  return true;
}

bool SalesModel::take_restock(Restock* out) {
  if (!pending_restock_) return false;
  pending_restock_ = false;
  *out = restock_;
  return true;
}

std::string SalesModel::format_time(int64_t time_us) {
  std::time_t secs = static_cast<std::time_t>(time_us / 1000000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(time_us % 1000000));
  return buf;
}

namespace {
void field(std::string& out, const char* name) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += name;
  out += "\":";
}
}  // namespace

std::string SalesModel::product_json(const Product& p, int64_t time_us, int64_t price_cents) {
  std::string out = "{";
  field(out, "event_time"), json::write_string(format_time(time_us), out);
  field(out, "product_id"), json::write_string(p.id, out);
  field(out, "category"), json::write_string(p.category, out);
  field(out, "item"), json::write_string(p.item, out);
  field(out, "size"), json::write_string(p.size, out);
  field(out, "cogs"), json::write_cents(p.cogs_cents, out);
  field(out, "price"), json::write_cents(price_cents < 0 ? p.price_cents : price_cents, out);
  field(out, "inventory_level"), out += std::to_string(p.inventory);
  field(out, "contains_fruit"), out += p.contains_fruit ? "true" : "false";
  field(out, "contains_veggies"), out += p.contains_veggies ? "true" : "false";
  field(out, "contains_nuts"), out += p.contains_nuts ? "true" : "false";
  field(out, "contains_caffeine"), out += p.contains_caffeine ? "true" : "false";
  field(out, "propensity_to_buy"), out += std::to_string(p.propensity);
  return out + "}";
}

std::string SalesModel::purchase_json(const Purchase& p) {
  std::string out = "{";
  field(out, "transaction_time"), json::write_string(format_time(p.time_us), out);
  field(out, "transaction_id"), json::write_string(p.transaction_id, out);
  field(out, "product_id"), json::write_string(p.product_id, out);
  field(out, "price"), json::write_cents(p.price_cents, out);
  field(out, "quantity"), out += std::to_string(p.quantity);
  field(out, "is_member"), out += p.is_member ? "true" : "false";
  field(out, "member_discount"), json::write_cents(p.member_discount_pct, out);
  field(out, "add_supplements"), out += p.add_supplements ? "true" : "false";
  field(out, "supplement_price"), json::write_cents(p.supplement_price_cents, out);
  field(out, "total_purchase"), json::write_cents(p.total_cents, out);
  return out + "}";
}

std::string SalesModel::restock_json(const Restock& r) {
  std::string out = "{";
  field(out, "event_time"), json::write_string(format_time(r.time_us), out);
  field(out, "product_id"), json::write_string(r.product_id, out);
  field(out, "existing_level"), out += std::to_string(r.existing_level);
  field(out, "stock_quantity"), out += std::to_string(r.stock_quantity);
  field(out, "new_level"), out += std::to_string(r.new_level);
  return out + "}";
}

}  // namespace brook::demo
