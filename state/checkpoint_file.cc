#include "state/checkpoint_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "state/key_value_bytes_store.h"

namespace brook::state {

static constexpr int kVersion = 1;

bool checkpoint_needed(const ChangelogOffsets& written, const ChangelogOffsets& now, bool enforce,
                       int64_t min_delta) {
  if (now.empty() || now == written) return false;
  if (enforce) return true;
  int64_t delta = 0;
  for (const auto& [tp, offset] : now) {
    auto it = written.find(tp);
    delta += offset - (it == written.end() ? 0 : it->second);
  }
  return delta >= min_delta;
}

ChangelogOffsets CheckpointFile::read(std::string* warning) const {
  ChangelogOffsets out;
  std::ifstream in(path_);
  if (!in) return out;
  int version = 0;
  size_t count = 0;
  if (!(in >> version >> count) || version != kVersion) {
    if (warning) *warning = "unreadable checkpoint " + path_ + ", restoring from scratch";
    return {};
  }
  for (size_t i = 0; i < count; ++i) {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    if (!(in >> topic >> partition >> offset)) {
      if (warning) *warning = "truncated checkpoint " + path_ + ", restoring from scratch";
      return {};
    }
    out[{topic, partition}] = offset;
  }
  return out;
}

void CheckpointFile::write(const ChangelogOffsets& offsets) const {
  std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << kVersion << "\n" << offsets.size() << "\n";
    for (const auto& [tp, offset] : offsets) {
      out << tp.topic << " " << tp.partition << " " << offset << "\n";
    }
    out.flush();
    if (!out) throw StateStoreError("cannot write checkpoint " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) throw StateStoreError("cannot rename checkpoint to " + path_ + ": " + ec.message());
}

void CheckpointFile::remove() const {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace brook::state
