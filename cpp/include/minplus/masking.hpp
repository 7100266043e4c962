// Fused region masking. Pixel p of output image b takes the image where its region's bit is set in
// masks[b] (region -1, the context, follows context_keep) and the baseline elsewhere. With soft
// weights W (K, H, W) the two are blended instead:
//   alpha(p) = clamp(sum_{r kept} W[r,p] + (context_keep ? max(0, 1 - sum_r W[r,p]) : 0), 0, 1)
//   out(p)   = baseline(p) + alpha(p) * (image(p) - baseline(p))            (float32 arithmetic)
// The image and baseline arrive already in the output's layout and dtype ("frames"), so the hard
// path is a sequence of span copies. CPU (OpenMP) and CUDA implement the same contract.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace minplus {

enum class DType : int { u8 = 0, f16 = 1, f32 = 2 };
enum class Layout : int { hwc = 0, nchw = 1 };

inline size_t itemsize(DType d) { return d == DType::u8 ? 1 : (d == DType::f16 ? 2 : 4); }

// A half-open run [x0, x1) of one label within one row.
struct Span {
  int32_t x0, x1, region;
};

// The label map as per-row runs; built once per region map.
struct RegionSpans {
  int H = 0, W = 0;
  std::vector<int64_t> row_start;  // spans of row y are [row_start[y], row_start[y + 1])
  std::vector<Span> spans;
  std::vector<uint64_t> row_regions;  // bit r set: region r occurs in row y
  std::vector<uint8_t> row_context;   // 1: row y has context pixels
  static RegionSpans from_labels(const int32_t* labels, int H, int W);
};

// Soft weights as a per-pixel sparse list (region ascending), plus the mask-independent total.
struct SoftWeights {
  int H = 0, W = 0, K = 0;
  std::vector<int64_t> pixel_start;  // entries of pixel p are [pixel_start[p], pixel_start[p + 1])
  std::vector<int32_t> region;
  std::vector<float> weight;
  std::vector<float> context;  // max(0, 1 - sum_r W[r, p]) per pixel
  static SoftWeights from_dense(const float* weights, int K, int H, int W);
};

// Image and baseline in the output layout: (H, W, C) for hwc, (C, H, W) for nchw.
struct Frames {
  const void* image;
  const void* baseline;
  int H, W, C;
  Layout layout;
  DType dtype;
};

// Hard masking by span copies. out holds B images of the frames' layout and dtype.
void render_spans_cpu(const RegionSpans& spans, const Frames& frames, const uint64_t* masks,
                      int64_t B, bool context_keep, void* out, int num_threads);

// Soft masking: frames are float32 in the output layout; out_dtype is u8 (rounded half to even,
// clamped to [0, 255]), f16 (round to nearest even) or f32.
void render_soft_cpu(const SoftWeights& weights, const Frames& frames_f32, const uint64_t* masks,
                     int64_t B, bool context_keep, DType out_dtype, void* out, int num_threads);

// float32 -> IEEE half, round to nearest even (what numpy's astype(float16) does).
uint16_t float_to_half(float f);

// CUDA twins: every pointer is a device pointer; stream is a cudaStream_t (0: the default stream).
// labels (H, W) int32; masks (B,) uint64; out as in render_spans_cpu.
void render_labels_cuda(const int32_t* labels, const Frames& frames, const uint64_t* masks,
                        int64_t B, bool context_keep, void* out, uintptr_t stream);
// weights (K, H, W) float32 dense, context (H, W) float32 = max(0, 1 - sum_r W[r]).
void render_soft_cuda(const float* weights, const float* context, int K, const Frames& frames_f32,
                      const uint64_t* masks, int64_t B, bool context_keep, DType out_dtype,
                      void* out, uintptr_t stream);
// Number of CUDA devices visible (0 when none, or when built without CUDA).
int cuda_device_count();
bool cuda_compiled();

}  // namespace minplus
