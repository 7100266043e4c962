#include "minplus/blend.hpp"

#include <omp.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

// x86-64 with GCC: the kernels are compiled a second time for AVX2 and chosen at run time (the
// window kernel is compute-bound in its box: 1.5x-2x faster). Results are the same bits: the
// kernels use adds, multiplies, divides and conversions only, exact in any vector width, and
// -ffp-contract=off keeps multiply-adds apart.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MINPLUS_AVX2_KERNELS 1
#include <immintrin.h>
#endif

namespace minplus {
namespace {

// A batch whose output is larger than this is written with non-temporal stores (see the kernels).
std::atomic<int64_t> g_stream_bytes{int64_t{16} << 20};

namespace baseline {
#include "blend_kernels.inl"
}  // namespace baseline

#if defined(MINPLUS_AVX2_KERNELS)
#pragma GCC push_options
#pragma GCC target("avx2")
namespace avx2 {
#include "blend_kernels.inl"
}  // namespace avx2
#pragma GCC pop_options
#endif

bool cpu_has_avx2() {
#if defined(MINPLUS_AVX2_KERNELS)
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
#else
  return false;
#endif
}

std::atomic<bool> g_baseline_only{false};  // set_blend_isa("baseline"): for tests and timing

bool use_avx2() { return cpu_has_avx2() && !g_baseline_only.load(std::memory_order_relaxed); }

}  // namespace

void blend_alphas_cpu(const Frames& f, const float* alphas, const int64_t* index, int64_t B,
                      DType d, void* out, int num_threads) {
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#if defined(MINPLUS_AVX2_KERNELS)
  if (use_avx2()) return avx2::blend_alphas_all(f, alphas, index, B, d, out, threads);
#endif
  baseline::blend_alphas_all(f, alphas, index, B, d, out, threads);
}

void blend_windows_cpu(const WindowImages& im, const int32_t* centres, int64_t B,
                       const float* taps, int R, const WindowStep& step, const OutputSpec& spec,
                       void* out, int num_threads) {
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#if defined(MINPLUS_AVX2_KERNELS)
  if (use_avx2()) return avx2::blend_windows_all(im, centres, B, taps, R, step, spec, out,
                                                 threads);
#endif
  baseline::blend_windows_all(im, centres, B, taps, R, step, spec, out, threads);
}

void blend_windows_block_cpu(const WindowImages& im, const int32_t* centres, int64_t B,
                             const float* taps, int R, const WindowStep& step,
                             const OutputSpec& spec, int fy, int fx, void* out,
                             int num_threads) {
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#if defined(MINPLUS_AVX2_KERNELS)
  if (use_avx2()) return avx2::blend_windows_block_all(im, centres, B, taps, R, step, spec, fy,
                                                       fx, out, threads);
#endif
  baseline::blend_windows_block_all(im, centres, B, taps, R, step, spec, fy, fx, out, threads);
}

int64_t stream_bytes() { return g_stream_bytes.load(std::memory_order_relaxed); }

int64_t set_stream_bytes(int64_t bytes) {
  if (bytes < 0) throw std::invalid_argument("stream_bytes must be >= 0");
  return g_stream_bytes.exchange(bytes);
}

std::string blend_isa() { return use_avx2() ? "avx2" : "baseline"; }

std::string set_blend_isa(const std::string& isa) {
  if (isa != "auto" && isa != "baseline")
    throw std::invalid_argument("isa must be 'auto' or 'baseline', got '" + isa + "'");
  g_baseline_only.store(isa == "baseline");
  return blend_isa();
}

}  // namespace minplus
