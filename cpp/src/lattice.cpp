// LatticeSearch: options checked, the strategy chosen, and the four calls, each bounded by
// kWorkPerCall; tell lives here, in one place, for every strategy.
#include "minplus/lattice.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <string>

#include "minplus/subsets.hpp"
#include "search_state.hpp"

namespace minplus {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t full_mask(int n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

uint64_t saturating_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Candidate sets of sizes first..last for each goal searched (Min- starts at 1).
uint64_t candidate_sets(const LatticeOptions& o, int last) {
  uint64_t total = 0;
  for (int g = 0; g < 2; ++g) {
    if (!(static_cast<int>(o.goal) & (1 << g))) continue;
    for (int k = g == 0 ? 0 : 1; k <= last; ++k) total = saturating_add(total, binomial(o.n, k));
  }
  return total;
}

void check_options(const LatticeOptions& o) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  require(o.n >= 1 && o.n <= kMaxRegions, "n must be in [1, 64], got " + std::to_string(o.n));
  const int goal = static_cast<int>(o.goal), mode = static_cast<int>(o.mode);
  require(goal >= 1 && goal <= 3, "goal must be min_plus, min_minus or both");
  require(mode >= 0 && mode <= 3, "mode must be exact, minimal, monotone or greedy");
  require(o.max_size >= -1, "max_size must be >= 0, or -1 for n");
  require(o.prior.empty() || o.prior.size() == static_cast<size_t>(o.n),
          "prior must hold n scores");
  require(o.beam >= 0 && o.beam <= kMaxBeam,
          "beam must be in [0, " + std::to_string(kMaxBeam) + "], got " + std::to_string(o.beam));
  require(o.audit >= 0, "audit must be >= 0");
}

}  // namespace

Feasibility feasibility(const LatticeOptions& o) {
  Feasibility f;
  // Minimal prunes supersets of solutions, monotone without audits every inferred candidate:
  // neither asks anything for what it prunes. Minimal with first_only ends at its first
  // solution, before it prunes anything; audits ask one pruned candidate in every `audit`.
  const bool unpaced = (o.mode == SearchMode::minimal && !o.first_only) ||
                       (o.mode == SearchMode::monotone && o.audit == 0);
  if (!unpaced) return f;
  const int last = o.max_size < 0 ? o.n : std::min(o.max_size, o.n);
  f.unpaced_sets = candidate_sets(o, last);
  for (int m = last; m >= 0; --m) {
    const uint64_t sets = candidate_sets(o, m);
    if (sets <= kMaxUnpacedSets) {
      f.largest_max_size = m;
      f.sets_at_largest = sets;
      break;
    }
  }
  f.feasible = f.unpaced_sets <= kMaxUnpacedSets || o.budget != 0;
  return f;
}

SearchState::SearchState(const LatticeOptions& o) : opt(o), n(o.n), full(full_mask(o.n)) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (!opt.prior.empty()) {
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return opt.prior[a] > opt.prior[b]; });
    identity = false;
    for (int byte = 0; byte < 8; ++byte)
      for (int v = 0; v < 256; ++v)
        for (int bit = 0; bit < 8; ++bit)
          if ((v >> bit) & 1 && byte * 8 + bit < n)
            table[byte][v] |= uint64_t{1} << order[byte * 8 + bit];
  }
  deletion_order.assign(order.rbegin(), order.rend());
  st.queries_per_level.assign(n + 1, 0);
  st.effective_mode = opt.mode;
  // The unmasked image defines the decision: it preserves by definition and is never asked.
  cache.set(full, MaskState::preserved);
}

LatticeSearch::LatticeSearch(const LatticeOptions& options) : opt_(options) {
  check_options(opt_);
  const Feasibility f = feasibility(opt_);
  if (!f.feasible)
    throw InfeasibleSearch("the search may have to decide " + std::to_string(f.unpaced_sets) +
                           " candidate sets by pruning alone, more than " +
                           std::to_string(kMaxUnpacedSets) + ": set max_size <= " +
                           std::to_string(f.largest_max_size) + " or a budget");
  state_ = std::make_unique<SearchState>(opt_);
  strategy_ = opt_.mode == SearchMode::greedy ? make_greedy_search(*state_)
                                              : make_level_search(*state_);
}

LatticeSearch::~LatticeSearch() = default;

uint64_t LatticeSearch::queries() const { return state_->st.queries; }

uint64_t LatticeSearch::work() const { return state_->work.total; }

size_t LatticeSearch::ask(size_t max_batch, std::vector<uint64_t>& out) {
  const auto t0 = Clock::now();
  SearchState& s = *state_;
  const size_t before = out.size();
  uint64_t room = std::min<uint64_t>(max_batch, kMaxAsk);
  if (opt_.budget) room = std::min(room, opt_.budget - std::min(opt_.budget, s.st.queries));
  s.work.start();
  strategy_->step(before + room, out);
  const size_t asked = out.size() - before;
  if (asked) ++s.st.batches;
  s.st.engine_seconds += seconds_since(t0);
  return asked;
}

void LatticeSearch::tell(const uint64_t* masks, const uint8_t* preserved, size_t count) {
  const auto t0 = Clock::now();
  SearchState& s = *state_;
  // Check every mask before changing any: each is claimed as it passes, so a duplicate meets its
  // own claim, and a failure puts the claimed ones back to pending. No insertion happens in
  // between, so the state pointers stay valid.
  std::vector<uint8_t*>& slots = s.told;
  slots.resize(count);
  for (size_t i = 0; i < count; ++i) {
    uint8_t* slot = s.cache.find(masks[i]);
    if (!slot || *slot != static_cast<uint8_t>(MaskState::pending)) {
      const bool twice = slot && *slot == MaskCache::kClaimed;
      for (size_t j = 0; j < i; ++j) *slots[j] = static_cast<uint8_t>(MaskState::pending);
      throw std::invalid_argument("tell: mask " + std::to_string(masks[i]) +
                                  (twice ? " appears twice in one tell"
                                         : " was not asked, or was told already") +
                                  "; nothing of this tell was recorded");
    }
    *slot = MaskCache::kClaimed;
    slots[i] = slot;
  }
  for (size_t i = 0; i < count; ++i)
    *slots[i] = static_cast<uint8_t>(preserved[i] ? MaskState::preserved : MaskState::broken);
  s.pending -= count;
  if (opt_.mode == SearchMode::monotone)  // the only strategy that learns from decisions
    for (size_t i = 0; i < count; ++i)
      strategy_->observe(masks[i], preserved[i] ? MaskState::preserved : MaskState::broken);
  s.st.engine_seconds += seconds_since(t0);
}

void LatticeSearch::settle() {
  std::vector<uint64_t> none;
  state_->work.start();
  strategy_->step(0, none);
}

bool LatticeSearch::done() {
  if (strategy_->finished(0) && strategy_->finished(1)) return true;
  const auto t0 = Clock::now();
  settle();
  state_->st.engine_seconds += seconds_since(t0);
  if (strategy_->finished(0) && strategy_->finished(1)) return true;
  return opt_.budget && state_->st.queries >= opt_.budget && state_->pending == 0;
}

LatticeResult LatticeSearch::result() {
  const auto t0 = Clock::now();
  SearchState& s = *state_;
  settle();  // what the cache already decides, without asking, within one call's work
  LatticeResult r = s.st;
  strategy_->report(0, r.plus);
  strategy_->report(1, r.minus);
  const bool finished = strategy_->finished(0) && strategy_->finished(1);
  r.budget_exhausted = !finished && opt_.budget && s.st.queries >= opt_.budget;
  r.effective_mode = strategy_->effective_mode();
  r.empty_kept_state = s.cache.get(0);
  r.work = s.work.total;
  s.st.engine_seconds += seconds_since(t0);
  r.engine_seconds = s.st.engine_seconds;
  return r;
}

}  // namespace minplus
