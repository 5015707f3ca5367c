// MurmurHash3 x64 128-bit (Austin Appleby's public-domain algorithm, seed 0):
// the hash a foreign-key join sends with each subscription, so that a response
// computed for a value the table no longer holds can be recognized and dropped
// (Kafka Streams hashes with the same function). Stable across processes and
// versions: it travels through Kafka topics.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace brook::operators {

using Hash128 = std::array<uint64_t, 2>;

inline Hash128 murmur3_128(std::string_view data) {
  auto rotl = [](uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  auto fmix = [](uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
  };
  constexpr uint64_t c1 = 0x87c37b91114253d5ULL;
  constexpr uint64_t c2 = 0x4cf5ad432745937fULL;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const size_t len = data.size();
  const size_t blocks = len / 16;
  uint64_t h1 = 0, h2 = 0;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k1, k2;
    std::memcpy(&k1, bytes + i * 16, 8);  // little-endian machines (x86-64, arm64)
    std::memcpy(&k2, bytes + i * 16 + 8, 8);
    k1 *= c1;
    k1 = rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const unsigned char* tail = bytes + blocks * 16;
  uint64_t k1 = 0, k2 = 0;
  for (size_t i = len & 15; i > 8; --i) k2 ^= uint64_t{tail[i - 1]} << ((i - 9) * 8);
  if ((len & 15) > 8) {
    k2 *= c2;
    k2 = rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
  }
  for (size_t i = std::min<size_t>(len & 15, 8); i > 0; --i)
    k1 ^= uint64_t{tail[i - 1]} << ((i - 1) * 8);
  if (len & 15) {
    k1 *= c1;
    k1 = rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

}  // namespace brook::operators
