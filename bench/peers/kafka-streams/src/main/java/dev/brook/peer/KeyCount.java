// A count per key on Kafka Streams: the peer of brook-bench-failover's worker.
// input (string keys) -> groupByKey -> count into the store "counts" -> output
// (string key, 8-byte big-endian count, as brook's int64 serde). Takes the
// flags of every peer (Peer): --bootstrap-servers, --application-id,
// --input-topic, --output-topic, --processing-guarantee, --state-dir,
// --property KEY=VALUE (num.standby.replicas, session.timeout.ms, ...).
package dev.brook.peer;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

public final class KeyCount {
  public static void main(String[] args) throws Exception {
    Peer peer = new Peer("key-count", args);
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(peer.flag("input-topic", "input"), Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .count(Materialized.as("counts"))
        .toStream()
        .to(peer.flag("output-topic", "output"), Produced.with(Serdes.String(), Serdes.Long()));
    peer.run(builder);
  }
}
