#include "minplus/planted_oracle.hpp"

#include <chrono>

namespace minplus {

LatticeResult run_planted(const LatticeOptions& options, const std::vector<uint64_t>& planted,
                          size_t max_batch) {
  const auto t0 = std::chrono::steady_clock::now();
  LatticeSearch search(options);
  std::vector<uint64_t> batch;
  std::vector<uint8_t> decided;
  while (!search.done()) {
    batch.clear();
    const uint64_t work = search.work();
    const size_t k = search.ask(max_batch, batch);
    if (k == 0) {
      if (search.work() == work) break;  // no work and nothing asked: nothing can change
      continue;                          // the walk yielded: ask again
    }
    decided.resize(k);
    for (size_t i = 0; i < k; ++i) {
      uint8_t keep = 0;
      for (uint64_t p : planted) keep |= (p & ~batch[i]) == 0;
      decided[i] = keep;
    }
    search.tell(batch.data(), decided.data(), k);
  }
  LatticeResult r = search.result();
  r.engine_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace minplus
