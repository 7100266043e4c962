// Internal: what every search strategy shares (options, cache, counters, region order, the
// call's work), and the interface LatticeSearch drives a strategy through.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "mask_cache.hpp"
#include "minplus/lattice.hpp"

namespace minplus {

// The work one public call may still spend; walks yield when it runs out.
struct Work {
  uint64_t left = 0, total = 0;
  void start() { left = kWorkPerCall; }
  bool spent() const { return left == 0; }
  void charge(uint64_t units) {
    units = std::min(units, left);
    left -= units;
    total += units;
  }
};

struct SearchState {
  explicit SearchState(const LatticeOptions& options);

  const LatticeOptions& opt;  // LatticeSearch's copy, which outlives this
  LatticeResult st;           // the counters, filled as the search goes
  int n;
  uint64_t full;
  MaskCache cache;
  uint64_t pending = 0;  // asked, not yet told
  Work work;
  // Level enumeration walks positions 0..n-1; region_of maps positions to regions, most likely to
  // matter first, through one 256-entry table per byte of the positions-mask.
  bool identity = true;
  uint64_t table[8][256] = {};
  std::vector<int> deletion_order;  // greedy: regions least likely to matter first
  std::vector<uint8_t*> told;       // tell's scratch: the cache slots of one batch

  bool wants(int g) const { return static_cast<int>(opt.goal) & (1 << g); }

  uint64_t region_of(uint64_t positions) const {
    if (identity) return positions;
    uint64_t m = 0;
    for (int byte = 0; positions; ++byte, positions >>= 8) m |= table[byte][positions & 0xff];
    return m;
  }

  // Goal 0 is Min+ (targets are kept sets), goal 1 is Min- (targets are removed sets).
  uint64_t kept_of(int g, uint64_t target) const { return g == 0 ? target : full ^ target; }

  static bool solves(int g, MaskState s) {
    return g == 0 ? s == MaskState::preserved : s == MaskState::broken;
  }

  void query(uint64_t kept, std::vector<uint64_t>& out) {
    cache.set(kept, MaskState::pending);
    counted(kept, out);
  }

  void counted(uint64_t kept, std::vector<uint64_t>& out) {
    out.push_back(kept);
    ++pending;
    ++st.queries;
    ++st.queries_per_level[__builtin_popcountll(kept)];
  }
};

// One way of searching (level by level, or greedy): LatticeSearch owns one and calls it.
class Strategy {
 public:
  virtual ~Strategy() = default;
  // Walks while the call's work lasts, appending kept-masks to out while out.size() < limit
  // (limit == out.size(): settle what the cache decides, asking nothing).
  virtual void step(size_t limit, std::vector<uint64_t>& out) = 0;
  virtual bool finished(int g) const = 0;
  // A decision just told; monotone search learns from it.
  virtual void observe(uint64_t kept, MaskState s) = 0;
  virtual void report(int g, GoalReport& out) const = 0;
  virtual SearchMode effective_mode() const = 0;
};

std::unique_ptr<Strategy> make_level_search(SearchState& state);
std::unique_ptr<Strategy> make_greedy_search(SearchState& state);

}  // namespace minplus
