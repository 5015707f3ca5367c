// Microbenchmarks (Google Benchmark): the JSON serde, the record cache, the
// combiner, the RocksDB store, the window store and a table lookup, on the
// per-record paths the pipelines use.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "apps/running_totals/running_totals.h"
#include "apps/sales_generator/sales_model.h"
#include "brook/key_value_store.h"
#include "operators/combine_node.h"
#include "operators/window_aggregate_nodes.h"
#include "state/caching_store.h"
#include "state/in_memory_store.h"
#include "state/key_value_store_builder.h"
#include "state/rocksdb_store.h"
#include "state/window_bytes_store.h"

namespace {

std::vector<std::string> purchases(int n) {
  brook::demo::SalesModel model(5, 1669907853000000);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(brook::demo::SalesModel::purchase_json(model.next_purchase(1000)));
  return out;
}

void BM_JsonParsePurchase(benchmark::State& state) {
  auto inputs = purchases(1024);
  brook::demo::PurchaseEvent p;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& s = inputs[i++ & 1023];
    bool ok = brook::Serde<brook::demo::PurchaseEvent>::deserialize(s.data(), s.size(), p);
    benchmark::DoNotOptimize(ok);
    bytes += s.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_JsonParsePurchase);

void BM_JsonWriteRunningTotal(benchmark::State& state) {
  brook::demo::RunningTotal t{"2022-12-01 15:17:33.263040", "SC01", 12345, 23456,
                              brook::Cents{9876543}};
  std::string out;
  for (auto _ : state) {
    brook::Serde<brook::demo::RunningTotal>::serialize(t, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_JsonWriteRunningTotal);

// A running total through its repartition topic: written, then read back, as
// JSON (Serde) and as BinarySerde (what the running-totals app uses there).
template <class S>
void RunningTotalRoundTrip(benchmark::State& state) {
  brook::demo::RunningTotal t{"2022-12-01 15:17:33.263040", "SC01", 12345, 23456,
                              brook::Cents{9876543}};
  brook::demo::RunningTotal back;
  std::string bytes;
  for (auto _ : state) {
    S::serialize(t, bytes);
    bool ok = S::deserialize(bytes.data(), bytes.size(), back);
    benchmark::DoNotOptimize(ok);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}
void BM_JsonRoundTripRunningTotal(benchmark::State& state) {
  RunningTotalRoundTrip<brook::Serde<brook::demo::RunningTotal>>(state);
}
BENCHMARK(BM_JsonRoundTripRunningTotal);
void BM_BinaryRoundTripRunningTotal(benchmark::State& state) {
  RunningTotalRoundTrip<brook::BinarySerde<brook::demo::RunningTotal>>(state);
}
BENCHMARK(BM_BinaryRoundTripRunningTotal);

// Read-modify-write of a hot key set through the cache, as an aggregation does.
void BM_CachingStoreReadModifyWrite(benchmark::State& state) {
  brook::state::ThreadCache cache(10 << 20);
  brook::state::RecordTime time;
  brook::state::CachingStore store(std::make_unique<brook::state::InMemoryStore>("s"), cache, time);
  std::vector<std::string> keys;
  for (int i = 0; i < state.range(0); ++i) keys.push_back("product-" + std::to_string(i));
  std::string value(120, 'v'), read;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& k = keys[i++ % keys.size()];
    store.get(k, &read);
    store.put(k, value);
  }
  store.flush();
}
BENCHMARK(BM_CachingStoreReadModifyWrite)->Arg(27)->Arg(100000);

// A running total folded into its store per record, as the running totals'
// reduce does, over the record cache with 27 hot keys: read and write back
// (get, then put: the value is copied out and in) against update (folded in
// place in the cache, one lookup).
template <bool InPlace>
void TypedStoreFold(benchmark::State& state) {
  brook::state::ThreadCache cache(10 << 20);
  brook::state::RecordTime time;
  brook::state::CachingStore bytes(std::make_unique<brook::state::InMemoryStore>("s"), cache, time);
  brook::KeyValueStore<std::string, brook::demo::RunningTotal> store(bytes);
  std::vector<std::string> keys;
  for (int i = 0; i < 27; ++i) keys.push_back("product-" + std::to_string(i));
  const brook::demo::RunningTotal next{"2022-12-01 15:17:33.263040", "", 1, 3, brook::Cents{1999}};
  auto fold = [&](std::optional<brook::demo::RunningTotal> total) {
    if (!total) return next;
    total->event_time = next.event_time;
    total->transactions += next.transactions;
    total->quantities += next.quantities;
    total->sales += next.sales;
    return std::move(*total);
  };
  size_t i = 0;
  for (auto _ : state) {
    const std::string& k = keys[i++ % keys.size()];
    if constexpr (InPlace) {
      store.update(k, fold);
    } else {
      store.put(k, fold(store.get(k)));
    }
  }
  bytes.flush();
}
void BM_TypedStoreGetPut(benchmark::State& state) { TypedStoreFold<false>(state); }
BENCHMARK(BM_TypedStoreGetPut);
void BM_TypedStoreUpdate(benchmark::State& state) { TypedStoreFold<true>(state); }
BENCHMARK(BM_TypedStoreUpdate);

// A combiner folding running totals of 27 products, written out (to no sink)
// every state.range(0) records, as its timer or a commit would.
void BM_CombinerFold(benchmark::State& state) {
  using brook::demo::RunningTotal;
  using Reducer = RunningTotal (*)(RunningTotal, const RunningTotal&);
  brook::operators::KStreamCombine<std::string, RunningTotal, Reducer, brook::Serde<std::string>>
      combiner("combine", &brook::demo::add_to_total, brook::Combine{});
  brook::demo::SalesModel model(5, 1669907853000000);
  std::vector<brook::Record<std::string, RunningTotal>> records;
  for (int i = 0; i < 1024; ++i) {
    brook::demo::Purchase p = model.next_purchase(1000);
    records.push_back({p.product_id,
                       RunningTotal{brook::demo::SalesModel::format_time(p.time_us), p.product_id,
                                    1, p.quantity, brook::Cents{p.total_cents}},
                       p.time_us / 1000,
                       {}});
  }
  size_t i = 0;
  const size_t every = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    combiner.process(records[i & 1023]);
    if (++i % every == 0) combiner.flush();
  }
}
BENCHMARK(BM_CombinerFold)->Arg(1000)->Arg(100000);

void BM_RocksDbStorePut(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("brook-micro-" + std::to_string(::getpid()));
  brook::state::RocksDbResources resources;
  {
    brook::state::RocksDbStore store("s", dir.string(), resources);
    std::string value(120, 'v');
    int64_t i = 0;
    for (auto _ : state) store.put("key-" + std::to_string(i++ % 1000000), value);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RocksDbStorePut);

void BM_RocksDbStoreGet(benchmark::State& state) {
  auto dir =
      std::filesystem::temp_directory_path() / ("brook-micro-get-" + std::to_string(::getpid()));
  brook::state::RocksDbResources resources;
  {
    brook::state::RocksDbStore store("s", dir.string(), resources);
    std::string value(120, 'v'), out;
    for (int i = 0; i < 100000; ++i) store.put("key-" + std::to_string(i), value);
    int64_t i = 0;
    for (auto _ : state) {
      bool found = store.get("key-" + std::to_string(i++ % 100000), &out);
      benchmark::DoNotOptimize(found);
    }
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RocksDbStoreGet);

// A window store on RocksDB as a windowed aggregation uses it: a stack
// Segmented(RocksDB) (the caching layer off: every put reaches RocksDB), keys
// of 27 products, windows starting every 5 minutes as time moves on.
struct WindowStoreFixture {
  explicit WindowStoreFixture(const char* name)
      : dir(std::filesystem::temp_directory_path() /
            (std::string(name) + "-" + std::to_string(::getpid()))) {
    brook::state::KeyValueStoreBuilder b("w");
    b.persistent(dir.string(), resources, false);
    b.segmented(&brook::state::WindowKeySchema::time_of, segments, kRetention);
    stack = b.stack(b.open());
    view = std::make_unique<brook::state::WindowBytesStore>(*stack, segments, kRetention);
  }
  ~WindowStoreFixture() {
    view.reset();
    stack.reset();
    std::filesystem::remove_all(dir);
  }
  static constexpr int64_t kRetention = 20 * 60000;
  brook::state::TimeSegments segments = brook::state::TimeSegments::for_retention(kRetention);
  std::filesystem::path dir;
  brook::state::RocksDbResources resources;
  std::unique_ptr<brook::state::KeyValueBytesStore> stack;
  std::unique_ptr<brook::state::WindowBytesStore> view;
};

const char* product(int64_t i) { return brook::demo::products()[i % 27].id; }

void BM_WindowStorePut(benchmark::State& state) {
  WindowStoreFixture f("brook-micro-window-put");
  std::string value(40, 'v');
  std::string_view v = value;
  int64_t i = 0;
  for (auto _ : state) {
    // A record a millisecond, into its window of 5 minutes' starts.
    int64_t t = 1669907853000 + i;
    f.view->put(product(i++), &v, t / 300000 * 300000);
  }
}
BENCHMARK(BM_WindowStorePut);

void BM_WindowStoreFetchKeyRange(benchmark::State& state) {
  WindowStoreFixture f("brook-micro-window-fetch");
  std::string value(40, 'v');
  std::string_view v = value;
  // 4 hours of windows (every 5 minutes) for each product: retention keeps
  // the last 20 minutes of them.
  for (int64_t start = 0; start < 4 * 3600000; start += 300000) {
    for (int p = 0; p < 27; ++p)
      f.view->put(product(p), &v, 1669907853000 / 300000 * 300000 + start);
  }
  int64_t latest = 1669907853000 / 300000 * 300000 + 4 * 3600000 - 300000;
  int64_t i = 0;
  for (auto _ : state) {
    int n = 0;
    f.view->fetch(product(i++), latest - 600000, latest,
                  [&](std::string_view, int64_t, std::string_view) {
                    ++n;
                    return true;
                  });
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_WindowStoreFetchKeyRange);

// A stream record's lookup in a table (a stream-table join): the table's
// RocksDB store, 100,000 keys, values with their timestamps, decoded.
void BM_StreamTableLookup(benchmark::State& state) {
  auto dir =
      std::filesystem::temp_directory_path() / ("brook-micro-lookup-" + std::to_string(::getpid()));
  brook::state::RocksDbResources resources;
  {
    brook::state::RocksDbStore store("t", dir.string(), resources);
    brook::demo::SalesModel model(3, 1669907853000000);
    std::string json = brook::demo::SalesModel::product_json(brook::demo::products()[0], 0), bytes;
    for (int i = 0; i < 100000; ++i) {
      brook::operators::TimestampedValue::encode(i, json, bytes);
      store.put("product-" + std::to_string(i), bytes);
    }
    int64_t i = 0;
    brook::demo::ProductRecord product;
    for (auto _ : state) {
      bool found = store.get("product-" + std::to_string(i++ % 100000), &bytes);
      int64_t ts;
      std::string_view v;
      found = found && brook::operators::TimestampedValue::decode(bytes, &ts, &v) &&
              brook::Serde<brook::demo::ProductRecord>::deserialize(v.data(), v.size(), product);
      benchmark::DoNotOptimize(found);
    }
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StreamTableLookup);

}  // namespace

BENCHMARK_MAIN();
