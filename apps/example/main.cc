// The README's example, compiled so that it stays true.
#include <brook/brook.h>

struct Purchase { std::string product_id; int64_t quantity; brook::Cents total_purchase; };
BROOK_JSON(Purchase, product_id, quantity, total_purchase)   // JSON fields, declared once

int main(int argc, char** argv) {
  brook::StreamsBuilder builder;
  builder.stream<std::string, Purchase>("demo.purchases")
      .select_key([](const std::string&, const Purchase& p) { return p.product_id; })
      .map_values([](const Purchase& p) { return p.total_purchase; })     // KStream<string, Cents>
      .group_by_key()                                                     // repartitions: key changed
      .reduce([](brook::Cents a, brook::Cents b) { return a + b; }, brook::Materialized::as("sales"))
      .to_stream()
      .map_values([](brook::Cents c) { return std::to_string(c.value); })
      .to("demo.sales.cents");

  brook::StreamsConfig config{{"application.id", "sales"}, {"bootstrap.servers", "localhost:9092"}};
  brook::KafkaStreams streams(builder.build(), config);
  if (brook::Status s = streams.start(); !s) return 2;   // s.message() names what is wrong
  return streams.run_until_signal();                    // SIGINT/SIGTERM: commit and stop
}
