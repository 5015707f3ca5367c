// brook's side of the conformance suite (tests/conformance/README.md): runs
// each scenario through brook's TopologyTestDriver, caching off, and writes
// what the topology wrote to "out", one line per record — "topic key value
// timestamp", null for a null key or value, windowed keys as key@start/end —
// exactly as the Kafka Streams side (kafka-streams/.../Conformance.java) does
// for the same topology. Usage: brook-conformance OUT_DIR SCENARIO...
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "brook/brook.h"
#include "brook/testing/topology_test_driver.h"

namespace brook::conformance {
namespace {

using S = std::string;
using std::chrono::milliseconds;

struct Scenario {
  std::string topology;
  std::map<std::string, int64_t> params;
  struct Input {
    std::string topic;
    std::optional<std::string> key, value;
    int64_t timestamp;
  };
  std::vector<Input> inputs;

  int64_t param(const std::string& name) const {
    auto it = params.find(name);
    if (it == params.end()) throw std::invalid_argument("scenario needs param " + name);
    return it->second;
  }
  int64_t param(const std::string& name, int64_t otherwise) const {
    auto it = params.find(name);
    return it == params.end() ? otherwise : it->second;
  }
};

std::optional<std::string> or_null(const std::string& s) {
  if (s == "null") return std::nullopt;
  return s;
}

Scenario parse(const std::filesystem::path& file) {
  Scenario s;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string kind;
    if (!(fields >> kind)) continue;
    if (kind == "topology") {
      fields >> s.topology;
    } else if (kind == "param") {
      std::string name;
      int64_t v;
      fields >> name >> v;
      s.params[name] = v;
    } else if (kind == "input") {
      std::string topic, key, value;
      int64_t ts;
      fields >> topic >> key >> value >> ts;
      s.inputs.push_back({topic, or_null(key), or_null(value), ts});
    } else if (kind == "advance-wall-clock") {
      int64_t ms;
      fields >> ms;
      s.inputs.push_back({"", std::nullopt, std::nullopt, ms});  // topic "": the clock moves
    }
  }
  return s;
}

std::string show(const std::optional<std::string>& s) { return s ? *s : "null"; }

// How the output topic "out" is read and printed.
using Reader = std::function<std::vector<std::string>(TopologyTestDriver&)>;

template <class V>
std::string show_value(const V& v) {
  if constexpr (std::is_same_v<V, std::string>) {
    return v;
  } else {
    return std::to_string(v);
  }
}

// Windowed keys are key@start/end; values V, or null.
template <class V>
Reader windowed_out() {
  return [](TopologyTestDriver& driver) {
    std::vector<std::string> lines;
    auto& q = driver.captured("out");
    for (const CapturedRecord& c : q) {
      std::string key = "null", value = "null";
      if (c.key) {
        Windowed<S> k;
        if (!Serde<Windowed<S>>::deserialize(c.key->data(), c.key->size(), k)) {
          throw std::runtime_error("unreadable windowed key");
        }
        key = k.key + "@" + std::to_string(k.window.start) + "/" + std::to_string(k.window.end);
      }
      if (c.value) {
        V v{};
        if (!Serde<V>::deserialize(c.value->data(), c.value->size(), v)) {
          throw std::runtime_error("unreadable value");
        }
        value = show_value(v);
      }
      lines.push_back("out " + key + " " + value + " " + std::to_string(c.timestamp));
    }
    q.clear();
    return lines;
  };
}

template <class V>
Reader plain_out() {
  return [](TopologyTestDriver& driver) {
    std::vector<std::string> lines;
    auto& q = driver.captured("out");
    for (const CapturedRecord& c : q) {
      std::string value = "null";
      if (c.value) {
        V v{};
        if (!Serde<V>::deserialize(c.value->data(), c.value->size(), v)) {
          throw std::runtime_error("unreadable value");
        }
        value = show_value(v);
      }
      lines.push_back("out " + show(c.key) + " " + value + " " + std::to_string(c.timestamp));
    }
    q.clear();
    return lines;
  };
}

Materialized store() { return Materialized::as("store").with_caching_disabled(); }

Reader build(StreamsBuilder& b, const Scenario& s) {
  const std::string& t = s.topology;
  if (t == "count-time-windows" || t == "reduce-time-windows" || t == "count-time-windows-final") {
    int64_t size = s.param("size");
    TimeWindows w =
        TimeWindows::of_size_and_grace(milliseconds(size), milliseconds(s.param("grace", 0)))
            .advance_by(milliseconds(s.param("advance", size)));
    auto windowed = b.stream<S, S>("in").group_by_key().windowed_by(w);
    if (t.starts_with("count")) {
      auto table = windowed.count(store());
      if (t.ends_with("final")) table = table.suppress(Suppressed::until_window_closes());
      table.to("out");
      return windowed_out<int64_t>();
    }
    windowed.reduce([](S a, const S& v) { return a + "+" + v; }, store()).to("out");
    return windowed_out<S>();
  }
  if (t == "count-sliding-windows" || t == "aggregate-sliding-windows") {
    SlidingWindows w = SlidingWindows::of_time_difference_and_grace(
        milliseconds(s.param("difference")), milliseconds(s.param("grace", 0)));
    auto windowed = b.stream<S, S>("in").group_by_key().windowed_by(w);
    if (t.starts_with("count")) {
      windowed.count(store()).to("out");
      return windowed_out<int64_t>();
    }
    windowed.aggregate([] { return S(); }, [](const S&, const S& v, S a) { return a + v; }, store())
        .to("out");
    return windowed_out<S>();
  }
  if (t == "count-session-windows" || t == "reduce-session-windows") {
    SessionWindows w = SessionWindows::of_inactivity_gap_and_grace(
        milliseconds(s.param("gap")), milliseconds(s.param("grace", 0)));
    auto windowed = b.stream<S, S>("in").group_by_key().windowed_by(w);
    if (t.starts_with("count")) {
      windowed.count(store()).to("out");
      return windowed_out<int64_t>();
    }
    windowed.reduce([](S a, const S& v) { return a + "+" + v; }, store()).to("out");
    return windowed_out<S>();
  }
  using OS = std::optional<S>;
  auto show_opt = [](const std::optional<S>& v) { return v ? *v : S("null"); };
  if (t == "stream-table-join" || t == "stream-table-left-join") {
    auto table = b.table<OS, S>("table", Consumed{},
                                Materialized::as("table-store").with_caching_disabled());
    auto stream = b.stream<OS, OS>("in");
    if (t.ends_with("left-join")) {
      stream
          .left_join(
              table,
              [show_opt](const OS& v, const std::optional<S>& t) { return *v + "/" + show_opt(t); })
          .to("out");
    } else {
      stream.join(table, [](const OS& v, const S& t) { return *v + "/" + t; }).to("out");
    }
    return plain_out<S>();
  }
  if (t == "stream-globaltable-join" || t == "stream-globaltable-left-join") {
    auto table = b.global_table<OS, S>("global", Consumed{}, Materialized::as("global-store"));
    auto stream = b.stream<OS, OS>("in");
    // The table's key is what precedes ':' in the value.
    auto mapper = [](const OS&, const OS& v) -> OS {
      size_t colon = v->find(':');
      if (colon == std::string::npos) return std::nullopt;
      return v->substr(0, colon);
    };
    if (t.ends_with("left-join")) {
      stream
          .left_join(
              table, mapper,
              [show_opt](const OS& v, const std::optional<S>& t) { return *v + "/" + show_opt(t); })
          .to("out");
    } else {
      stream.join(table, mapper, [](const OS& v, const S& t) { return *v + "/" + t; }).to("out");
    }
    return plain_out<S>();
  }
  if (t == "to-table") {
    b.stream<S, OS>("in").to_table(Materialized::as("t").with_caching_disabled()).to("out");
    return plain_out<S>();
  }
  if (t == "split-branches") {
    auto branches =
        b.stream<S, S>("in")
            .split(Named::as("s-"))
            .branch([](const S&, const S& v) { return v.starts_with("a"); }, Branched::as("a"))
            .branch([](const S&, const S& v) { return v.starts_with("b") || v.starts_with("a"); },
                    Branched::as("b"))
            .default_branch(Branched::as("other"));
    branches.at("s-a").map_values([](const S& v) { return "A:" + v; }).to("out");
    branches.at("s-b").map_values([](const S& v) { return "B:" + v; }).to("out");
    branches.at("s-other").map_values([](const S& v) { return "O:" + v; }).to("out");
    return plain_out<S>();
  }
  if (t == "process-punctuate") {
    int64_t interval = s.param("interval");
    bool wall_clock = s.param("wall-clock", 0) != 0;
    struct Counter : Processor<S, S, S, S> {
      int64_t interval;
      bool wall_clock;
      int64_t count = 0;
      ProcessorContext<S, S>* ctx = nullptr;
      void init(ProcessorContext<S, S>& c) override {
        ctx = &c;
        c.schedule(milliseconds(interval),
                   wall_clock ? PunctuationType::kWallClockTime : PunctuationType::kStreamTime,
                   [this](int64_t t) {
                     ctx->forward(Record<S, S>{"tick", std::to_string(count), t, {}});
                   });
      }
      void process(const Record<S, S>& r) override {
        ++count;
        ctx->forward(r.with_value("seen:" + r.value));
      }
    };
    b.stream<S, S>("in")
        .process<S, S>([interval, wall_clock] {
          auto p = std::make_unique<Counter>();
          p->interval = interval;
          p->wall_clock = wall_clock;
          return p;
        })
        .to("out");
    return plain_out<S>();
  }
  if (t == "table-table-join" || t == "table-table-left-join" || t == "table-table-outer-join") {
    auto left =
        b.table<S, S>("left", Consumed{}, Materialized::as("left-store").with_caching_disabled());
    auto right =
        b.table<S, S>("right", Consumed{}, Materialized::as("right-store").with_caching_disabled());
    if (t == "table-table-join") {
      left.join(right, [](const S& l, const S& r) { return l + "/" + r; }).to("out");
    } else if (t == "table-table-left-join") {
      left.left_join(right, [show_opt](const S& l, const OS& r) { return l + "/" + show_opt(r); })
          .to("out");
    } else {
      left.outer_join(right, [show_opt](const OS& l,
                                        const OS& r) { return show_opt(l) + "/" + show_opt(r); })
          .to("out");
    }
    return plain_out<S>();
  }
  if (t == "fk-join" || t == "fk-left-join") {
    // Left values "value:foreignKey"; a value without ':' has no foreign key.
    auto left =
        b.table<S, S>("left", Consumed{}, Materialized::as("left-store").with_caching_disabled());
    auto right =
        b.table<S, S>("right", Consumed{}, Materialized::as("right-store").with_caching_disabled());
    auto fk = [](const S& v) -> OS {
      size_t i = v.find(':');
      if (i == S::npos) return std::nullopt;
      return v.substr(i + 1);
    };
    if (t == "fk-join") {
      left.join(right, fk, [](const S& l, const S& r) { return l + "/" + r; }).to("out");
    } else {
      left.left_join(right, fk,
                     [show_opt](const S& l, const OS& r) { return l + "/" + show_opt(r); })
          .to("out");
    }
    return plain_out<S>();
  }
  if (t == "stream-stream-join" || t == "stream-stream-left-join" ||
      t == "stream-stream-outer-join") {
    JoinWindows w = JoinWindows::of_time_difference_and_grace(milliseconds(s.param("difference")),
                                                              milliseconds(s.param("grace", 0)));
    if (s.params.count("before")) w = w.before(milliseconds(s.param("before")));
    if (s.params.count("after")) w = w.after(milliseconds(s.param("after")));
    auto left = b.stream<OS, S>("left");
    auto right = b.stream<OS, S>("right");
    if (t == "stream-stream-join") {
      left.join(
              right, [](const S& l, const S& r) { return l + "/" + r; }, w)
          .to("out");
    } else if (t == "stream-stream-left-join") {
      left.left_join(
              right, [show_opt](const S& l, const OS& r) { return l + "/" + show_opt(r); }, w)
          .to("out");
    } else {
      left.outer_join(
              right,
              [show_opt](const OS& l, const OS& r) { return show_opt(l) + "/" + show_opt(r); }, w)
          .to("out");
    }
    return plain_out<S>();
  }
  throw std::invalid_argument("unknown topology " + t);
}

std::vector<std::string> run(const Scenario& s) {
  StreamsBuilder b;
  Reader reader = build(b, s);
  Topology topology = b.build();
  StreamsConfig config;
  config.set("application.id", "conformance");
  config.set("cache.max.bytes.buffering", "0");
  TopologyTestDriver driver(topology, config);
  for (const Scenario::Input& in : s.inputs) {
    if (in.topic.empty()) {
      driver.advance_wall_clock_time(milliseconds(in.timestamp));
      continue;
    }
    driver.pipe_raw(in.topic, std::nullopt, in.key, in.value, in.timestamp);
  }
  return reader(driver);
}

}  // namespace
}  // namespace brook::conformance

int main(int argc, char** argv) {
  using namespace brook::conformance;
  if (argc < 2) {
    std::cerr << "usage: brook-conformance OUT_DIR SCENARIO...\n";
    return 2;
  }
  std::filesystem::path out(argv[1]);
  std::filesystem::create_directories(out);
  int failed = 0;
  for (int i = 2; i < argc; ++i) {
    std::filesystem::path file(argv[i]);
    std::ofstream o(out / (file.stem().string() + ".out"));
    try {
      for (const std::string& line : run(parse(file))) o << line << "\n";
    } catch (const std::exception& e) {
      std::cerr << file.stem().string() << ": " << e.what() << "\n";
      o << "error: " << e.what() << "\n";
      failed = 1;
    }
  }
  return failed;
}
