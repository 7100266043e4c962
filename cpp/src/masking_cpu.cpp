#include "minplus/masking.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace minplus {

RegionSpans RegionSpans::from_labels(const int32_t* labels, int H, int W) {
  RegionSpans s;
  s.H = H;
  s.W = W;
  s.row_start.resize(static_cast<size_t>(H) + 1);
  s.row_regions.assign(H, 0);
  s.row_context.assign(H, 0);
  for (int y = 0; y < H; ++y) {
    s.row_start[y] = static_cast<int64_t>(s.spans.size());
    const int32_t* row = labels + static_cast<int64_t>(y) * W;
    int x0 = 0;
    for (int x = 1; x <= W; ++x) {
      if (x == W || row[x] != row[x0]) {
        s.spans.push_back({x0, x, row[x0]});
        if (row[x0] < 0)
          s.row_context[y] = 1;
        else
          s.row_regions[y] |= uint64_t{1} << row[x0];
        x0 = x;
      }
    }
  }
  s.row_start[H] = static_cast<int64_t>(s.spans.size());
  return s;
}

SoftWeights SoftWeights::from_dense(const float* weights, int K, int H, int W) {
  SoftWeights s;
  s.H = H;
  s.W = W;
  s.K = K;
  const int64_t P = static_cast<int64_t>(H) * W;
  s.pixel_start.resize(P + 1);
  s.context.resize(P);
  for (int64_t p = 0; p < P; ++p) {
    s.pixel_start[p] = static_cast<int64_t>(s.region.size());
    float total = 0.0f;
    for (int r = 0; r < K; ++r) {
      const float w = weights[r * P + p];
      total = total + w;
      if (w != 0.0f) {
        s.region.push_back(r);
        s.weight.push_back(w);
      }
    }
    s.context[p] = std::max(1.0f - total, 0.0f);
  }
  s.pixel_start[P] = static_cast<int64_t>(s.region.size());
  return s;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u)  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
  if (absx >= 0x477ff000u)  // rounds to >= 65520: overflow to inf
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (absx < 0x38800000u) {  // subnormal half (or zero)
    if (absx < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25 rounds to 0
    const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(absx >> 23);  // 14 + (113 - e) ... in [14, 24]
    const uint32_t shifted = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    uint32_t h = shifted;
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  // normal: rebias exponent and round the 13 dropped mantissa bits to nearest even
  uint32_t h = ((absx - 0x38000000u) >> 13);
  const uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

namespace {

inline bool keeps(int32_t region, uint64_t mask, bool context_keep) {
  return region < 0 ? context_keep : ((mask >> region) & 1u) != 0;
}

// Copies one row of one plane: consecutive spans with the same source become one memcpy.
inline void copy_row(const Span* s, const Span* last, uint64_t mask, bool context_keep,
                     const char* img_row, const char* base_row, char* out_row, size_t px_bytes) {
  while (s < last) {
    const bool keep = keeps(s->region, mask, context_keep);
    const size_t off = static_cast<size_t>(s->x0) * px_bytes;
    ++s;
    while (s < last && keeps(s->region, mask, context_keep) == keep) ++s;
    const size_t end = static_cast<size_t>(s[-1].x1) * px_bytes;
    std::memcpy(out_row + off, (keep ? img_row : base_row) + off, end - off);
  }
}

enum class RowSource { image, baseline, mixed };

// Where every pixel of row y comes from under mask, if from one source only.
inline RowSource row_source(const RegionSpans& s, int64_t y, uint64_t mask, bool context_keep) {
  const uint64_t present = s.row_regions[y];
  const uint64_t kept = mask & present;
  const bool context = s.row_context[y] != 0;
  if (kept == present && (!context || context_keep)) return RowSource::image;
  if (kept == 0 && (!context || !context_keep)) return RowSource::baseline;
  return RowSource::mixed;
}

inline void store(float v, DType d, void* out, int64_t i) {
  switch (d) {
    case DType::u8: {
      const float r = std::nearbyint(v);
      static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(std::min(std::max(r, 0.0f), 255.0f));
      break;
    }
    case DType::f16: static_cast<uint16_t*>(out)[i] = float_to_half(v); break;
    case DType::f32: static_cast<float*>(out)[i] = v; break;
  }
}

}  // namespace

void render_spans_cpu(const RegionSpans& spans, const Frames& f, const uint64_t* masks, int64_t B,
                      bool context_keep, void* out, int num_threads) {
  const int H = f.H;
  const int planes = f.layout == Layout::nchw ? f.C : 1;
  const size_t px_bytes = itemsize(f.dtype) * (f.layout == Layout::hwc ? f.C : 1);
  const size_t row_bytes = px_bytes * f.W;
  const size_t plane_bytes = row_bytes * H;
  const size_t image_bytes = plane_bytes * planes;
  const char* img = static_cast<const char*>(f.image);
  const char* base = static_cast<const char*>(f.baseline);
  char* dst = static_cast<char*>(out);
  // Work items are blocks of rows of one plane of one image; within a block, runs of rows that
  // come wholly from the image (or wholly from the baseline) become one memcpy, since rows of a
  // plane are contiguous. Only rows that mix both are copied span by span.
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (H + kBlock - 1) / kBlock;
  const int64_t work = static_cast<int64_t>(planes) * blocks;
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t w = 0; w < work; ++w) {
      const uint64_t mask = masks[b];
      const size_t plane_off = static_cast<size_t>(w / blocks) * plane_bytes;
      const char* im = img + plane_off;
      const char* bs = base + plane_off;
      char* o = dst + static_cast<size_t>(b) * image_bytes + plane_off;
      const int64_t y_end = std::min<int64_t>(H, (w % blocks + 1) * kBlock);
      for (int64_t y = (w % blocks) * kBlock; y < y_end;) {
        const RowSource src = row_source(spans, y, mask, context_keep);
        const size_t off = static_cast<size_t>(y) * row_bytes;
        if (src == RowSource::mixed) {
          copy_row(spans.spans.data() + spans.row_start[y],
                   spans.spans.data() + spans.row_start[y + 1], mask, context_keep, im + off,
                   bs + off, o + off, px_bytes);
          ++y;
          continue;
        }
        int64_t e = y + 1;
        while (e < y_end && row_source(spans, e, mask, context_keep) == src) ++e;
        std::memcpy(o + off, (src == RowSource::image ? im : bs) + off,
                    static_cast<size_t>(e - y) * row_bytes);
        y = e;
      }
    }
  }
}

void render_soft_cpu(const SoftWeights& w, const Frames& f, const uint64_t* masks, int64_t B,
                     bool context_keep, DType out_dtype, void* out, int num_threads) {
  const int64_t P = static_cast<int64_t>(f.H) * f.W;
  const int C = f.C;
  const float* img = static_cast<const float*>(f.image);
  const float* base = static_cast<const float*>(f.baseline);
  const bool hwc = f.layout == Layout::hwc;
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t y = 0; y < f.H; ++y) {
      const uint64_t mask = masks[b];
      const int64_t img_off = b * P * C;
      for (int64_t p = y * f.W; p < (y + 1) * f.W; ++p) {
        float kept = 0.0f;
        for (int64_t e = w.pixel_start[p]; e < w.pixel_start[p + 1]; ++e)
          if ((mask >> w.region[e]) & 1u) kept = kept + w.weight[e];
        float alpha = kept + (context_keep ? w.context[p] : 0.0f);
        alpha = std::min(std::max(alpha, 0.0f), 1.0f);
        for (int c = 0; c < C; ++c) {
          const int64_t i = hwc ? p * C + c : c * P + p;
          const float v = base[i] + alpha * (img[i] - base[i]);
          store(v, out_dtype, out, img_off + i);
        }
      }
    }
  }
}

}  // namespace minplus
