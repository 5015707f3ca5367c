package dev.brook.peer;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The windowed-sales workload in Kafka Streams, as brook-windowed-sales runs it:
 * purchases by product over hopping windows of transaction_time (--window-size,
 * --advance, --grace in minutes), the same output records.
 */
public final class WindowedSales {
  static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSSSSS]");
  static final DateTimeFormatter OUT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  /** The transaction_time of a purchase (UTC), or -1 (the record is dropped). */
  static final class TransactionTime implements TimestampExtractor {
    @Override
    public long extract(final ConsumerRecord<Object, Object> record, final long partitionTime) {
      final RunningTotals.Total t = RunningTotals.parsePurchase((String) record.value());
      if (t == null || t.eventTime.isEmpty()) return -1;
      try {
        return LocalDateTime.parse(t.eventTime, FORMAT).toInstant(ZoneOffset.UTC).toEpochMilli();
      } catch (Exception e) {
        return -1;
      }
    }
  }

  static String time(final long ms) {
    return OUT.format(LocalDateTime.ofInstant(Instant.ofEpochMilli(ms), ZoneOffset.UTC));
  }

  public static void main(final String[] args) throws Exception {
    final Peer peer = new Peer("windowed-sales", args);
    peer.config.put("default.deserialization.exception.handler",
        "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler");
    final long minute = 60000;
    final TimeWindows windows =
        TimeWindows.ofSizeAndGrace(
                Duration.ofMillis((long) (Double.parseDouble(peer.flag("window-size", "10")) * minute)),
                Duration.ofMillis((long) (Double.parseDouble(peer.flag("grace", "10")) * minute)))
            .advanceBy(Duration.ofMillis((long) (Double.parseDouble(peer.flag("advance", "5")) * minute)));
    final RunningTotals.BinaryTotalSerde binary = new RunningTotals.BinaryTotalSerde();
    final StreamsBuilder builder = new StreamsBuilder();
    builder
        .stream(peer.flag("input-topic", "demo.purchases"),
            Consumed.with(Serdes.ByteArray(), Serdes.String()).withTimestampExtractor(new TransactionTime()))
        .flatMapValues(v -> {
          final RunningTotals.Total t = RunningTotals.parsePurchase(v);
          return t == null ? Collections.<RunningTotals.Total>emptyList() : Collections.singletonList(t);
        })
        .selectKey((k, t) -> t.productId)
        .groupByKey(Grouped.with("windowed-sales", Serdes.String(), binary))
        .windowedBy(windows)
        .reduce(RunningTotals::add,
            Materialized.<String, RunningTotals.Total, org.apache.kafka.streams.state.WindowStore<org.apache.kafka.common.utils.Bytes, byte[]>>as("windowed-sales-store")
                .withKeySerde(Serdes.String()).withValueSerde(binary))
        .toStream()
        .map((wk, t) -> KeyValue.pair(wk.key(),
            "{\"product_id\":" + RunningTotals.quote(wk.key()) + ",\"window_start\":\""
                + time(wk.window().start()) + "\",\"window_end\":\"" + time(wk.window().end())
                + "\",\"transactions\":" + t.transactions + ",\"quantities\":" + t.quantities
                + ",\"sales\":" + BigDecimal.valueOf(t.salesCents, 2).toPlainString() + "}"))
        .to(peer.flag("output-topic", "demo.windowed.sales"), Produced.with(Serdes.String(), Serdes.String()));
    peer.run(builder);
  }
}
