// The foreign-key table-table join end to end: orders (a table keyed by order,
// 4 partitions) joined with products (keyed by product, 3 partitions: not
// co-partitioned, as a foreign-key join allows) through its subscription and
// response topics; results exact after updates on either side, foreign keys
// that move and deletions, across a restart that keeps the stores and one
// that starts from empty ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "brook/brook.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using S = std::string;
using OS = std::optional<S>;

class ForeignKeyJoinIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    orders_ = kafka_->unique("fk-orders");
    products_ = kafka_->unique("fk-products");
    out_ = kafka_->unique("fk-out");
    app_ = kafka_->unique("fk");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-fk")).string();
    ASSERT_TRUE(kafka_->create_topic(orders_, 4));
    ASSERT_TRUE(kafka_->create_topic(products_, 3));
    ASSERT_TRUE(kafka_->create_topic(out_, 2));
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  // An order's value is "<product>:<quantity>"; its result "<quantity> x
  // <product name>", or "<quantity> x ?" while the product is unknown.
  void run(const std::string& state_dir) {
    StreamsBuilder b;
    auto orders = b.table<S, S>(orders_);
    auto products = b.table<S, S>(products_);
    orders
        .left_join(
            products, [](const S& order) { return order.substr(0, order.find(':')); },
            [](const S& order, const OS& name) {
              return order.substr(order.find(':') + 1) + " x " + name.value_or("?");
            })
        .to(out_);
    KafkaStreams streams(b.build(), kafka_->bounded_config(app_, state_dir));
    Status s = streams.start();
    ASSERT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
  }
  // Each order's latest result (none once deleted), as written to the output.
  std::map<S, S> results() {
    std::map<S, S> latest;
    for (const auto& r : kafka_->read_all(out_)) {
      if (r.value) {
        latest[*r.key] = *r.value;
      } else {
        latest.erase(*r.key);
      }
    }
    return latest;
  }
  // What the join must hold for `orders` and `products` as they stand.
  static std::map<S, S> expected(const std::map<S, S>& orders, const std::map<S, S>& products) {
    std::map<S, S> out;
    for (const auto& [id, order] : orders) {
      auto it = products.find(order.substr(0, order.find(':')));
      out[id] =
          order.substr(order.find(':') + 1) + " x " + (it == products.end() ? "?" : it->second);
    }
    return out;
  }
  void write(const std::string& topic, std::map<S, S>& table, const S& key, const OS& value) {
    ASSERT_TRUE(kafka_->produce(topic, -1, key, value));
    if (value) {
      table[key] = *value;
    } else {
      table.erase(key);
    }
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  std::string orders_, products_, out_, app_, state_dir_;
};

TEST_F(ForeignKeyJoinIntegration, ResultsFollowBothTablesAcrossPartitionCountsAndRestarts) {
  std::map<S, S> orders, products;
  for (int i = 0; i < 20; ++i)
    write(products_, products, "p" + std::to_string(i), "name" + std::to_string(i));
  // Orders of known products, and of products that come later (p20..p24).
  for (int i = 0; i < 60; ++i) {
    write(orders_, orders, "o" + std::to_string(i),
          "p" + std::to_string(i % 25) + ":" + std::to_string(i + 1));
  }
  run(state_dir_ + "/a");
  EXPECT_EQ(results(), expected(orders, products));

  // Products renamed, added, deleted; orders moved to another product,
  // changed in quantity, deleted, added.
  write(products_, products, "p3", "renamed3");
  write(products_, products, "p21", "name21");
  write(products_, products, "p5", std::nullopt);
  write(orders_, orders, "o0", "p21:7");
  write(orders_, orders, "o1", "p1:99");
  write(orders_, orders, "o2", std::nullopt);
  write(orders_, orders, "o60", "p3:1");
  write(products_, products, "p1", "renamed1");
  run(state_dir_ + "/a");
  EXPECT_EQ(results(), expected(orders, products));

  // Another instance without the stores: restored from their changelogs.
  write(products_, products, "p21", "renamed21");
  write(orders_, orders, "o3", "p5:2");
  run(state_dir_ + "/b");
  EXPECT_EQ(results(), expected(orders, products));
}

}  // namespace
}  // namespace brook
