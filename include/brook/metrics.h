// Metrics: process-wide counters of a KafkaStreams instance (or a test driver),
// updated by stream threads with relaxed atomics and read at any time from any
// thread. Names follow Kafka Streams' metric names where one exists.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

namespace brook {

struct Metrics {
  std::atomic<int64_t> process_total{0};                // records processed by source nodes
  std::atomic<int64_t> deserialization_errors_total{0};  // records skipped or dead-lettered
  std::atomic<int64_t> dropped_records_total{0};        // e.g. null keys at aggregations
  std::atomic<int64_t> commit_total{0};
  std::atomic<int64_t> restore_records_total{0};
  std::atomic<int64_t> restore_remaining_records{0};    // being restored right now
  std::atomic<int64_t> produce_total{0};
  std::atomic<int64_t> rebalance_total{0};
  std::atomic<int64_t> aborted_transactions_total{0};
  std::atomic<int64_t> restore_time_ms_total{0};        // wall time spent restoring
  // The capacity of the cache that every RocksDB store of the process shares
  // (rocksdb.memory.budget.bytes, as RocksDB has it).
  std::atomic<int64_t> rocksdb_block_cache_capacity_bytes{0};

  std::map<std::string, int64_t> snapshot() const {
    return {{"process-total", process_total.load()},
            {"deserialization-errors-total", deserialization_errors_total.load()},
            {"dropped-records-total", dropped_records_total.load()},
            {"commit-total", commit_total.load()},
            {"restore-records-total", restore_records_total.load()},
            {"restore-remaining-records", restore_remaining_records.load()},
            {"produce-total", produce_total.load()},
            {"rebalance-total", rebalance_total.load()},
            {"aborted-transactions-total", aborted_transactions_total.load()},
            {"restore-time-ms-total", restore_time_ms_total.load()},
            {"rocksdb-block-cache-capacity-bytes", rocksdb_block_cache_capacity_bytes.load()}};
  }
};

}  // namespace brook
