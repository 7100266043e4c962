#include "minplus/lattice.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <string>

#include "minplus/subsets.hpp"

namespace minplus {

// ---------------------------------------------------------------------------------------------
// MaskCache

MaskCache::MaskCache() : slots_(1024, Slot{0, empty}), mask_(1023), size_(0), shift_(54) {}

void MaskCache::set(uint64_t key, State s) {
  size_t i = slot(key);
  for (; slots_[i].state != empty; i = (i + 1) & mask_) {
    if (slots_[i].key == key) {
      slots_[i].state = s;
      return;
    }
  }
  slots_[i] = Slot{key, s};
  if (2 * ++size_ > slots_.size()) grow();
}

bool MaskCache::insert_pending(uint64_t key) {
  size_t i = slot(key);
  for (; slots_[i].state != empty; i = (i + 1) & mask_)
    if (slots_[i].key == key) return false;
  slots_[i] = Slot{key, pending};
  if (2 * ++size_ > slots_.size()) grow();
  return true;
}

void MaskCache::grow() {
  std::vector<Slot> old(slots_.size() * 2, Slot{0, empty});
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  --shift_;
  for (const Slot& s : old) {
    if (s.state == empty) continue;
    size_t i = slot(s.key);
    while (slots_[i].state != empty) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

// ---------------------------------------------------------------------------------------------
// The search state

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t full_mask(int n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

uint64_t first_of_level(int k) { return k >= 64 ? ~uint64_t{0} : (uint64_t{1} << k) - 1; }

// One goal searched level by level over the size of its target sets (exact, minimal, monotone).
struct LevelGoal {
  bool active = false, finished = false, max_size_reached = false;
  int k = 0, first_level = 0, last_level = 0, proven_below = 0;
  uint64_t count = 0, cursor = 0, position = 0;  // rank and positions-mask of the next candidate
  uint64_t inferred = 0;                         // candidates of this level decided by inference
  std::deque<uint64_t> waiting;                  // candidates asked or known, in enumeration order
  std::vector<uint64_t> solutions;
  SubsetIndex solved;                            // minimal mode: prunes supersets of solutions
};

// One goal reduced by deletion or beam search (greedy).
struct GreedyGoal {
  bool active = false, finished = false, started = false, changed = false;
  uint64_t current = 0;
  size_t pos = 0, issued = 0;
  std::vector<uint64_t> frontier, children, solutions;
};

}  // namespace

struct LatticeSearch::Impl {
  const LatticeOptions& opt;
  LatticeResult& st;
  int n;
  uint64_t full;
  MaskCache cache;
  uint64_t pending = 0;
  // Level enumeration walks positions 0..n-1; region_of maps positions to regions, most likely to
  // matter first, through one 256-entry table per byte of the positions-mask.
  bool identity = true;
  uint64_t table[8][256] = {};
  std::vector<int> deletion_order;  // greedy: regions least likely to matter first
  bool monotone_active = false;
  // Monotone: observed preserving kept-masks (their supersets preserve), and observed breaking
  // removed sets (their supersets break).
  SubsetIndex kept_preserved, removed_broken;
  LevelGoal level[2];
  GreedyGoal greedy[2];
  std::vector<uint8_t*> told_slots;  // tell's scratch

  Impl(const LatticeOptions& o, LatticeResult& s) : opt(o), st(s), n(o.n), full(full_mask(o.n)) {
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
    // The unmasked image defines the decision: it preserves by definition and is never asked.
    cache.set(full, MaskCache::preserved);
    monotone_active = opt.mode == SearchMode::monotone;
    if (monotone_active) kept_preserved.insert(full);
    const int last = opt.max_size < 0 ? n : std::min(opt.max_size, n);
    for (int g = 0; g < 2; ++g) {
      const bool wanted = static_cast<int>(opt.goal) & (1 << g);
      if (opt.mode == SearchMode::greedy) {
        greedy[g].active = wanted;
      } else {
        LevelGoal& L = level[g];
        L.active = wanted;
        L.first_level = g == 0 ? 0 : 1;  // removing nothing never breaks the decision
        L.last_level = last;
        restart(L);
      }
    }
  }

  uint64_t region_of(uint64_t positions) const {
    if (identity) return positions;
    uint64_t m = 0;
    for (int byte = 0; positions; ++byte, positions >>= 8) m |= table[byte][positions & 0xff];
    return m;
  }

  uint64_t kept_of(int g, uint64_t target) const { return g == 0 ? target : full ^ target; }

  static bool solves(int g, MaskCache::State s) {
    return g == 0 ? s == MaskCache::preserved : s == MaskCache::broken;
  }

  void query(uint64_t kept, std::vector<uint64_t>& out) {
    cache.set(kept, MaskCache::pending);
    counted(kept, out);
  }

  void counted(uint64_t kept, std::vector<uint64_t>& out) {
    out.push_back(kept);
    ++pending;
    ++st.queries;
    ++st.queries_per_level[__builtin_popcountll(kept)];
  }

  // Under monotonicity: preserved if a preserving subset was seen, broken if a breaking superset.
  MaskCache::State infer(uint64_t kept) const {
    if (kept_preserved.any_proper_subset_of(kept)) return MaskCache::preserved;
    if (removed_broken.any_proper_subset_of(full ^ kept)) return MaskCache::broken;
    return MaskCache::empty;
  }

  // ---- level-wise goals --------------------------------------------------------------------

  void start_level(LevelGoal& L, int k) {
    L.k = k;
    L.inferred = 0;
    L.count = binomial(n, k);
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
  void resolve(int g) {
    LevelGoal& L = level[g];
    while (!L.waiting.empty()) {
      const uint64_t t = L.waiting.front();
      const MaskCache::State s = cache.get(kept_of(g, t));
      if (s == MaskCache::pending) return;
      L.waiting.pop_front();
      if (!solves(g, s)) continue;
      L.solutions.push_back(t);
      if (opt.mode == SearchMode::minimal) L.solved.insert(t);
      if (opt.first_only) {
        L.finished = true;
        L.proven_below = L.k;
        L.waiting.clear();
        return;
      }
    }
  }

  void finish_level(LevelGoal& L) {
    L.proven_below = L.k + 1;
    if (!L.solutions.empty() && opt.mode != SearchMode::minimal) {
      L.finished = true;
    } else if (L.k + 1 > L.last_level) {
      L.finished = true;
      L.max_size_reached = L.k < n;
    } else {
      start_level(L, L.k + 1);
    }
  }

  // Walks the current level from its cursor, asking for unknown candidates while out.size() <
  // limit, and moves to the next level once every candidate of this one is decided.
  void level_step(int g, std::vector<uint64_t>& out, size_t limit) {
    LevelGoal& L = level[g];
    for (;;) {
      resolve(g);
      if (L.finished) return;
      while (L.cursor < L.count) {
        const uint64_t t = region_of(L.position);
        bool pruned = opt.mode == SearchMode::minimal && L.solved.any_proper_subset_of(t);
        if (!pruned) {
          const uint64_t kept = kept_of(g, t);
          if (!monotone_active) {
            // One probe: asked if absent, else decided or pending already.
            if (out.size() >= limit && cache.get(kept) == MaskCache::empty) return;
            if (out.size() < limit && cache.insert_pending(kept)) counted(kept, out);
          } else if (cache.get(kept) == MaskCache::empty) {
            const MaskCache::State s = infer(kept);
            const bool inferred = s != MaskCache::empty && !solves(g, s);  // solutions: confirmed
            const bool audit = inferred && opt.audit > 0 && L.inferred % opt.audit == 0;
            pruned = inferred && !audit;
            if (!pruned) {
              if (out.size() >= limit) return;  // before counting: this candidate comes again
              query(kept, out);
              st.audits += audit;
            }
            L.inferred += inferred;
          }
        }
        if (pruned)
          ++st.pruned;
        else
          L.waiting.push_back(t);
        if (++L.cursor < L.count) L.position = next_same_popcount(L.position);
      }
      resolve(g);
      if (L.finished || !L.waiting.empty()) return;
      finish_level(L);
    }
  }

  // ---- greedy goals ------------------------------------------------------------------------

  // Asks for kept (returns false: wait) unless it is known; known -> true and its state in s.
  bool known(uint64_t kept, std::vector<uint64_t>& out, size_t limit, MaskCache::State& s) {
    s = cache.get(kept);
    if (s == MaskCache::empty && out.size() < limit) query(kept, out);
    return s != MaskCache::empty && s != MaskCache::pending;
  }

  void greedy_step(int g, std::vector<uint64_t>& out, size_t limit) {
    GreedyGoal& G = greedy[g];
    MaskCache::State s;
    while (!G.finished) {
      if (!G.started) {
        // Min- reduces the removed set from "remove everything", which must break the decision.
        if (g == 1) {
          if (!known(0, out, limit, s)) return;
          if (s == MaskCache::preserved) {
            G.finished = true;
            return;
          }
        }
        G.started = true;
        G.current = full;
        G.frontier = {full};
      }
      if (opt.beam == 0) {
        while (G.pos < deletion_order.size() && !((G.current >> deletion_order[G.pos]) & 1))
          ++G.pos;
        if (G.pos == deletion_order.size()) {
          if (G.changed) {  // another pass, until no single deletion keeps a solution
            G.changed = false;
            G.pos = 0;
            continue;
          }
          G.finished = true;
          G.solutions = {G.current};
          return;
        }
        const uint64_t candidate = G.current & ~(uint64_t{1} << deletion_order[G.pos]);
        if (!known(kept_of(g, candidate), out, limit, s)) return;
        if (solves(g, s)) {
          G.current = candidate;
          G.changed = true;
        }
        ++G.pos;
        continue;
      }
      if (G.children.empty()) {
        MaskCache seen;
        for (uint64_t f : G.frontier)
          for (int r : deletion_order)
            if ((f >> r) & 1) {
              const uint64_t c = f & ~(uint64_t{1} << r);
              if (seen.get(c) == MaskCache::empty) {
                seen.set(c, MaskCache::broken);
                G.children.push_back(c);
              }
            }
        G.issued = 0;
        if (G.children.empty()) {  // the frontier is the empty set
          G.finished = true;
          G.solutions = {G.frontier[0]};
          return;
        }
      }
      for (; G.issued < G.children.size(); ++G.issued) {
        const uint64_t kept = kept_of(g, G.children[G.issued]);
        if (cache.get(kept) != MaskCache::empty) continue;
        if (out.size() >= limit) return;
        query(kept, out);
      }
      std::vector<uint64_t> next;
      for (uint64_t c : G.children) {
        s = cache.get(kept_of(g, c));
        if (s == MaskCache::pending) return;
        if (solves(g, s) && next.size() < static_cast<size_t>(opt.beam)) next.push_back(c);
      }
      G.children.clear();
      if (next.empty()) {
        G.finished = true;
        G.solutions = {G.frontier[0]};
        return;
      }
      G.frontier.swap(next);
    }
  }

  // ---- shared ------------------------------------------------------------------------------

  bool finished(int g) const {
    return opt.mode == SearchMode::greedy ? !greedy[g].active || greedy[g].finished
                                          : !level[g].active || level[g].finished;
  }

  void step(size_t limit, std::vector<uint64_t>& out) {
    int order[2] = {0, 1};
    if (opt.mode != SearchMode::greedy) {
      // The goal with less left on its current level goes first, so that it reaches the next
      // level, where the other goal's answers prune most, sooner.
      auto left = [&](int g) { return level[g].count - level[g].cursor + level[g].waiting.size(); };
      if (!finished(1) && (finished(0) || left(1) < left(0))) std::swap(order[0], order[1]);
    }
    for (int g : order) {
      if (finished(g)) continue;
      const size_t before = out.size();
      if (opt.mode == SearchMode::greedy)
        greedy_step(g, out, limit);
      else
        level_step(g, out, limit);
      // Monotone: one goal's level per batch, so the other goal's next candidates are filtered by
      // these answers (a smaller batch that saves queries, which cost far more than batches).
      if (monotone_active && out.size() > before) return;
    }
  }

  void observe(uint64_t kept, MaskCache::State s) {
    const bool preserved = s == MaskCache::preserved;
    const bool violated = preserved ? removed_broken.any_proper_subset_of(full ^ kept)
                                    : kept_preserved.any_proper_subset_of(kept);
    if (violated) {
      ++st.violations;
      if (st.violating_masks.size() < kViolationsKept) st.violating_masks.push_back(kept);
      if (monotone_active) {  // the assumption failed: what it pruned must be searched exactly
        monotone_active = false;
        st.fell_back = true;
        for (auto& L : level) restart(L);
      }
    }
    if (preserved && !kept_preserved.any_proper_subset_of(kept)) kept_preserved.insert(kept);
    if (!preserved && !removed_broken.any_proper_subset_of(full ^ kept))
      removed_broken.insert(full ^ kept);
  }
};

// ---------------------------------------------------------------------------------------------
// LatticeSearch

LatticeSearch::LatticeSearch(const LatticeOptions& options) : opt_(options) {
  if (opt_.n < 1 || opt_.n > kMaxRegions)
    throw std::invalid_argument("n must be in [1, 64], got " + std::to_string(opt_.n));
  if (!opt_.prior.empty() && opt_.prior.size() != static_cast<size_t>(opt_.n))
    throw std::invalid_argument("prior must hold n scores");
  if (opt_.beam < 0) throw std::invalid_argument("beam must be >= 0");
  if (opt_.audit < 0) throw std::invalid_argument("audit must be >= 0");
  stats_.queries_per_level.assign(opt_.n + 1, 0);
  impl_ = std::make_unique<Impl>(opt_, stats_);
}

LatticeSearch::~LatticeSearch() = default;

size_t LatticeSearch::ask(size_t max_batch, std::vector<uint64_t>& out) {
  const auto t0 = Clock::now();
  const size_t before = out.size();
  size_t room = max_batch;
  if (opt_.budget)
    room = std::min<uint64_t>(room, opt_.budget - std::min(opt_.budget, stats_.queries));
  impl_->step(before + room, out);
  const size_t asked = out.size() - before;
  if (asked) ++stats_.batches;
  stats_.engine_seconds += seconds_since(t0);
  return asked;
}

void LatticeSearch::tell(const uint64_t* masks, const uint8_t* preserved, size_t count) {
  const auto t0 = Clock::now();
  // Validate all before changing any, so that a bad tell leaves the search as it was. No
  // insertion happens in between, so the state pointers stay valid.
  std::vector<uint8_t*>& slots = impl_->told_slots;
  slots.resize(count);
  for (size_t i = 0; i < count; ++i) {
    slots[i] = impl_->cache.find(masks[i]);
    if (!slots[i] || *slots[i] != MaskCache::pending)
      throw std::invalid_argument("tell: mask " + std::to_string(masks[i]) +
                                  " was not asked, or was told already");
  }
  for (size_t i = 0; i < count; ++i) {
    if (*slots[i] != MaskCache::pending)
      throw std::invalid_argument("tell: mask " + std::to_string(masks[i]) +
                                  " appears twice in one tell");
    const auto s = preserved[i] ? MaskCache::preserved : MaskCache::broken;
    *slots[i] = s;
    --impl_->pending;
    if (opt_.mode == SearchMode::monotone) impl_->observe(masks[i], s);
  }
  stats_.engine_seconds += seconds_since(t0);
}

bool LatticeSearch::done() {
  if (impl_->finished(0) && impl_->finished(1)) return true;
  std::vector<uint64_t> none;
  impl_->step(0, none);
  if (impl_->finished(0) && impl_->finished(1)) return true;
  return opt_.budget && stats_.queries >= opt_.budget && impl_->pending == 0;
}

LatticeResult LatticeSearch::result() {
  const auto t0 = Clock::now();
  std::vector<uint64_t> none;
  impl_->step(0, none);  // settle what the cache already decides, without asking
  LatticeResult r = stats_;
  for (int g = 0; g < 2; ++g) {
    GoalReport& rep = g == 0 ? r.plus : r.minus;
    if (opt_.mode == SearchMode::greedy) {
      const GreedyGoal& G = impl_->greedy[g];
      rep.searched = G.active;
      rep.solutions = G.solutions;
      rep.finished = G.finished;
    } else {
      const LevelGoal& L = impl_->level[g];
      rep.searched = L.active;
      rep.solutions = L.solutions;
      rep.proven_below = L.proven_below;
      rep.finished = L.finished;
      rep.max_size_reached = L.max_size_reached;
    }
  }
  r.budget_exhausted = !(impl_->finished(0) && impl_->finished(1)) && opt_.budget &&
                       stats_.queries >= opt_.budget;
  r.empty_kept_state = impl_->cache.get(0);
  stats_.engine_seconds += seconds_since(t0);
  r.engine_seconds = stats_.engine_seconds;
  return r;
}

LatticeResult run_planted(const LatticeOptions& options, const std::vector<uint64_t>& planted,
                          size_t max_batch) {
  const auto t0 = Clock::now();
  LatticeSearch search(options);
  std::vector<uint64_t> batch;
  std::vector<uint8_t> decided;
  while (!search.done()) {
    batch.clear();
    const size_t k = search.ask(max_batch, batch);
    if (k == 0) break;
    decided.resize(k);
    for (size_t i = 0; i < k; ++i) {
      uint8_t keep = 0;
      for (uint64_t p : planted) keep |= (p & ~batch[i]) == 0;
      decided[i] = keep;
    }
    search.tell(batch.data(), decided.data(), k);
  }
  LatticeResult r = search.result();
  r.engine_seconds = seconds_since(t0);
  return r;
}

}  // namespace minplus
