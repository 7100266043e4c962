// CUDA twin of blend_windows_cpu (blend_cpu.cpp): the same contract (see blend.hpp) on device
// pointers. One thread per output element: it reads the state outside the window and recomputes
// the window's value inside its box, with the CPU's float32 operations in the same order.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "minplus/blend.hpp"

namespace minplus {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

__device__ inline void store(float v, DType d, void* out, int64_t i) {
  if (d == DType::u8) {
    const float r = rintf(fminf(fmaxf(v, 0.0f), 255.0f));
    static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(r);
  } else if (d == DType::f16) {
    static_cast<__half*>(out)[i] = __float2half_rn(v);
  } else {
    static_cast<float*>(out)[i] = v;
  }
}

__device__ inline float window_value(WindowOp op, float white, bool quantise, float s, float o,
                                     float base, float g) {
  if (op == WindowOp::remove) return __fadd_rn(base, __fmul_rn(__fsub_rn(1.0f, g),
                                                               __fsub_rn(s, base)));
  float v = __fsub_rn(white, __fmul_rn(__fsub_rn(white, s),
                                       __fdiv_rn(__fsub_rn(white, __fmul_rn(o, g)), white)));
  if (quantise) v = fmaxf(truncf(v), 0.0f);
  return v;
}

__global__ void windows_kernel(WindowImages im, const int32_t* __restrict__ centres,
                               const float* __restrict__ taps, int R, WindowStep st,
                               Layout layout, DType dtype, float scale,
                               const float* __restrict__ mean, const float* __restrict__ std,
                               void* out) {
  const int64_t P = static_cast<int64_t>(im.H) * im.W, E = P * im.C;
  const int b = blockIdx.y;
  const int cy = centres[2 * b], cx = centres[2 * b + 1];
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < E;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t p = layout == Layout::hwc ? i / im.C : i % P;
    const int c = static_cast<int>(layout == Layout::hwc ? i % im.C : i / P);
    const int y = static_cast<int>(p / im.W), x = static_cast<int>(p % im.W);
    const int64_t j = p * im.C + c;  // the element in the (H, W, C) images
    float v = im.state[j];
    const int dy = y - cy, dx = x - cx;
    if (dy >= -R && dy <= R && dx >= -R && dx <= R)
      v = window_value(st.op, st.white, st.quantise, v, im.image[j], im.baseline[j],
                       __fmul_rn(taps[dy + R], taps[dx + R]));
    store(__fdiv_rn(__fsub_rn(__fmul_rn(v, scale), mean[c]), std[c]), dtype, out,
          static_cast<int64_t>(b) * E + i);
  }
}

}  // namespace

void blend_windows_cuda(const WindowImages& im, const int32_t* centres, int64_t B,
                        const float* taps, int R, const WindowStep& step, const OutputSpec& spec,
                        void* out, uintptr_t stream) {
  if (B <= 0) return;
  if (B > 65535) throw std::invalid_argument("blend_windows_cuda: at most 65535 images a call");
  const int64_t E = static_cast<int64_t>(im.H) * im.W * im.C;
  const int threads = 256;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((E + threads - 1) / threads,
                                                                  1024));
  windows_kernel<<<dim3(blocks, static_cast<unsigned>(B)), threads, 0,
                   reinterpret_cast<cudaStream_t>(stream)>>>(
      im, centres, taps, R, step, spec.layout, spec.dtype, spec.scale, spec.mean, spec.std, out);
  check(cudaGetLastError(), "blend_windows_cuda");
}

}  // namespace minplus
