// LatticeSearch: the ask/tell Min+/Min- engine over kept-masks of n <= 64 regions.
//
// A deterministic state machine that never calls the model: ask() hands out kept-masks it has not
// evaluated, tell() takes back whether each preserved the decision of the unmasked image. Min+
// looks for the smallest kept sets K that preserve; Min- for the smallest removed sets R whose
// kept-mask full ^ R does not. Both goals read and write one cache of kept-masks.
//
// Every call does bounded work (kWorkPerCall): a walk longer than that yields, so ask() may
// return an empty batch while the search goes on, and the caller asks again. A search whose
// unpaced worst case exceeds kMaxUnpacedSets is refused unless a budget bounds it (feasibility).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace minplus {

enum class Goal : int { min_plus = 1, min_minus = 2, both = 3 };
enum class SearchMode : int { exact = 0, minimal = 1, monotone = 2, greedy = 3 };
// What the search knows of a kept-mask.
enum class MaskState : uint8_t { unknown = 0, pending = 1, broken = 2, preserved = 3 };

// Work units one ask, tell, done or result call may spend walking: a candidate set visited, a
// decided candidate settled, or 16 members scanned in a subset index count one each. About
// 10-50 ms of engine time, so a caller sees Ctrl-C between calls.
constexpr uint64_t kWorkPerCall = uint64_t{1} << 20;
// The most candidate sets a search may have to decide by pruning alone, with no query pacing the
// walk (minimal mode, monotone mode without audits); beyond it the search is refused unless a
// budget makes it anytime. 2^30 sets are minutes of engine time.
constexpr uint64_t kMaxUnpacedSets = uint64_t{1} << 30;
// The most kept-masks one ask hands out, whatever max_batch says: far more than a model batch,
// few enough that the cache work of telling them stays within a call's bound.
constexpr uint64_t kMaxAsk = uint64_t{1} << 16;
// Greedy beam width: one level's children (beam x n) are generated within one call's work.
constexpr int kMaxBeam = 1 << 12;

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

// How much a search may have to walk without asking, and whether the engine accepts it.
struct Feasibility {
  // Candidate sets the mode may have to decide by pruning alone, over the goals searched and the
  // levels up to max_size (saturating at UINT64_MAX); 0 where every set walked is paced by a
  // query: exact, greedy, first_only, and monotone with audits.
  uint64_t unpaced_sets = 0;
  bool feasible = true;         // unpaced_sets <= kMaxUnpacedSets, or a budget is set
  int largest_max_size = -1;    // the largest max_size that fits the limit (-1: none does)
  uint64_t sets_at_largest = 0; // unpaced_sets with that max_size
};

Feasibility feasibility(const LatticeOptions& options);

// Thrown by the LatticeSearch constructor for a search feasibility() refuses.
class InfeasibleSearch : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
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
  SearchMode effective_mode = SearchMode::exact;  // the pruning in force: exact after a fallback
  bool budget_exhausted = false;
  MaskState empty_kept_state = MaskState::unknown;  // of the fully masked image
  uint64_t work = 0;                        // work units spent so far (see kWorkPerCall)
  double engine_seconds = 0.0;
};

class Strategy;
struct SearchState;

class LatticeSearch {
 public:
  static constexpr size_t kViolationsKept = 1024;
  // Throws std::invalid_argument for bad options, InfeasibleSearch for a refused search.
  explicit LatticeSearch(const LatticeOptions& options);
  ~LatticeSearch();
  LatticeSearch(const LatticeSearch&) = delete;
  LatticeSearch& operator=(const LatticeSearch&) = delete;

  // Appends up to max_batch kept-masks never asked before to out; returns how many. Fewer, even
  // none, while the search goes on when the call's work ran out first: ask again.
  size_t ask(size_t max_batch, std::vector<uint64_t>& out);
  // Records the decisions for masks previously asked. All or nothing: throws
  // std::invalid_argument, changing nothing, if any mask is not pending or appears twice.
  void tell(const uint64_t* masks, const uint8_t* preserved, size_t count);
  // Settles what the cache already decides (bounded, no queries), then says whether the search
  // ended; false while a settle longer than one call's work is under way.
  bool done();
  LatticeResult result();
  const LatticeOptions& options() const { return opt_; }
  uint64_t queries() const;
  uint64_t work() const;  // work units spent so far: an empty ask that spent none is stuck

 private:
  void settle();
  LatticeOptions opt_;
  std::unique_ptr<SearchState> state_;
  std::unique_ptr<Strategy> strategy_;
};

}  // namespace minplus
