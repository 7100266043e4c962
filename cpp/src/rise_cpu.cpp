#include "minplus/rise.hpp"

#include <omp.h>

#include <cmath>
#include <exception>
#include <vector>

namespace minplus {
namespace {

// splitmix64: a counter-based stream, so mask n is the same whatever thread draws it.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

inline double uniform01(uint64_t& state) {
  return static_cast<double>(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

void rise_masks_cpu(int64_t first, int64_t N, int H, int W, int s, double p, uint64_t seed,
                    float* out, int num_threads) {
  const int ch = (H + s - 1) / s, cw = (W + s - 1) / s;
  const int G = s + 2;
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
  // An exception must not leave an OpenMP region (that is std::terminate): the first one is
  // kept, the other threads skip their remaining masks, and it is rethrown after the join.
  std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> grid, fx;
    std::vector<int> x0;
    bool ready = false;
    try {
      grid.resize(static_cast<size_t>(G) * G);
      x0.resize(W);
      fx.resize(W);
      ready = true;
    } catch (...) {
#pragma omp critical(minplus_rise_failure)
      if (!failure) failure = std::current_exception();
    }
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      if (!ready) continue;
      uint64_t state = seed ^ (0xd1b54a32d192ed03ull * static_cast<uint64_t>(first + n + 1));
      for (auto& g : grid) g = uniform01(state) < p ? 1.0f : 0.0f;
      const int dy = static_cast<int>(splitmix64(state) % static_cast<uint64_t>(ch));
      const int dx = static_cast<int>(splitmix64(state) % static_cast<uint64_t>(cw));
      for (int x = 0; x < W; ++x) {
        x0[x] = (x + dx) / cw;
        fx[x] = static_cast<float>((x + dx) % cw) / static_cast<float>(cw);
      }
      float* m = out + n * static_cast<int64_t>(H) * W;
      for (int y = 0; y < H; ++y) {
        const int y0 = (y + dy) / ch;
        const float fy = static_cast<float>((y + dy) % ch) / static_cast<float>(ch);
        const float* g0 = grid.data() + static_cast<size_t>(y0) * G;
        const float* g1 = g0 + G;
        for (int x = 0; x < W; ++x) {
          const int j = x0[x];
          const float top = g0[j] + fx[x] * (g0[j + 1] - g0[j]);
          const float bot = g1[j] + fx[x] * (g1[j + 1] - g1[j]);
          m[static_cast<int64_t>(y) * W + x] = top + fy * (bot - top);
        }
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace minplus
