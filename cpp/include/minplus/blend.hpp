// Continuous masking: each output image blends the image and the baseline with its own float
// alpha map (1 = image, 0 = baseline), for perturbations that are not unions of regions (RISE's
// smooth random masks, MinPlus' Gaussian windows). Frames are float32 in the output layout, as for
// render_soft_cpu; out is u8 (rounded half to even, clamped), f16 or f32:
//   out_b(p) = baseline(p) + alpha_b(p) * (image(p) - baseline(p))            (float32 arithmetic)
#pragma once
#include <cstdint>

#include "minplus/masking.hpp"

namespace minplus {

// alpha_b = alphas[index[b]], alphas (N, H, W) float32; every index[b] in [0, N).
void blend_alphas_cpu(const Frames& frames_f32, const float* alphas, const int64_t* index,
                      int64_t B, DType out_dtype, void* out, int num_threads);

// Separable windows g_b(y, x) = taps[y - cy_b + R] * taps[x - cx_b + R] inside the (2R+1)^2 square
// centred at centres[b] = (cy_b, cx_b) (0 outside; centres may lie outside the image), applied to
// a current keep map (H, W):
//   remove: alpha_b = keep * (1 - g_b)        add: alpha_b = 1 - (1 - keep) * (1 - g_b)
// Pixels outside the window keep alpha = keep, so the cost per image is one blend pass.
void blend_windows_cpu(const Frames& frames_f32, const float* keep, const int32_t* centres,
                       int64_t B, const float* taps, int R, bool add, DType out_dtype, void* out,
                       int num_threads);

}  // namespace minplus
