package dev.brook.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The purchase-enrichment workload in Kafka Streams, as brook-purchase-enrichment
 * runs it: the products table, each purchase re-keyed by product_id and
 * left-joined with it, the same output records.
 */
public final class PurchaseEnrichment {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static String enrich(final String purchase, final String product) {
    try {
      final ObjectNode out = (ObjectNode) MAPPER.readTree(purchase);
      if (product == null) {
        out.putNull("product");
      } else {
        final ObjectNode p = (ObjectNode) MAPPER.readTree(product);
        p.remove("event_time");
        p.remove("product_id");
        p.remove("propensity_to_buy");
        out.set("product", p);
      }
      return MAPPER.writeValueAsString(out);
    } catch (Exception e) {
      return null;
    }
  }

  static String productId(final String purchase) {
    try {
      final JsonNode id = MAPPER.readTree(purchase).get("product_id");
      return id == null ? null : id.asText();
    } catch (Exception e) {
      return null;
    }
  }

  public static void main(final String[] args) throws Exception {
    final Peer peer = new Peer("purchase-enrichment", args);
    peer.config.put("max.task.idle.ms", "2000");  // as brook-purchase-enrichment
    peer.config.put("default.key.serde", org.apache.kafka.common.serialization.Serdes.StringSerde.class);
    peer.config.put("default.value.serde", org.apache.kafka.common.serialization.Serdes.StringSerde.class);
    final StreamsBuilder builder = new StreamsBuilder();
    final KTable<String, String> products =
        builder.table(peer.flag("products-topic", "demo.products"),
            Consumed.with(Serdes.String(), Serdes.String()),
            Materialized.<String, String, org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]>>as("products-store")
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
    builder.stream(peer.flag("input-topic", "demo.purchases"), Consumed.with(Serdes.ByteArray(), Serdes.String()))
        .selectKey((k, v) -> productId(v))
        .leftJoin(products, PurchaseEnrichment::enrich)
        .to(peer.flag("output-topic", "demo.purchases.enriched"), Produced.with(Serdes.String(), Serdes.String()));
    peer.run(builder);
  }
}
