// Level search (exact, minimal, monotone): each goal walks its target sets level by level over
// their size, in colex order of positions mapped through the prior; the pruning policy in force
// (pruning.hpp) decides which candidates are asked.
#include <algorithm>
#include <type_traits>

#include "minplus/subsets.hpp"
#include "pruning.hpp"

namespace minplus {
namespace {

uint64_t first_of_level(int k) { return k >= 64 ? ~uint64_t{0} : (uint64_t{1} << k) - 1; }

class LevelSearch final : public Strategy {
 public:
  explicit LevelSearch(SearchState& s) : s_(s), effective_(s.opt.mode) {
    monotone_.audit = s.opt.audit;
    if (effective_ == SearchMode::monotone) monotone_.kept_preserved.insert(s.full);
    const int last = s.opt.max_size < 0 ? s.n : std::min(s.opt.max_size, s.n);
    for (int g = 0; g < 2; ++g) {
      LevelGoal& L = level_[g];
      L.active = s.wants(g);
      L.first_level = g == 0 ? 0 : 1;  // removing nothing never breaks the decision
      L.last_level = last;
      restart(L);
    }
  }

  void step(size_t limit, std::vector<uint64_t>& out) override {
    switch (effective_) {
      case SearchMode::minimal:
        return step_with(minimal_, limit, out);
      case SearchMode::monotone:
        return step_with(monotone_, limit, out);
      default:
        return step_with(exact_, limit, out);
    }
  }

  bool finished(int g) const override { return !level_[g].active || level_[g].finished; }

  void observe(uint64_t kept, MaskState state) override {
    if (s_.opt.mode != SearchMode::monotone) return;
    if (!monotone_.observe(s_, kept, state)) return;
    ++s_.st.violations;
    if (s_.st.violating_masks.size() < LatticeSearch::kViolationsKept)
      s_.st.violating_masks.push_back(kept);
    if (effective_ == SearchMode::monotone) {  // the assumption failed: search what it pruned
      effective_ = SearchMode::exact;
      s_.st.fell_back = true;
      for (auto& L : level_) restart(L);
    }
  }

  void report(int g, GoalReport& out) const override {
    const LevelGoal& L = level_[g];
    out.searched = L.active;
    out.solutions = L.solutions;
    out.proven_below = L.proven_below;
    out.finished = L.finished;
    out.max_size_reached = L.max_size_reached;
  }

  SearchMode effective_mode() const override { return effective_; }

 private:
  void start_level(LevelGoal& L, int k) {
    L.k = k;
    L.inferred = 0;
    L.count = binomial(s_.n, k);
    L.cursor = 0;
    L.position = first_of_level(k);
  }

  void restart(LevelGoal& L) {
    L.finished = L.max_size_reached = false;
    L.proven_below = 0;
    L.waiting.clear();
    L.solutions.clear();
    L.solved.clear();
    if (!L.active) return;
    if (L.first_level > L.last_level) {
      L.finished = L.max_size_reached = true;
      return;
    }
    start_level(L, L.first_level);
  }

  // Pops decided candidates off the front, in enumeration order, so solutions keep that order.
  template <class Pruning>
  void resolve(Pruning& pruning, int g) {
    LevelGoal& L = level_[g];
    const uint64_t budget = s_.work.left;
    uint64_t left = budget;
    while (!L.waiting.empty() && left) {
      const uint64_t t = L.waiting.front();
      const MaskState state = s_.cache.get(s_.kept_of(g, t));
      if (state == MaskState::pending) break;
      L.waiting.pop_front();
      --left;
      if (!s_.solves(g, state)) continue;
      L.solutions.push_back(t);
      pruning.solved(L, t);
      if (s_.opt.first_only) {
        L.finished = true;
        L.proven_below = L.k;
        L.waiting.clear();
        break;
      }
    }
    s_.work.charge(budget - left);
  }

  template <class Pruning>
  void finish_level(LevelGoal& L) {
    L.proven_below = L.k + 1;
    if (!L.solutions.empty() && !Pruning::past_solutions) {
      L.finished = true;
    } else if (L.k + 1 > L.last_level) {
      L.finished = true;
      L.max_size_reached = L.k < s_.n;
    } else {
      start_level(L, L.k + 1);
    }
  }

  // Visits candidates from the cursor while out.size() < limit and the call's work lasts;
  // false if it stopped before the level's end. Cursor, position and work are kept in locals,
  // which the pushes to out and waiting cannot alias: this loop is the engine's hot path.
  template <class Pruning>
  bool sweep(Pruning& pruning, int g, LevelGoal& L, size_t limit, std::vector<uint64_t>& out) {
    const uint64_t count = L.count, budget = s_.work.left;
    uint64_t cursor = L.cursor, position = L.position, left = budget, pruned = 0;
    bool ended = true;
    while (cursor < count) {
      if (!left) {  // yield: the cursor holds the next candidate
        ended = false;
        break;
      }
      uint64_t scanned = 0;
      const uint64_t t = s_.region_of(position);
      const Visit v = pruning.visit(s_, g, L, t, limit, out, scanned);
      left -= std::min(left, 1 + scanned / 16);
      if (v == Visit::stop) {
        ended = false;
        break;
      }
      if (v == Visit::pruned)
        ++pruned;
      else
        L.waiting.push_back(t);
      if (++cursor < count) position = next_same_popcount(position);
    }
    L.cursor = cursor;
    L.position = position;
    s_.st.pruned += pruned;
    s_.work.charge(budget - left);
    return ended;
  }

  // The one level walk: sweeps the current level, and moves to the next once every candidate of
  // this one is decided.
  template <class Pruning>
  void walk(Pruning& pruning, int g, size_t limit, std::vector<uint64_t>& out) {
    LevelGoal& L = level_[g];
    for (;;) {
      resolve(pruning, g);
      if (L.finished || !sweep(pruning, g, L, limit, out)) return;
      resolve(pruning, g);
      if (L.finished || !L.waiting.empty()) return;
      finish_level<Pruning>(L);
    }
  }

  template <class Pruning>
  void step_with(Pruning& pruning, size_t limit, std::vector<uint64_t>& out) {
    // The goal with less left on its current level goes first, so that it reaches the next
    // level, where the other goal's answers prune most, sooner.
    int order[2] = {0, 1};
    auto left = [&](int g) {
      return level_[g].count - level_[g].cursor + level_[g].waiting.size();
    };
    if (!finished(1) && (finished(0) || left(1) < left(0))) std::swap(order[0], order[1]);
    for (int g : order) {
      if (finished(g)) continue;
      const size_t before = out.size();
      walk(pruning, g, limit, out);
      // Monotone: one goal's level per batch, so the other goal's next candidates are filtered by
      // these answers (a smaller batch that saves queries, which cost far more than batches).
      if (std::is_same<Pruning, MonotonePruning>::value && out.size() > before) return;
    }
  }

  SearchState& s_;
  SearchMode effective_;
  ExactPruning exact_;
  MinimalPruning minimal_;
  MonotonePruning monotone_;
  LevelGoal level_[2];
};

}  // namespace

std::unique_ptr<Strategy> make_level_search(SearchState& state) {
  return std::make_unique<LevelSearch>(state);
}

}  // namespace minplus
