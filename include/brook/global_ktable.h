// GlobalKTable<K,V>: a table read whole — every partition of its topic — by
// every instance (StreamsBuilder::global_table), restored before processing
// starts and kept current by the instance's global thread. A stream joins it
// through a key mapper, without co-partitioning or repartitioning
// (KStream::join / left_join with a GlobalKTable). A light handle; use while
// building, on one thread.
#pragma once

#include <memory>
#include <string>

#include "operators/table_nodes.h"

namespace brook {

template <class K, class V>
class GlobalKTable {
 public:
  using Getter = operators::GetterSupplier<K, V>;

  GlobalKTable(std::string store, std::shared_ptr<const Getter> getter)
      : store_(std::move(store)), getter_(std::move(getter)) {}

  const std::string& queryable_store_name() const { return store_; }
  // Used by the DSL: how a join reads the table.
  const std::shared_ptr<const Getter>& getter() const { return getter_; }

 private:
  std::string store_;
  std::shared_ptr<const Getter> getter_;
};

}  // namespace brook
