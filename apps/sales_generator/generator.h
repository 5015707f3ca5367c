// Writes the demo topics with a SalesModel: the product catalogue once (keyed by
// product_id), then purchases (no key, spread round-robin over the partitions),
// restocking events (keyed by product_id) and now and then a product's new
// price or its deletion (a tombstone), at a given rate. Blocking; stops
// after `purchases` purchases (0 = until `stop` is set).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "brook/status.h"

namespace brook::demo {

struct GeneratorOptions {
  std::string bootstrap_servers;
  std::string products_topic = "demo.products";
  std::string purchases_topic = "demo.purchases";
  std::string inventories_topic = "demo.inventories";
  int64_t purchases = 0;  // 0: forever
  // On average once in this many purchases, a product's price changes or
  // (one in ten) the product is deleted; 0: never.
  int product_changes_every = 500;
  double rate = 0;  // purchases per second; 0: as fast as possible
  // Mean event-time gap between purchases (µs); 0: 1 / rate (1 ms when the
  // rate is 0). Lets a fast run cover hours of event time.
  int64_t event_gap_us = 0;
  uint64_t seed = 0;          // 0: from the clock
  int64_t start_time_us = 0;  // event time of the first purchase; 0: now
  bool quiet = false;
  // > 0: first create each missing demo topic with this many partitions (an
  // existing one must have as many).
  int create_partitions = 0;
};

struct GeneratorStats {
  int64_t purchases = 0;
  int64_t restocks = 0;
  int64_t product_changes = 0;
};

Status generate(const GeneratorOptions& options, const std::atomic<bool>& stop,
                GeneratorStats* stats);

}  // namespace brook::demo
