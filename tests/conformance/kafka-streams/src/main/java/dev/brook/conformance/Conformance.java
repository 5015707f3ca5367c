package dev.brook.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KeyValueMapper;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs conformance scenarios (tests/conformance/scenarios/*.scenario) through
 * Kafka Streams' TopologyTestDriver and prints what each writes, one line per
 * output record: "topic key value timestamp" (null for a null key or value,
 * windowed keys as key@start/end). Usage: Conformance OUT_DIR SCENARIO...;
 * writes OUT_DIR/NAME.out per scenario.
 */
public final class Conformance {
  private static final Serde<String> S = Serdes.String();
  private static final Serde<Long> L = Serdes.Long();

  /** A scenario: a named topology, its parameters and the records to pipe in. */
  static final class Scenario {
    String topology;
    final Map<String, Long> params = new HashMap<>();
    final List<String[]> inputs = new ArrayList<>();

    long param(final String name, final long otherwise) {
      return params.getOrDefault(name, otherwise);
    }

    long param(final String name) {
      final Long v = params.get(name);
      if (v == null) throw new IllegalArgumentException("scenario needs param " + name);
      return v;
    }
  }

  public static void main(final String[] args) throws IOException {
    final Path out = Path.of(args[0]);
    Files.createDirectories(out);
    for (int i = 1; i < args.length; ++i) {
      final Path file = Path.of(args[i]);
      final String name = file.getFileName().toString().replace(".scenario", "");
      final List<String> lines = run(parse(file));
      Files.write(out.resolve(name + ".out"), lines);
    }
  }

  static Scenario parse(final Path file) throws IOException {
    final Scenario s = new Scenario();
    for (String line : Files.readAllLines(file)) {
      final int hash = line.indexOf('#');
      if (hash >= 0) line = line.substring(0, hash);
      line = line.trim();
      if (line.isEmpty()) continue;
      final String[] f = line.split("\\s+");
      switch (f[0]) {
        case "topology":
          s.topology = f[1];
          break;
        case "param":
          s.params.put(f[1], Long.parseLong(f[2]));
          break;
        case "input":
        case "advance-wall-clock":
          s.inputs.add(f);
          break;
        default:
          // Lines for brook's side only (brook-output, differs).
          break;
      }
    }
    return s;
  }

  static String orNull(final String s) {
    return "null".equals(s) ? null : s;
  }

  /** What the output topic "out" is read with, and how its keys print. */
  interface Reader {
    List<String> read(TopologyTestDriver driver);
  }

  static List<String> run(final Scenario s) {
    final StreamsBuilder b = new StreamsBuilder();
    final Reader reader = build(b, s);
    final Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "conformance");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    // Left and outer stream-stream join results are emitted as soon as their
    // window closes (by default at most once a second of wall-clock time,
    // which the test driver's clock never reaches).
    props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX, 0L);
    final Topology topology = b.build();
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, Instant.EPOCH)) {
      final Map<String, TestInputTopic<String, String>> inputs = new HashMap<>();
      for (final String[] in : s.inputs) {
        if (in[0].equals("advance-wall-clock")) {
          driver.advanceWallClockTime(Duration.ofMillis(Long.parseLong(in[1])));
          continue;
        }
        final TestInputTopic<String, String> topic =
            inputs.computeIfAbsent(
                in[1], t -> driver.createInputTopic(t, S.serializer(), S.serializer()));
        topic.pipeInput(orNull(in[2]), orNull(in[3]), Long.parseLong(in[4]));
      }
      return reader.read(driver);
    }
  }

  static <K, V> List<String> lines(
      final TopologyTestDriver driver,
      final Deserializer<K> keys,
      final Deserializer<V> values,
      final java.util.function.Function<K, String> showKey) {
    final TestOutputTopic<K, V> out = driver.createOutputTopic("out", keys, values);
    final List<String> lines = new ArrayList<>();
    for (final TestRecord<K, V> r : out.readRecordsToList()) {
      lines.add(
          "out "
              + (r.key() == null ? "null" : showKey.apply(r.key()))
              + " "
              + (r.value() == null ? "null" : r.value().toString())
              + " "
              + r.timestamp());
    }
    return lines;
  }

  static String windowed(final Windowed<String> k) {
    return k.key() + "@" + k.window().start() + "/" + k.window().end();
  }

  static Reader timeWindowedOut(final long size, final Deserializer<?> values) {
    return d ->
        lines(
            d,
            new WindowedSerdes.TimeWindowedSerde<>(S, size).deserializer(),
            values,
            Conformance::windowed);
  }

  static Reader sessionWindowedOut(final Deserializer<?> values) {
    return d ->
        lines(
            d, new WindowedSerdes.SessionWindowedSerde<>(S).deserializer(), values, Conformance::windowed);
  }

  static Reader plainOut(final Deserializer<?> values) {
    return d -> lines(d, S.deserializer(), values, k -> k);
  }

  static Reader build(final StreamsBuilder b, final Scenario s) {
    switch (s.topology) {
      case "count-time-windows":
      case "reduce-time-windows":
      case "count-time-windows-final":
        {
          final long size = s.param("size");
          final TimeWindows w =
              TimeWindows.ofSizeAndGrace(Duration.ofMillis(size), Duration.ofMillis(s.param("grace", 0)))
                  .advanceBy(Duration.ofMillis(s.param("advance", size)));
          final var windowed = b.<String, String>stream("in").groupByKey().windowedBy(w);
          final Serde<Windowed<String>> ks = new WindowedSerdes.TimeWindowedSerde<>(S, size);
          if (s.topology.startsWith("count")) {
            var table = windowed.count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("store").withKeySerde(S).withValueSerde(L).withCachingDisabled());
            if (s.topology.endsWith("final")) {
              table = table.suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()));
            }
            table.toStream().to("out", Produced.with(ks, L));
            return timeWindowedOut(size, L.deserializer());
          }
          windowed
              .reduce((a, v) -> a + "+" + v, Materialized.<String, String, WindowStore<Bytes, byte[]>>as("store").withKeySerde(S).withValueSerde(S).withCachingDisabled())
              .toStream()
              .to("out", Produced.with(ks, S));
          return timeWindowedOut(size, S.deserializer());
        }
      case "count-sliding-windows":
      case "aggregate-sliding-windows":
        {
          final long diff = s.param("difference");
          final SlidingWindows w =
              SlidingWindows.ofTimeDifferenceAndGrace(
                  Duration.ofMillis(diff), Duration.ofMillis(s.param("grace", 0)));
          final var windowed = b.<String, String>stream("in").groupByKey().windowedBy(w);
          final Serde<Windowed<String>> ks = new WindowedSerdes.TimeWindowedSerde<>(S, diff);
          if (s.topology.startsWith("count")) {
            windowed
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("store").withKeySerde(S).withValueSerde(L).withCachingDisabled())
                .toStream()
                .to("out", Produced.with(ks, L));
            return timeWindowedOut(diff, L.deserializer());
          }
          windowed
              .aggregate(
                  () -> "",
                  (k, v, a) -> a + v,
                  Materialized.<String, String, WindowStore<Bytes, byte[]>>as("store").withKeySerde(S).withValueSerde(S).withCachingDisabled())
              .toStream()
              .to("out", Produced.with(ks, S));
          return timeWindowedOut(diff, S.deserializer());
        }
      case "count-session-windows":
      case "reduce-session-windows":
        {
          final SessionWindows w =
              SessionWindows.ofInactivityGapAndGrace(
                  Duration.ofMillis(s.param("gap")), Duration.ofMillis(s.param("grace", 0)));
          final var windowed = b.<String, String>stream("in").groupByKey().windowedBy(w);
          final Serde<Windowed<String>> ks = new WindowedSerdes.SessionWindowedSerde<>(S);
          if (s.topology.startsWith("count")) {
            windowed
                .count(Materialized.<String, Long, SessionStore<Bytes, byte[]>>as("store").withKeySerde(S).withValueSerde(L).withCachingDisabled())
                .toStream()
                .to("out", Produced.with(ks, L));
            return sessionWindowedOut(L.deserializer());
          }
          windowed
              .reduce((a, v) -> a + "+" + v, Materialized.<String, String, SessionStore<Bytes, byte[]>>as("store").withKeySerde(S).withValueSerde(S).withCachingDisabled())
              .toStream()
              .to("out", Produced.with(ks, S));
          return sessionWindowedOut(S.deserializer());
        }
      case "stream-table-join":
      case "stream-table-left-join":
        {
          final KTable<String, String> table = b.table("table", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("table-store").withKeySerde(S).withValueSerde(S).withCachingDisabled());
          final KStream<String, String> stream = b.stream("in");
          final ValueJoiner<String, String, String> j = (v, t) -> v + "/" + t;
          (s.topology.endsWith("left-join") ? stream.leftJoin(table, j) : stream.join(table, j))
              .to("out");
          return plainOut(S.deserializer());
        }
      case "stream-globaltable-join":
      case "stream-globaltable-left-join":
        {
          final GlobalKTable<String, String> table = b.globalTable("global", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("global-store").withKeySerde(S).withValueSerde(S));
          final KStream<String, String> stream = b.stream("in");
          // The table's key is what precedes ':' in the value.
          final KeyValueMapper<String, String, String> mapper =
              (k, v) -> v == null || v.indexOf(':') < 0 ? null : v.substring(0, v.indexOf(':'));
          final ValueJoiner<String, String, String> j = (v, t) -> v + "/" + t;
          (s.topology.endsWith("left-join")
                  ? stream.leftJoin(table, mapper, j)
                  : stream.join(table, mapper, j))
              .to("out");
          return plainOut(S.deserializer());
        }
      case "to-table":
        {
          b.<String, String>stream("in")
              .toTable(Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("t").withKeySerde(S).withValueSerde(S).withCachingDisabled())
              .toStream()
              .to("out");
          return plainOut(S.deserializer());
        }
      case "split-branches":
        {
          final var branches =
              b.<String, String>stream("in")
                  .split(Named.as("s-"))
                  .branch((k, v) -> v.startsWith("a"), Branched.as("a"))
                  .branch((k, v) -> v.startsWith("b") || v.startsWith("a"), Branched.as("b"))
                  .defaultBranch(Branched.as("other"));
          branches.get("s-a").mapValues(v -> "A:" + v).to("out");
          branches.get("s-b").mapValues(v -> "B:" + v).to("out");
          branches.get("s-other").mapValues(v -> "O:" + v).to("out");
          return plainOut(S.deserializer());
        }
      case "process-punctuate":
        {
          final long interval = s.param("interval");
          final boolean wallClock = s.param("wall-clock", 0) != 0;
          b.<String, String>stream("in")
              .process(
                  () ->
                      new org.apache.kafka.streams.processor.api.Processor<String, String, String, String>() {
                        long count = 0;
                        org.apache.kafka.streams.processor.api.ProcessorContext<String, String> ctx;

                        @Override
                        public void init(final org.apache.kafka.streams.processor.api.ProcessorContext<String, String> c) {
                          ctx = c;
                          c.schedule(
                              Duration.ofMillis(interval),
                              wallClock ? PunctuationType.WALL_CLOCK_TIME : PunctuationType.STREAM_TIME,
                              t -> ctx.forward(new org.apache.kafka.streams.processor.api.Record<>("tick", String.valueOf(count), t)));
                        }

                        @Override
                        public void process(final org.apache.kafka.streams.processor.api.Record<String, String> r) {
                          ++count;
                          ctx.forward(r.withValue("seen:" + r.value()));
                        }
                      })
              .to("out");
          return plainOut(S.deserializer());
        }
      case "table-table-join":
      case "table-table-left-join":
      case "table-table-outer-join":
        {
          final KTable<String, String> left = b.table("left", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("left-store").withKeySerde(S).withValueSerde(S).withCachingDisabled());
          final KTable<String, String> right = b.table("right", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("right-store").withKeySerde(S).withValueSerde(S).withCachingDisabled());
          final ValueJoiner<String, String, String> j = (l, r) -> l + "/" + r;
          final KTable<String, String> joined =
              s.topology.equals("table-table-join")
                  ? left.join(right, j)
                  : s.topology.equals("table-table-left-join")
                      ? left.leftJoin(right, j)
                      : left.outerJoin(right, j);
          joined.toStream().to("out");
          return plainOut(S.deserializer());
        }
      case "fk-join":
      case "fk-left-join":
        {
          // Left values "value:foreignKey"; a value without ':' has no foreign key.
          final KTable<String, String> left = b.table("left", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("left-store").withKeySerde(S).withValueSerde(S).withCachingDisabled());
          final KTable<String, String> right = b.table("right", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("right-store").withKeySerde(S).withValueSerde(S).withCachingDisabled());
          final java.util.function.Function<String, String> fk = v -> {
            final int i = v.indexOf(':');
            return i < 0 ? null : v.substring(i + 1);
          };
          final KTable<String, String> joined =
              s.topology.equals("fk-join")
                  ? left.join(right, fk, (l, r) -> l + "/" + r)
                  : left.leftJoin(right, fk, (l, r) -> l + "/" + (r == null ? "null" : r));
          joined.toStream().to("out");
          return plainOut(S.deserializer());
        }
      case "stream-stream-join":
      case "stream-stream-left-join":
      case "stream-stream-outer-join":
        {
          final long diff = s.param("difference");
          JoinWindows w =
              JoinWindows.ofTimeDifferenceAndGrace(
                  Duration.ofMillis(diff), Duration.ofMillis(s.param("grace", 0)));
          if (s.params.containsKey("before")) w = w.before(Duration.ofMillis(s.param("before")));
          if (s.params.containsKey("after")) w = w.after(Duration.ofMillis(s.param("after")));
          final KStream<String, String> left = b.stream("left");
          final KStream<String, String> right = b.stream("right");
          final ValueJoiner<String, String, String> j = (l, r) -> l + "/" + r;
          final StreamJoined<String, String, String> joined = StreamJoined.with(S, S, S);
          (s.topology.equals("stream-stream-join")
                  ? left.join(right, j, w, joined)
                  : s.topology.equals("stream-stream-left-join")
                      ? left.leftJoin(right, j, w, joined)
                      : left.outerJoin(right, j, w, joined))
              .to("out");
          return plainOut(S.deserializer());
        }
      default:
        throw new IllegalArgumentException("unknown topology " + s.topology);
    }
  }

  private Conformance() {}
}
