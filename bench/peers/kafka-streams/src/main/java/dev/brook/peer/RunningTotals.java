// The running-totals demo on Kafka Streams: the peer brook-running-totals is
// measured against (scripts/bench-peers.sh). purchases (JSON, no key) -> each
// as a total of one purchase -> selectKey(product_id) -> groupByKey (repartition
// topic, compact binary values, as brook's) -> reduce(add) into a store ->
// demo.running.totals as JSON, the same format brook writes:
//   {"event_time":"...","product_id":"SC01","transactions":N,"quantities":N,"sales":X.XX}
// A purchase that is not valid JSON or lacks a field is skipped, as in brook.
//
// Flags mirror brook-running-totals: --bootstrap-servers, --application-id,
// --input-topic, --output-topic, --processing-guarantee, --commit-interval-ms,
// --num-stream-threads, --state-dir, --property KEY=VALUE, --stop-at-end.
// Prints "RUNNING" on stdout when the instance first reaches RUNNING.
package dev.brook.peer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

public final class RunningTotals {
  /** A product's running total; sales in cents, as brook keeps them. */
  static final class Total {
    String eventTime = "";
    String productId = "";
    long transactions;
    long quantities;
    long salesCents;
  }

  static Total add(Total a, Total b) {
    Total t = new Total();
    t.eventTime = a.eventTime.compareTo(b.eventTime) >= 0 ? a.eventTime : b.eventTime;
    t.productId = b.productId;
    t.transactions = a.transactions + b.transactions;
    t.quantities = a.quantities + b.quantities;
    t.salesCents = a.salesCents + b.salesCents;
    return t;
  }

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /** A purchase as a total of one, or null when it is malformed. */
  static Total parsePurchase(String json) {
    if (json == null) return null;
    try {
      JsonNode n = MAPPER.readTree(json);
      JsonNode id = n.get("product_id"), qty = n.get("quantity"), total = n.get("total_purchase");
      if (id == null || !id.isTextual() || qty == null || !qty.canConvertToLong() || total == null
          || !total.isNumber()) {
        return null;
      }
      Total t = new Total();
      JsonNode time = n.get("transaction_time");
      t.eventTime = time != null && time.isTextual() ? time.asText() : "";
      t.productId = id.asText();
      t.transactions = 1;
      t.quantities = qty.asLong();
      t.salesCents = total.decimalValue().movePointRight(2).longValueExact();
      return t;
    } catch (Exception e) {
      return null;
    }
  }

  /** The output's JSON, in brook's field order and money format. */
  static String toJson(Total t) {
    return "{\"event_time\":" + quote(t.eventTime) + ",\"product_id\":" + quote(t.productId)
        + ",\"transactions\":" + t.transactions + ",\"quantities\":" + t.quantities
        + ",\"sales\":" + BigDecimal.valueOf(t.salesCents, 2).toPlainString() + "}";
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\');
      b.append(c);
    }
    return b.append('"').toString();
  }

  /** A compact binary form for the repartition topic (as brook's BinarySerde). */
  static final class BinaryTotalSerde implements Serde<Total> {
    @Override
    public Serializer<Total> serializer() {
      return (topic, t) -> {
        byte[] time = t.eventTime.getBytes(StandardCharsets.UTF_8);
        byte[] id = t.productId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + time.length + id.length + 24);
        b.putInt(time.length).put(time).putInt(id.length).put(id);
        b.putLong(t.transactions).putLong(t.quantities).putLong(t.salesCents);
        return b.array();
      };
    }

    @Override
    public Deserializer<Total> deserializer() {
      return (topic, bytes) -> {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        Total t = new Total();
        byte[] time = new byte[b.getInt()];
        b.get(time);
        byte[] id = new byte[b.getInt()];
        b.get(id);
        t.eventTime = new String(time, StandardCharsets.UTF_8);
        t.productId = new String(id, StandardCharsets.UTF_8);
        t.transactions = b.getLong();
        t.quantities = b.getLong();
        t.salesCents = b.getLong();
        return t;
      };
    }
  }

  /** The store's JSON form (brook keeps JSON in its store too). */
  static final class JsonTotalSerde implements Serde<Total> {
    @Override
    public Serializer<Total> serializer() {
      return (topic, t) -> t == null ? null : toJson(t).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Deserializer<Total> deserializer() {
      return (topic, bytes) -> {
        if (bytes == null) return null;
        try {
          JsonNode n = MAPPER.readTree(bytes);
          Total t = new Total();
          t.eventTime = n.get("event_time").asText();
          t.productId = n.get("product_id").asText();
          t.transactions = n.get("transactions").asLong();
          t.quantities = n.get("quantities").asLong();
          t.salesCents = n.get("sales").decimalValue().movePointRight(2).longValueExact();
          return t;
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      };
    }
  }

  public static void main(String[] args) throws Exception {
    Peer peer = new Peer("running-totals", args);
    Properties p = peer.config;
    boolean stopAtEnd = peer.stopAtEnd;
    String input = peer.flag("input-topic", "demo.purchases");
    String output = peer.flag("output-topic", "demo.running.totals");
    String app = p.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);

    Serde<Total> binary = new BinaryTotalSerde();
    Serde<Total> json = new JsonTotalSerde();
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.String()))
        .flatMapValues(v -> {
          Total t = parsePurchase(v);
          return t == null ? Collections.<Total>emptyList() : Collections.singletonList(t);
        })
        .selectKey((k, t) -> t.productId)
        .groupByKey(Grouped.with("running-totals", Serdes.String(), binary))
        .reduce(RunningTotals::add, Materialized.<String, Total, org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]>>as("running-totals-store")
            .withKeySerde(Serdes.String()).withValueSerde(json))
        .toStream()
        .mapValues(RunningTotals::toJson)
        .to(output, Produced.with(Serdes.String(), Serdes.String()));

    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) {
        System.out.println("RUNNING");
        System.out.flush();
      }
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) stopped.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(60));
      stopped.countDown();
    }));
    streams.start();
    if (stopAtEnd) {
      waitForEnd(p, app, input);
      streams.close(Duration.ofSeconds(60));
      System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
    }
    stopped.await();
  }

  /**
   * A bounded run: waits until the group has committed every input partition up
   * to its end at start, and every repartition partition up to its current end
   * (under exactly-once, one offset short: the commit marker of the group's own
   * last transaction), twice a second apart.
   */
  static void waitForEnd(Properties p, String app, String input) throws Exception {
    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, p.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
    boolean eos = !StreamsConfig.AT_LEAST_ONCE.equals(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    String repartition = app + "-running-totals-repartition";
    try (Admin admin = Admin.create(ap)) {
      int partitions = admin.describeTopics(List.of(input)).allTopicNames().get().get(input).partitions().size();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int i = 0; i < partitions; ++i) latest.put(new TopicPartition(input, i), OffsetSpec.latest());
      Map<TopicPartition, Long> inputEnds = admin.listOffsets(latest).all().get().entrySet().stream()
          .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
      int stable = 0;
      while (stable < 2) {
        Thread.sleep(1000);
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get();
        boolean done = true;
        for (Map.Entry<TopicPartition, Long> e : inputEnds.entrySet()) {
          OffsetAndMetadata c = committed.get(e.getKey());
          done &= c != null && c.offset() >= e.getValue() - (eos ? 1 : 0);
        }
        Map<TopicPartition, OffsetSpec> rLatest = new HashMap<>();
        for (TopicPartition tp : committed.keySet()) {
          if (tp.topic().equals(repartition)) rLatest.put(tp, OffsetSpec.latest());
        }
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e :
            admin.listOffsets(rLatest).all().get().entrySet()) {
          done &= committed.get(e.getKey()).offset() >= e.getValue().offset() - (eos ? 1 : 0);
        }
        stable = done ? stable + 1 : 0;
      }
    }
  }
}
