// Greedy search: one 1-minimal solution per goal, by deletion (drop regions least likely to
// matter first, pass after pass, while a drop keeps a solution) or by a beam of width `beam`
// over the sets one deletion below the frontier. For large n; proves nothing about size.
#include <vector>

#include "search_state.hpp"

namespace minplus {
namespace {

class GreedySearch final : public Strategy {
 public:
  explicit GreedySearch(SearchState& s) : s_(s) {
    for (int g = 0; g < 2; ++g) goal_[g].active = s.wants(g);
  }

  void step(size_t limit, std::vector<uint64_t>& out) override {
    for (int g = 0; g < 2; ++g)
      if (!finished(g)) goal_step(g, limit, out);
  }

  bool finished(int g) const override { return !goal_[g].active || goal_[g].finished; }

  void observe(uint64_t, MaskState) override {}

  void report(int g, GoalReport& out) const override {
    out.searched = goal_[g].active;
    out.solutions = goal_[g].solutions;
    out.finished = goal_[g].finished;
  }

  SearchMode effective_mode() const override { return SearchMode::greedy; }

 private:
  struct GreedyGoal {
    bool active = false, finished = false, started = false, changed = false;
    uint64_t current = 0;
    size_t pos = 0, issued = 0;
    std::vector<uint64_t> frontier, children, solutions;
  };

  // Asks for kept (returns false: wait) unless it is known; known -> true and its state in s.
  bool known(uint64_t kept, size_t limit, std::vector<uint64_t>& out, MaskState& state) {
    state = s_.cache.get(kept);
    if (state == MaskState::unknown && out.size() < limit) s_.query(kept, out);
    return state != MaskState::unknown && state != MaskState::pending;
  }

  void finish(GreedyGoal& G, uint64_t solution) {
    G.finished = true;
    G.solutions = {solution};
  }

  void goal_step(int g, size_t limit, std::vector<uint64_t>& out) {
    GreedyGoal& G = goal_[g];
    MaskState state;
    while (!G.finished) {
      if (s_.work.spent()) return;  // yield: every branch below resumes from G
      s_.work.charge(1);
      if (!G.started) {
        // Min- reduces the removed set from "remove everything", which must break the decision.
        if (g == 1) {
          if (!known(0, limit, out, state)) return;
          if (state == MaskState::preserved) {
            G.finished = true;
            return;
          }
        }
        G.started = true;
        G.current = s_.full;
        G.frontier = {s_.full};
      }
      const bool moved = s_.opt.beam == 0 ? deletion_step(g, G, limit, out)
                                          : beam_step(g, G, limit, out);
      if (!moved) return;  // waiting for decisions
    }
  }

  // One candidate of plain deletion; false while it waits for its decision.
  bool deletion_step(int g, GreedyGoal& G, size_t limit, std::vector<uint64_t>& out) {
    const std::vector<int>& order = s_.deletion_order;
    while (G.pos < order.size() && !((G.current >> order[G.pos]) & 1)) ++G.pos;
    if (G.pos == order.size()) {
      if (G.changed) {  // another pass, until no single deletion keeps a solution
        G.changed = false;
        G.pos = 0;
        return true;
      }
      finish(G, G.current);
      return true;
    }
    const uint64_t candidate = G.current & ~(uint64_t{1} << order[G.pos]);
    MaskState state;
    if (!known(s_.kept_of(g, candidate), limit, out, state)) return false;
    if (s_.solves(g, state)) {
      G.current = candidate;
      G.changed = true;
    }
    ++G.pos;
    return true;
  }

  // One level of the beam; false while it waits for decisions.
  bool beam_step(int g, GreedyGoal& G, size_t limit, std::vector<uint64_t>& out) {
    if (G.children.empty()) {
      MaskCache seen;
      for (uint64_t f : G.frontier)
        for (int r : s_.deletion_order)
          if ((f >> r) & 1) {
            const uint64_t c = f & ~(uint64_t{1} << r);
            if (seen.get(c) == MaskState::unknown) {
              seen.set(c, MaskState::broken);
              G.children.push_back(c);
            }
          }
      s_.work.charge(G.frontier.size() * s_.deletion_order.size());
      G.issued = 0;
      if (G.children.empty()) {  // the frontier is the empty set
        finish(G, G.frontier[0]);
        return true;
      }
    }
    for (; G.issued < G.children.size(); ++G.issued) {
      const uint64_t kept = s_.kept_of(g, G.children[G.issued]);
      if (s_.cache.get(kept) != MaskState::unknown) continue;
      if (out.size() >= limit || s_.work.spent()) return false;
      s_.query(kept, out);
      s_.work.charge(1);
    }
    std::vector<uint64_t> next;
    s_.work.charge(G.children.size());
    for (uint64_t c : G.children) {
      const MaskState state = s_.cache.get(s_.kept_of(g, c));
      if (state == MaskState::pending) return false;
      if (s_.solves(g, state) && next.size() < static_cast<size_t>(s_.opt.beam)) next.push_back(c);
    }
    G.children.clear();
    if (next.empty()) {
      finish(G, G.frontier[0]);
      return true;
    }
    G.frontier.swap(next);
    return true;
  }

  SearchState& s_;
  GreedyGoal goal_[2];
};

}  // namespace

std::unique_ptr<Strategy> make_greedy_search(SearchState& state) {
  return std::make_unique<GreedySearch>(state);
}

}  // namespace minplus
