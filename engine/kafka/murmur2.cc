#include <cstring>

#include "engine/runtime/record_collector.h"

namespace brook {

uint32_t murmur2(const char* data, size_t size) {
  const uint32_t seed = 0x9747b28c;
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  uint32_t h = seed ^ static_cast<uint32_t>(size);
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  size_t n4 = size / 4;
  for (size_t i = 0; i < n4; ++i) {
    uint32_t k = static_cast<uint32_t>(p[i * 4]) | static_cast<uint32_t>(p[i * 4 + 1]) << 8 |
                 static_cast<uint32_t>(p[i * 4 + 2]) << 16 |
                 static_cast<uint32_t>(p[i * 4 + 3]) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const unsigned char* tail = p + n4 * 4;
  switch (size % 4) {
    case 3:
      h ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= tail[0];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

}  // namespace brook
