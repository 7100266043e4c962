// Internal: a family of masks answering "does some member lie strictly inside s?".
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace minplus {

// Members are bucketed by popcount, then by lowest set bit: a query scans only smaller
// popcounts, and there only the buckets of the bits of s, so it stays fast with thousands of
// members (a member equal to s never needs finding: the search asks each mask once). "Some
// member strictly contains s" is the same query on complements. A query adds a bound on the
// members it scans to `scanned`, so that callers can bound their work.
class SubsetIndex {
 public:
  void insert(uint64_t m) {
    const int pc = __builtin_popcountll(m);
    buckets_[pc][m ? __builtin_ctzll(m) : 0].push_back(m);
    ++count_[pc];
  }
  bool any_proper_subset_of(uint64_t s, uint64_t& scanned) const {
    const int top = __builtin_popcountll(s);
    if (top > 0 && count_[0]) return true;  // the empty set lies inside every other set
    for (int pc = 1; pc < top; ++pc) {
      if (!count_[pc]) continue;
      scanned += count_[pc];  // a bound on this popcount's members scanned, at no cost per bucket
      for (uint64_t b = s; b; b &= b - 1)
        for (uint64_t m : buckets_[pc][__builtin_ctzll(b)])
          if ((m & ~s) == 0) return true;
    }
    return false;
  }
  void clear() {
    for (int pc = 0; pc <= 64; ++pc) {
      if (!count_[pc]) continue;
      for (auto& b : buckets_[pc]) b.clear();
      count_[pc] = 0;
    }
  }

 private:
  std::vector<uint64_t> buckets_[65][64];
  size_t count_[65] = {};
};

}  // namespace minplus
