#include "apps/sales_generator/generator.h"

#include <chrono>
#include <thread>

#include "apps/sales_generator/sales_model.h"
#include "engine/common/log.h"
#include "engine/kafka/internal_topics.h"
#include "engine/kafka/kafka_client.h"

namespace brook::demo {
namespace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `tombstone`: a null value.
Status produce(rd_kafka_t* rk, const std::string& topic, int32_t partition, const std::string* key,
               const std::string& value, int64_t timestamp_ms, bool tombstone = false) {
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key ? const_cast<char*>(key->data()) : nullptr, key ? key->size() : 0),
        RD_KAFKA_V_VALUE(tombstone ? nullptr : const_cast<char*>(value.data()),
                         tombstone ? 0 : value.size()),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
    if (!err) return Status::ok();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return Status::error("cannot produce to " + topic + ": " + rd_kafka_err2str(err));
    }
    rd_kafka_poll(rk, 10);
  }
}

}  // namespace

Status generate(const GeneratorOptions& options, const std::atomic<bool>& stop,
                GeneratorStats* stats) {
  kafka::Conf conf;
  Status s = kafka::make_conf({{"bootstrap.servers", options.bootstrap_servers},
                               {"linger.ms", "20"},
                               // A retried send must not write a purchase twice.
                               {"enable.idempotence", "true"},
                               {"partitioner", "murmur2_random"},
                               {"client.id", "brook-sales-generator"}},
                              &conf);
  if (!s) return s;
  std::string first_error;
  rd_kafka_conf_set_opaque(conf.get(), &first_error);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void* o) {
    auto* e = static_cast<std::string*>(o);
    if (m->err && e->empty()) *e = rd_kafka_err2str(m->err);
  });
  kafka::Handle rk;
  s = kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &rk);
  if (!s) return s;

  if (options.create_partitions > 0) {
    bool embedded = false;
    s = is_embedded_kafka(rk.get(), &embedded);
    if (!s) return s;
    std::vector<InternalTopic> topics;
    for (const std::string* t :
         {&options.products_topic, &options.purchases_topic, &options.inventories_topic}) {
      // With --start-time-ms in the past, records carry old timestamps: keep
      // them from the broker's time retention.
      topics.push_back(
          InternalTopic{*t, options.create_partitions, false, {{"retention.ms", "-1"}}});
    }
    s = ensure_topics(rk.get(), topics, -1, embedded);
    if (!s) return s;
  }
  std::map<std::string, int> counts;
  s = kafka::partition_counts(rk.get(), {options.purchases_topic}, &counts);
  if (!s) return s;
  int purchase_partitions =
      counts.count(options.purchases_topic) ? counts[options.purchases_topic] : 0;
  if (purchase_partitions <= 0) {
    return Status::error("topic " + options.purchases_topic + " does not exist");
  }

  uint64_t seed = options.seed ? options.seed : static_cast<uint64_t>(now_us());
  int64_t start = options.start_time_us ? options.start_time_us : now_us();
  SalesModel model(seed, start);
  for (const Product& p : products()) {
    std::string key = p.id;
    s = produce(rk.get(), options.products_topic, RD_KAFKA_PARTITION_UA, &key,
                SalesModel::product_json(p, start), start / 1000);
    if (!s) return s;
  }
  int64_t gap_us = options.event_gap_us > 0 ? options.event_gap_us
                   : options.rate > 0       ? static_cast<int64_t>(1e6 / options.rate)
                                            : 1000;
  auto began = std::chrono::steady_clock::now();
  int64_t n = 0;
  while (!stop.load() && (options.purchases == 0 || n < options.purchases)) {
    Purchase p = model.next_purchase(gap_us);
    // Null keys: spread explicitly, rather than let the sticky partitioner fill
    // one partition at a time.
    s = produce(rk.get(), options.purchases_topic, static_cast<int32_t>(n % purchase_partitions),
                nullptr, SalesModel::purchase_json(p), p.time_us / 1000);
    if (!s) return s;
    ++n;
    ProductChange c;
    if (model.take_product_change(options.product_changes_every, &c)) {
      const Product& product = products()[c.index];
      std::string key = product.id;
      std::string value =
          c.deleted ? std::string() : SalesModel::product_json(product, c.time_us, c.price_cents);
      s = produce(rk.get(), options.products_topic, RD_KAFKA_PARTITION_UA, &key, value,
                  c.time_us / 1000, c.deleted);
      if (!s) return s;
      ++stats->product_changes;
    }
    Restock r;
    if (model.take_restock(&r)) {
      s = produce(rk.get(), options.inventories_topic, RD_KAFKA_PARTITION_UA, &r.product_id,
                  SalesModel::restock_json(r), r.time_us / 1000);
      if (!s) return s;
      ++stats->restocks;
    }
    stats->purchases = n;
    rd_kafka_poll(rk.get(), 0);
    if (options.rate > 0) {
      auto due = began + std::chrono::microseconds(static_cast<int64_t>(n * 1e6 / options.rate));
      std::this_thread::sleep_until(due);
    }
    if (!options.quiet && n % 10000 == 0) log::info("generator: {} purchases written", n);
  }
  if (rd_kafka_flush(rk.get(), 60000)) return Status::error("generator: flush timed out");
  if (!first_error.empty()) return Status::error("generator: delivery failed: " + first_error);
  return Status::ok();
}

}  // namespace brook::demo
