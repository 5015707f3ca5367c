#include "state/segmented_store.h"

#include <climits>
#include <string>

namespace brook::state {

std::string SegmentedStore::interval_key() {
  return TimeSegments::prefix(INT64_MAX) + "segment-interval-ms";
}

SegmentedStore::SegmentedStore(std::unique_ptr<KeyValueBytesStore> inner, TimeOf time_of,
                               TimeSegments segments, int64_t retention_ms)
    : WrappedStore(std::move(inner)),
      time_of_(time_of),
      segments_(segments),
      retention_ms_(retention_ms) {
  std::string recorded;
  if (inner_->get(interval_key(), &recorded) && recorded != std::to_string(segments_.interval_ms)) {
    throw StateStoreError("store '" + name() + "' was written with time segments of " + recorded +
                          " ms, and is now asked to use " + std::to_string(segments_.interval_ms) +
                          " ms (its retention changed): give the store a new name, or reset the "
                          "application's state, to rebuild it");
  }
  if (recorded.empty()) record_interval();
}

void SegmentedStore::record_interval() {
  inner_->put(interval_key(), std::to_string(segments_.interval_ms));
}

bool SegmentedStore::live(std::string_view key) const {
  return key.size() >= TimeSegments::kPrefixSize && TimeSegments::read_time(key) >= min_live_;
}

void SegmentedStore::observe(int64_t time) {
  if (time <= observed_) return;
  observed_ = time;
  int64_t min_live = segments_.id(observed_ - retention_ms_);
  if (min_live <= min_live_) return;
  min_live_ = min_live;
  inner_->remove_range(KeyRange{std::nullopt, TimeSegments::prefix(min_live_)});
}

bool SegmentedStore::get(std::string_view key, std::string* value) {
  return live(key) && inner_->get(key, value);
}

void SegmentedStore::put(std::string_view key, std::string_view value) {
  int64_t time = time_of_(key);
  if (time == INT64_MIN) throw StateStoreError("store '" + name() + "': a key without a time");
  observe(time);
  if (!live(key)) {
    ++expired_;
    return;
  }
  inner_->put(key, value);
}

void SegmentedStore::scan(const KeyRange& range, const EntryFn& fn) {
  static const std::string last = TimeSegments::prefix(INT64_MAX);
  inner_->scan(range, [&](std::string_view k, std::string_view v) {
    if (k.substr(0, TimeSegments::kPrefixSize) == last) return false;  // the interval record
    return !live(k) || fn(k, v);
  });
}

void SegmentedStore::restore(std::string_view key, const std::string_view* value) {
  int64_t time = time_of_(key);
  if (time == INT64_MIN) return;  // not a key of this store's layout
  observe(time);
  key_buf_.assign(key);
  std::string segment = TimeSegments::prefix(segments_.id(time));
  key_buf_.replace(0, TimeSegments::kPrefixSize, segment);
  if (!live(key_buf_)) return;
  inner_->restore(key_buf_, value);
}

void SegmentedStore::wipe() {
  inner_->wipe();
  observed_ = -1;
  min_live_ = INT64_MIN;
  record_interval();
}

}  // namespace brook::state
