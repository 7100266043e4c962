// Internal: how level search decides a candidate without asking. One policy per mode (exact,
// minimal, monotone), each a small struct behind the one walk in level_search.cpp:
//   visit(state, goal, L, target, limit, out, scanned) -> what became of the candidate;
//   solved(L, target): a solution was confirmed; past_solutions: search the levels above one.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "search_state.hpp"
#include "subset_index.hpp"

namespace minplus {

// One goal searched level by level over the size of its target sets.
struct LevelGoal {
  bool active = false, finished = false, max_size_reached = false;
  int k = 0, first_level = 0, last_level = 0, proven_below = 0;
  uint64_t count = 0, cursor = 0, position = 0;  // rank and positions-mask of the next candidate
  uint64_t inferred = 0;                         // candidates of this level decided by inference
  std::deque<uint64_t> waiting;                  // candidates asked or known, in enumeration order
  std::vector<uint64_t> solutions;
  SubsetIndex solved;                            // minimal mode: prunes supersets of solutions
};

// What became of a candidate: it waits for its decision (asked, pending or known), it was
// decided by pruning, or the batch is full and the walk must stop before it.
enum class Visit { waiting, pruned, stop };

// Exact: every candidate is asked unless the cache knows it. One probe: asked if absent, else
// decided or pending already.
struct ExactPruning {
  static constexpr bool past_solutions = false;
  static Visit ask_unless_known(SearchState& s, uint64_t kept, size_t limit,
                                std::vector<uint64_t>& out) {
    if (out.size() >= limit) return s.cache.get(kept) == MaskState::unknown ? Visit::stop
                                                                            : Visit::waiting;
    if (s.cache.insert_pending(kept)) s.counted(kept, out);
    return Visit::waiting;
  }
  Visit visit(SearchState& s, int g, LevelGoal&, uint64_t target, size_t limit,
              std::vector<uint64_t>& out, uint64_t&) {
    return ask_unless_known(s, s.kept_of(g, target), limit, out);
  }
  void solved(LevelGoal&, uint64_t) {}
};

// Minimal: a strict superset of a solution is not subset-minimal, so it is never asked; the
// search goes on past levels with solutions.
struct MinimalPruning {
  static constexpr bool past_solutions = true;
  Visit visit(SearchState& s, int g, LevelGoal& L, uint64_t target, size_t limit,
              std::vector<uint64_t>& out, uint64_t& scanned) {
    if (L.solved.any_proper_subset_of(target, scanned)) return Visit::pruned;
    return ExactPruning::ask_unless_known(s, s.kept_of(g, target), limit, out);
  }
  void solved(LevelGoal& L, uint64_t target) { L.solved.insert(target); }
};

// Monotone: keeping more regions never breaks a preserved decision, so a kept-mask is preserved
// if a preserving subset was seen and broken if a breaking superset was. Candidates inferred not
// to solve are pruned, but the first and every audit-th of a level are asked anyway (audits);
// solutions are always confirmed by a query. observe() learns from every decision told and says
// when one contradicts the assumption.
struct MonotonePruning {
  static constexpr bool past_solutions = false;
  // Observed preserving kept-masks (their supersets preserve), and observed breaking removed
  // sets (their supersets break).
  SubsetIndex kept_preserved, removed_broken;
  int audit = 0;

  MaskState infer(const SearchState& s, uint64_t kept, uint64_t& scanned) const {
    if (kept_preserved.any_proper_subset_of(kept, scanned)) return MaskState::preserved;
    if (removed_broken.any_proper_subset_of(s.full ^ kept, scanned)) return MaskState::broken;
    return MaskState::unknown;
  }

  Visit visit(SearchState& s, int g, LevelGoal& L, uint64_t target, size_t limit,
              std::vector<uint64_t>& out, uint64_t& scanned) {
    const uint64_t kept = s.kept_of(g, target);
    if (s.cache.get(kept) != MaskState::unknown) return Visit::waiting;
    const MaskState inferred_state = infer(s, kept, scanned);
    const bool inferred = inferred_state != MaskState::unknown && !s.solves(g, inferred_state);
    const bool audited = inferred && audit > 0 && L.inferred % audit == 0;
    if (inferred && !audited) {
      ++L.inferred;
      return Visit::pruned;
    }
    if (out.size() >= limit) return Visit::stop;  // before counting: this candidate comes again
    s.query(kept, out);
    s.st.audits += audited;
    L.inferred += inferred;
    return Visit::waiting;
  }
  void solved(LevelGoal&, uint64_t) {}

  // Records a decision; returns true if it contradicts monotonicity with one seen before.
  bool observe(const SearchState& s, uint64_t kept, MaskState state) {
    uint64_t scanned = 0;  // tell's work is its batch's, bounded by the asks that made it
    const bool preserved = state == MaskState::preserved;
    const uint64_t removed = s.full ^ kept;
    const bool violated = preserved ? removed_broken.any_proper_subset_of(removed, scanned)
                                    : kept_preserved.any_proper_subset_of(kept, scanned);
    if (preserved && !kept_preserved.any_proper_subset_of(kept, scanned))
      kept_preserved.insert(kept);
    if (!preserved && !removed_broken.any_proper_subset_of(removed, scanned))
      removed_broken.insert(removed);
    return violated;
  }
};

}  // namespace minplus
