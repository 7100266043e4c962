// Continuous masking: each output image blends the image and the baseline with its own float
// alpha map (1 = image, 0 = baseline), for perturbations that are not unions of regions (RISE's
// smooth random masks). Frames are float32 in the output layout, as for render_soft_cpu; out is
// u8 (rounded half to even, clamped), f16 or f32:
//   out_b(p) = baseline(p) + alpha_b(p) * (image(p) - baseline(p))            (float32 arithmetic)
//
// Window steps (MinPlus): one separable Gaussian window applied to a current image ("state").
#pragma once
#include <cstdint>
#include <string>

#include "minplus/masking.hpp"

namespace minplus {

// alpha_b = alphas[index[b]], alphas (N, H, W) float32; every index[b] in [0, N).
void blend_alphas_cpu(const Frames& frames_f32, const float* alphas, const int64_t* index,
                      int64_t B, DType out_dtype, void* out, int num_threads);

// What a window does to the current image, in image units (float32):
//   remove: v = baseline + (1 - g) * (state - baseline)             (the published minus step)
//   screen: v = white - (white - state) * ((white - image * g) / white)   (the published plus
//           step: the original's window screen-blended onto the state), truncated towards zero
//           and clamped at 0 when quantise (a uint8 image's state stays uint8-valued).
enum class WindowOp : int { remove = 0, screen = 1 };

// The current image, the original and the baseline: (H, W, C) float32, image units.
struct WindowImages {
  const float* state;
  const float* image;
  const float* baseline;
  int H, W, C;
};

struct WindowStep {
  WindowOp op;
  float white;    // the image's full scale: 255 for uint8 images, 1 for float ones
  bool quantise;  // screen only
};

// The model's input: layout, dtype and per-channel (v * scale - mean[c]) / std[c].
struct OutputSpec {
  Layout layout;
  DType dtype;
  float scale;
  const float* mean;  // (C,)
  const float* std;   // (C,)
};

// Window g_b(y, x) = taps[y - cy_b + R] * taps[x - cx_b + R] inside the (2R+1)^2 box centred at
// centres[b] = (cy_b, cx_b) (centres may lie partly or wholly off the image), 0 outside. Output
// image b is the state with only that box recomputed: pixels outside it are the state, rendered
// once per call and copied.
void blend_windows_cpu(const WindowImages& images, const int32_t* centres, int64_t B,
                       const float* taps, int R, const WindowStep& step, const OutputSpec& spec,
                       void* out, int num_threads);

// The same steps rendered into an area-reduced frame (fy, fx >= 1 dividing H and W): out holds
// B images of (H / fy, W / fx), each pixel the mean of its fy x fx block of the full-size render
// (cv2.resize INTER_AREA for integer factors, to float32 rounding), then normalised and stored
// as blend_windows_cpu stores. The full-size images are never written (a 32 px network reads
// 1/64 of the bytes a 256 px render would write).
void blend_windows_block_cpu(const WindowImages& images, const int32_t* centres, int64_t B,
                             const float* taps, int R, const WindowStep& step,
                             const OutputSpec& spec, int fy, int fx, void* out,
                             int num_threads);

// CUDA twin: every pointer (images, centres, taps, spec.mean/std, out) is a device pointer;
// stream is a cudaStream_t (0: the default stream).
void blend_windows_cuda(const WindowImages& images, const int32_t* centres, int64_t B,
                        const float* taps, int R, const WindowStep& step, const OutputSpec& spec,
                        void* out, uintptr_t stream);

// The instruction set the CPU blend kernels run with: "avx2" where the CPU has it (x86-64, GCC
// builds), else "baseline". set_blend_isa("baseline") forces the baseline kernels, "auto"
// restores the choice; both return the set in use. The two give the same bits.
std::string blend_isa();
std::string set_blend_isa(const std::string& isa);
// A window batch whose output is larger than stream_bytes() (16 MB) is written with
// non-temporal stores; set_stream_bytes(n) changes the limit (0: always, huge: never) and
// returns the old one. Either way the bytes are the same (tests, timing: 26.6 ms streamed vs
// 28.2 ms through the cache for the fast MinPlus map of the gender net, benchmarks/RESULTS.md).
int64_t stream_bytes();
int64_t set_stream_bytes(int64_t bytes);

}  // namespace minplus
