// LatticeSearch: the ask/tell Min+/Min- engine over kept-masks of n <= 64 regions.
//
// A deterministic state machine that never calls the model: ask() hands out kept-masks it has not
// evaluated, tell() takes back whether each preserved the decision of the unmasked image. Min+
// looks for the smallest kept sets K that preserve; Min- for the smallest removed sets R whose
// kept-mask full ^ R does not. Both goals read and write one cache of kept-masks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace minplus {

enum class Goal : int { min_plus = 1, min_minus = 2, both = 3 };
enum class SearchMode : int { exact = 0, minimal = 1, monotone = 2, greedy = 3 };

struct LatticeOptions {
  int n = 0;
  Goal goal = Goal::both;
  SearchMode mode = SearchMode::exact;
  int max_size = -1;          // largest solution size searched; -1 means n
  uint64_t budget = 0;        // most queries; 0 means unlimited
  bool first_only = false;    // stop each goal at its first solution
  std::vector<double> prior;  // empty, or one score per region: higher = likelier to matter
  int beam = 0;               // greedy only: 0 = deletion, b >= 1 = beam of width b
  // monotone only: of the candidates a level prunes by inference, the first and every audit-th
  // are asked anyway, so that violations of the assumption show up; 0 = never
  int audit = 16;
};

// Evaluated kept-masks. Open addressing with linear probing and Fibonacci hashing; key and state
// share one 16-byte slot, so a lookup usually touches one cache line, which std::unordered_map
// cannot match.
class MaskCache {
 public:
  enum State : uint8_t { empty = 0, pending = 1, broken = 2, preserved = 3 };
  MaskCache();
  State get(uint64_t key) const {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].state == empty) return empty;
      if (slots_[i].key == key) return static_cast<State>(slots_[i].state);
    }
  }
  void set(uint64_t key, State s);  // s != empty
  // Sets key to pending and returns true if it was absent; returns false (and changes nothing)
  // if it is present. One probe for the search's commonest step.
  bool insert_pending(uint64_t key);
  // The state byte of key, or nullptr if absent; valid until the next insertion.
  uint8_t* find(uint64_t key) {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].state == empty) return nullptr;
      if (slots_[i].key == key) return &slots_[i].state;
    }
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key;
    uint8_t state;
  };
  size_t slot(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow();
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
  int shift_ = 0;
};

// A family of masks answering "does some member lie strictly inside s?". Members are bucketed by
// popcount, then by lowest set bit: a query scans only smaller popcounts, and there only the
// buckets of the bits of s, so it stays fast with thousands of members (a member equal to s never
// needs finding: the search asks each mask once). "Some member strictly contains s" is the same
// query on complements.
class SubsetIndex {
 public:
  void insert(uint64_t m) {
    const int pc = __builtin_popcountll(m);
    buckets_[pc][m ? __builtin_ctzll(m) : 0].push_back(m);
    ++count_[pc];
  }
  bool any_proper_subset_of(uint64_t s) const {
    const int top = __builtin_popcountll(s);
    if (top > 0 && count_[0]) return true;  // the empty set lies inside every other set
    for (int pc = 1; pc < top; ++pc) {
      if (!count_[pc]) continue;
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

struct GoalReport {
  bool searched = false;
  std::vector<uint64_t> solutions;  // Min+: kept sets; Min-: removed sets; in the order found
  int proven_below = 0;   // every set of size < proven_below was decided (exact: none solves)
  bool finished = false;  // the search for this goal ran to its end (not cut by the budget)
  bool max_size_reached = false;  // stopped because the next level exceeds max_size
};

struct LatticeResult {
  GoalReport plus, minus;
  uint64_t queries = 0, batches = 0, pruned = 0, audits = 0;
  std::vector<uint64_t> queries_per_level;  // by popcount of the queried kept-mask, 0..n
  uint64_t violations = 0;                  // monotone: observations contradicting monotonicity
  std::vector<uint64_t> violating_masks;    // the first kViolationsKept of them
  bool fell_back = false;                   // monotone mode switched to exact after a violation
  bool budget_exhausted = false;
  int empty_kept_state = 0;                 // MaskCache::State of the fully masked image
  double engine_seconds = 0.0;
};

class LatticeSearch {
 public:
  static constexpr size_t kViolationsKept = 1024;
  explicit LatticeSearch(const LatticeOptions& options);
  ~LatticeSearch();
  LatticeSearch(const LatticeSearch&) = delete;
  LatticeSearch& operator=(const LatticeSearch&) = delete;

  // Appends up to max_batch kept-masks never asked before to out; returns how many.
  size_t ask(size_t max_batch, std::vector<uint64_t>& out);
  // Records the decisions for masks previously asked; throws std::invalid_argument otherwise.
  void tell(const uint64_t* masks, const uint8_t* preserved, size_t count);
  // Settles what the cache already decides (no queries), then says whether the search ended.
  bool done();
  LatticeResult result();
  const LatticeOptions& options() const { return opt_; }
  uint64_t queries() const { return stats_.queries; }

  struct Impl;

 private:
  LatticeOptions opt_;
  LatticeResult stats_;
  std::unique_ptr<Impl> impl_;
};

// Runs a search to its end against a planted monotone decision evaluated in C++ (preserved iff
// the kept-mask contains one of the planted sets), asking max_batch masks at a time. Used to time
// the engine alone; returns the result with engine_seconds covering the whole loop.
LatticeResult run_planted(const LatticeOptions& options, const std::vector<uint64_t>& planted,
                          size_t max_batch);

}  // namespace minplus
