#include "minplus/blend.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace minplus {
namespace {

template <DType D>
inline void store_value(float v, void* out, int64_t i) {
  if constexpr (D == DType::u8) {
    const float r = std::nearbyint(v);
    static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(std::min(std::max(r, 0.0f), 255.0f));
  } else if constexpr (D == DType::f16) {
    static_cast<uint16_t*>(out)[i] = float_to_half(v);
  } else {
    static_cast<float*>(out)[i] = v;
  }
}

// One row y of image b, alpha given per pixel of the row; the dtype is a template parameter so
// the inner loops carry no branch and vectorise.
template <DType D>
void blend_row(const Frames& f, int64_t b, int64_t y, const float* alpha_row, void* out) {
  const int64_t P = static_cast<int64_t>(f.H) * f.W;
  const int C = f.C;
  const float* img = static_cast<const float*>(f.image);
  const float* base = static_cast<const float*>(f.baseline);
  const int64_t off = b * P * C;
  if (f.layout == Layout::hwc) {
    const int64_t i0 = y * f.W * C;
    for (int64_t x = 0; x < f.W; ++x) {
      const float a = alpha_row[x];
      for (int c = 0; c < C; ++c) {
        const int64_t i = i0 + x * C + c;
        store_value<D>(base[i] + a * (img[i] - base[i]), out, off + i);
      }
    }
  } else {
    for (int c = 0; c < C; ++c) {
      const int64_t i0 = c * P + y * f.W;
      for (int64_t x = 0; x < f.W; ++x)
        store_value<D>(base[i0 + x] + alpha_row[x] * (img[i0 + x] - base[i0 + x]), out,
                       off + i0 + x);
    }
  }
}

inline void blend_row(const Frames& f, int64_t b, int64_t y, const float* alpha_row, DType d,
                      void* out) {
  switch (d) {
    case DType::u8: blend_row<DType::u8>(f, b, y, alpha_row, out); break;
    case DType::f16: blend_row<DType::f16>(f, b, y, alpha_row, out); break;
    case DType::f32: blend_row<DType::f32>(f, b, y, alpha_row, out); break;
  }
}

}  // namespace

void blend_alphas_cpu(const Frames& f, const float* alphas, const int64_t* index, int64_t B,
                      DType d, void* out, int num_threads) {
  const int64_t P = static_cast<int64_t>(f.H) * f.W;
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t y = 0; y < f.H; ++y) blend_row(f, b, y, alphas + index[b] * P + y * f.W, d, out);
}

void blend_windows_cpu(const Frames& f, const float* keep, const int32_t* centres, int64_t B,
                       const float* taps, int R, bool add, DType d, void* out, int num_threads) {
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> row(static_cast<size_t>(f.W));
#pragma omp for collapse(2) schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t y = 0; y < f.H; ++y) {
        const float* k = keep + y * f.W;
        const int64_t cy = centres[2 * b], cx = centres[2 * b + 1];
        const int64_t dy = y - cy;
        std::copy(k, k + f.W, row.begin());
        if (dy >= -R && dy <= R) {
          const float ty = taps[dy + R];
          const int64_t x0 = std::max<int64_t>(0, cx - R), x1 = std::min<int64_t>(f.W, cx + R + 1);
          for (int64_t x = x0; x < x1; ++x) {
            const float g = ty * taps[x - cx + R];
            row[x] = add ? 1.0f - (1.0f - k[x]) * (1.0f - g) : k[x] * (1.0f - g);
          }
        }
        blend_row(f, b, y, row.data(), d, out);
      }
    }
  }
}

}  // namespace minplus
