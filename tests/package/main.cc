// An application of brook built outside its tree, against the installed
// package: the README's topology, run through the TopologyTestDriver, with its
// output checked. Exits 0 only when every total is right.
#include <brook/brook.h>
#include <brook/testing/topology_test_driver.h>

#include <cstdio>

struct Purchase {
  std::string product_id;
  int64_t quantity;
  brook::Cents total_purchase;
};
BROOK_JSON(Purchase, product_id, quantity, total_purchase)

int main() {
  brook::StreamsBuilder builder;
  builder.stream<std::string, Purchase>("demo.purchases")
      .select_key([](const std::string&, const Purchase& p) { return p.product_id; })
      .map_values([](const Purchase& p) { return p.total_purchase; })
      .group_by_key()
      .reduce([](brook::Cents a, brook::Cents b) { return a + b; },
              brook::Materialized::as("sales"))
      .to_stream()
      .map_values([](brook::Cents c) { return std::to_string(c.value); })
      .to("demo.sales.cents");

  brook::TopologyTestDriver driver(builder.build(), {}, 4);
  auto in = driver.create_input_topic<std::string, Purchase>("demo.purchases");
  in.pipe_value(Purchase{"SC01", 1, brook::Cents{499}}, 1);
  in.pipe_value(Purchase{"SC02", 2, brook::Cents{1198}}, 2);
  in.pipe_value(Purchase{"SC01", 1, brook::Cents{501}}, 3);
  auto out = driver.create_output_topic<std::string, std::string>("demo.sales.cents")
                 .read_key_values_to_map();
  if (out.size() != 2 || out["SC01"] != "1000" || out["SC02"] != "1198") {
    std::fprintf(stderr, "outside app: wrong totals (%zu keys, SC01=%s, SC02=%s)\n", out.size(),
                 out["SC01"].c_str(), out["SC02"].c_str());
    return 1;
  }
  std::puts("outside app: totals right");
  return 0;
}
