// Subsets of n <= 64 regions as uint64 bitmasks: fixed-popcount enumeration (Gosper's hack),
// rank/unrank in colex order (combinatorial number system) and chunked level fills.
// Colex order of the k-subsets is increasing integer order of their bitmasks.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace minplus {

constexpr int kMaxRegions = 64;

// C(n, k) for any n, k >= 0; throws std::overflow_error when the value exceeds uint64.
inline uint64_t binomial(int n, int k) {
  if (n < 0 || k < 0) throw std::invalid_argument("binomial: n and k must be >= 0");
  if (k > n) return 0;
  if (k > n - k) k = n - k;
  uint64_t r = 1;
  for (int i = 1; i <= k; ++i) {
    // r * (n - k + i) / i stays exact because r * (n-k+i) is divisible by i at every step.
    unsigned __int128 t = static_cast<unsigned __int128>(r) * static_cast<uint64_t>(n - k + i);
    t /= static_cast<uint64_t>(i);
    if (t > UINT64_MAX)
      throw std::overflow_error("binomial(" + std::to_string(n) + ", " + std::to_string(k) +
                                ") does not fit in 64 bits");
    r = static_cast<uint64_t>(t);
  }
  return r;
}

// Table of C(i, j) for 0 <= i, j <= 64; every entry fits in uint64 (the largest is C(64, 32)).
struct BinomialTable {
  uint64_t c[kMaxRegions + 1][kMaxRegions + 1];
  BinomialTable() {
    for (int i = 0; i <= kMaxRegions; ++i)
      for (int j = 0; j <= kMaxRegions; ++j) c[i][j] = (j > i) ? 0 : binomial(i, j);
  }
};

inline const BinomialTable& binomials() {
  static const BinomialTable table;
  return table;
}

// The next larger mask with the same popcount (Gosper's hack, division-free). x must be non-zero
// and must not be the last mask of its level within 64 bits.
inline uint64_t next_same_popcount(uint64_t x) {
  const uint64_t t = x | (x - 1);
  return (t + 1) | (((~t & (t + 1)) - 1) >> (__builtin_ctzll(x) + 1));
}

// Position of mask in the colex order of its level: sum over set bits c_1 < ... < c_k of C(c_i, i).
inline uint64_t colex_rank(uint64_t mask) {
  const auto& B = binomials();
  uint64_t r = 0;
  int i = 1;
  while (mask) {
    const int c = __builtin_ctzll(mask);
    r += B.c[c][i++];
    mask &= mask - 1;
  }
  return r;
}

// The mask of popcount k in [0, n) at colex position rank (rank < C(n, k)).
inline uint64_t colex_unrank(int n, int k, uint64_t rank) {
  const auto& B = binomials();
  uint64_t mask = 0;
  int c = n;
  for (int i = k; i >= 1; --i) {
    // largest c with C(c, i) <= rank
    --c;
    while (B.c[c][i] > rank) --c;
    mask |= uint64_t{1} << c;
    rank -= B.c[c][i];
  }
  return mask;
}

// Writes masks [start, start + count) of level (n, k) in colex order into out.
// Runs four independent Gosper chains side by side for instruction-level parallelism.
inline void fill_level(int n, int k, uint64_t start, uint64_t count, uint64_t* out) {
  if (count == 0) return;
  if (k == 0) { out[0] = 0; return; }
  constexpr uint64_t kLanes = 4;
  if (count < 64) {
    uint64_t x = colex_unrank(n, k, start);
    out[0] = x;
    for (uint64_t i = 1; i < count; ++i) out[i] = x = next_same_popcount(x);
    return;
  }
  const uint64_t per = count / kLanes;
  uint64_t x[kLanes];
  for (uint64_t l = 0; l < kLanes; ++l) x[l] = colex_unrank(n, k, start + l * per);
  for (uint64_t i = 0; i < per; ++i) {
    for (uint64_t l = 0; l < kLanes; ++l) out[l * per + i] = x[l];
    if (i + 1 < per)
      for (uint64_t l = 0; l < kLanes; ++l) x[l] = next_same_popcount(x[l]);
  }
  const uint64_t done = per * kLanes;
  if (done < count) {
    uint64_t y = colex_unrank(n, k, start + done);
    out[done] = y;
    for (uint64_t i = done + 1; i < count; ++i) out[i] = y = next_same_popcount(y);
  }
}

}  // namespace minplus
