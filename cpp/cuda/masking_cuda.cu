// CUDA twin of masking_cpu.cpp: the same contract (see masking.hpp) on device pointers.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "minplus/masking.hpp"

namespace minplus {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

__device__ inline bool keeps(int32_t region, uint64_t mask, bool context_keep) {
  return region < 0 ? context_keep : ((mask >> region) & 1ull) != 0;
}

// One thread per element of one output image; blockIdx.y walks the batch.
template <typename T>
__global__ void select_kernel(const int32_t* __restrict__ labels, const T* __restrict__ img,
                              const T* __restrict__ base, const uint64_t* __restrict__ masks,
                              int64_t elems, int64_t P, int C, bool hwc, bool context_keep,
                              T* __restrict__ out) {
  const uint64_t mask = masks[blockIdx.y];
  T* dst = out + static_cast<int64_t>(blockIdx.y) * elems;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < elems;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t p = hwc ? i / C : i % P;
    dst[i] = keeps(labels[p], mask, context_keep) ? img[i] : base[i];
  }
}

__device__ inline void store(float v, DType d, void* out, int64_t i) {
  if (d == DType::u8) {
    const float r = fminf(fmaxf(rintf(v), 0.0f), 255.0f);
    static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(r);
  } else if (d == DType::f16) {
    static_cast<__half*>(out)[i] = __float2half_rn(v);
  } else {
    static_cast<float*>(out)[i] = v;
  }
}

__global__ void soft_kernel(const float* __restrict__ weights, const float* __restrict__ context,
                            int K, const float* __restrict__ img, const float* __restrict__ base,
                            const uint64_t* __restrict__ masks, int64_t P, int C, bool hwc,
                            bool context_keep, DType out_dtype, void* out) {
  const uint64_t mask = masks[blockIdx.y];
  const int64_t out_off = static_cast<int64_t>(blockIdx.y) * P * C;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < P;
       p += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float kept = 0.0f;
    for (int r = 0; r < K; ++r)
      if ((mask >> r) & 1ull) kept = __fadd_rn(kept, weights[r * P + p]);
    float alpha = __fadd_rn(kept, context_keep ? context[p] : 0.0f);
    alpha = fminf(fmaxf(alpha, 0.0f), 1.0f);
    for (int c = 0; c < C; ++c) {
      const int64_t i = hwc ? p * C + c : c * P + p;
      store(__fadd_rn(base[i], __fmul_rn(alpha, __fsub_rn(img[i], base[i]))), out_dtype, out,
            out_off + i);
    }
  }
}

dim3 grid_for(int64_t work, int64_t B) {
  const int64_t blocks = (work + 255) / 256;
  return dim3(static_cast<unsigned>(blocks < 4096 ? blocks : 4096), static_cast<unsigned>(B));
}

}  // namespace

bool cuda_compiled() { return true; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

void render_labels_cuda(const int32_t* labels, const Frames& f, const uint64_t* masks, int64_t B,
                        bool context_keep, void* out, uintptr_t stream) {
  if (B <= 0) return;
  if (B > 65535) throw std::invalid_argument("render_labels_cuda: at most 65535 masks per call");
  const int64_t P = static_cast<int64_t>(f.H) * f.W;
  const int64_t elems = P * f.C;
  const bool hwc = f.layout == Layout::hwc;
  auto s = reinterpret_cast<cudaStream_t>(stream);
  const dim3 grid = grid_for(elems, B);
  switch (f.dtype) {
    case DType::u8:
      select_kernel<uint8_t><<<grid, 256, 0, s>>>(labels, static_cast<const uint8_t*>(f.image),
                                                  static_cast<const uint8_t*>(f.baseline), masks,
                                                  elems, P, f.C, hwc, context_keep,
                                                  static_cast<uint8_t*>(out));
      break;
    case DType::f16:
      select_kernel<uint16_t><<<grid, 256, 0, s>>>(labels, static_cast<const uint16_t*>(f.image),
                                                   static_cast<const uint16_t*>(f.baseline), masks,
                                                   elems, P, f.C, hwc, context_keep,
                                                   static_cast<uint16_t*>(out));
      break;
    case DType::f32:
      select_kernel<float><<<grid, 256, 0, s>>>(labels, static_cast<const float*>(f.image),
                                                static_cast<const float*>(f.baseline), masks, elems,
                                                P, f.C, hwc, context_keep, static_cast<float*>(out));
      break;
  }
  check(cudaGetLastError(), "render_labels_cuda");
}

void render_soft_cuda(const float* weights, const float* context, int K, const Frames& f,
                      const uint64_t* masks, int64_t B, bool context_keep, DType out_dtype,
                      void* out, uintptr_t stream) {
  if (B <= 0) return;
  if (B > 65535) throw std::invalid_argument("render_soft_cuda: at most 65535 masks per call");
  const int64_t P = static_cast<int64_t>(f.H) * f.W;
  auto s = reinterpret_cast<cudaStream_t>(stream);
  soft_kernel<<<grid_for(P, B), 256, 0, s>>>(
      weights, context, K, static_cast<const float*>(f.image),
      static_cast<const float*>(f.baseline), masks, P, f.C, f.layout == Layout::hwc, context_keep,
      out_dtype, out);
  check(cudaGetLastError(), "render_soft_cuda");
}

}  // namespace minplus
