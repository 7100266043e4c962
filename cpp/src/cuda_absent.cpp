// The CUDA entry points of masking.hpp when the build has no CUDA: they say so instead of linking
// to nothing.
#ifndef MINPLUS_WITH_CUDA
#include <stdexcept>

#include "minplus/blend.hpp"
#include "minplus/masking.hpp"

namespace minplus {

namespace {
[[noreturn]] void no_cuda() {
  throw std::runtime_error(
      "minplus was built without CUDA (MINPLUS_WITH_CUDA=OFF or no nvcc at build time)");
}
}  // namespace

bool cuda_compiled() { return false; }
int cuda_device_count() { return 0; }
void render_labels_cuda(const int32_t*, const Frames&, const uint64_t*, int64_t, bool, void*,
                        uintptr_t) {
  no_cuda();
}
void render_soft_cuda(const float*, const float*, int, const Frames&, const uint64_t*, int64_t,
                      bool, DType, void*, uintptr_t) {
  no_cuda();
}
void blend_windows_cuda(const WindowImages&, const int32_t*, int64_t, const float*, int,
                        const WindowStep&, const OutputSpec&, void*, uintptr_t) {
  no_cuda();
}

}  // namespace minplus
#endif
