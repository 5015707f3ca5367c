package dev.brook.peer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The flags every peer app takes, as brook's apps do (--bootstrap-servers,
 * --application-id, --input-topic, --output-topic, --processing-guarantee,
 * --commit-interval-ms, --num-stream-threads, --state-dir, --property K=V, and
 * app-specific --name value flags), and the Kafka Streams config they make.
 */
final class Peer {
  final Map<String, String> flags = new HashMap<>();
  final Properties config = new Properties();
  boolean stopAtEnd;  // --stop-at-end

  Peer(final String app, final String[] args) {
    final List<String> properties = new ArrayList<>();
    for (int i = 0; i < args.length; ++i) {
      final String a = args[i];
      if (a.equals("--stop-at-end")) {
        stopAtEnd = true;
      } else if (a.equals("--property") && i + 1 < args.length) {
        properties.add(args[++i]);
      } else if (a.startsWith("--") && i + 1 < args.length) {
        flags.put(a.substring(2), args[++i]);
      } else {
        System.err.println(app + " (Kafka Streams): unknown argument " + a);
        System.exit(2);
      }
    }
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, flags.getOrDefault("application-id", app));
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
        flags.getOrDefault("bootstrap-servers", "localhost:9092"));
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        flags.getOrDefault("processing-guarantee", StreamsConfig.AT_LEAST_ONCE));
    if (flags.containsKey("commit-interval-ms")) {
      config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, flags.get("commit-interval-ms"));
    }
    config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, flags.getOrDefault("num-stream-threads", "1"));
    config.put(StreamsConfig.STATE_DIR_CONFIG, flags.getOrDefault("state-dir", "/tmp/kafka-streams"));
    for (final String kv : properties) {
      final int eq = kv.indexOf('=');
      config.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
  }

  String flag(final String name, final String otherwise) {
    return flags.getOrDefault(name, otherwise);
  }

  /** Runs the topology until it stops or the process is told to (SIGTERM closes it). */
  void run(final StreamsBuilder builder) throws InterruptedException {
    final KafkaStreams streams = new KafkaStreams(builder.build(), config);
    final CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      System.err.println("state transition from " + before + " to " + now);
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(60));
      done.countDown();
    }));
    streams.start();
    done.await();
  }
}
