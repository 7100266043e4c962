#include <stdexcept>
#include <string>

#include "array_checks.hpp"
#include "bindings.hpp"
#include "minplus/blend.hpp"

namespace py = pybind11;

namespace minplus::bindings {
namespace {

using F32 = py::array_t<float, py::array::c_style>;

// Float32 frames (H, W, C) or (C, H, W) and an out buffer of B such images; the Python layer
// (minplus.saliency.blending) gives the friendly errors, these checks only guard memory.
Frames blend_frames(const F32& image, const F32& baseline, const std::string& layout) {
  require(image.ndim() == 3 && baseline.ndim() == 3, "frames must be 3-D");
  for (int d = 0; d < 3; ++d) require(image.shape(d) == baseline.shape(d), "frame shapes differ");
  const bool hwc = layout == "hwc";
  require(hwc || layout == "nchw", "layout must be 'hwc' or 'nchw'");
  const int H = static_cast<int>(hwc ? image.shape(0) : image.shape(1));
  const int W = static_cast<int>(hwc ? image.shape(1) : image.shape(2));
  const int C = static_cast<int>(hwc ? image.shape(2) : image.shape(0));
  return Frames{image.data(), baseline.data(), H, W, C, hwc ? Layout::hwc : Layout::nchw,
                DType::f32};
}


}  // namespace

void register_blend(py::module_& m) {
  m.def(
      "blend_alphas",
      [](const F32& image, const F32& baseline, const std::string& layout, const F32& alphas,
         py::array_t<int64_t, py::array::c_style> index, py::array out, int num_threads) {
        const Frames f = blend_frames(image, baseline, layout);
        require(alphas.ndim() == 3 && alphas.shape(1) == f.H && alphas.shape(2) == f.W,
                "alphas must be (N, H, W)");
        const int64_t B = index.shape(0), N = alphas.shape(0);
        const int64_t* ix = index.data();
        for (int64_t b = 0; b < B; ++b) require(ix[b] >= 0 && ix[b] < N, "index out of range");
        const DType d = checked_out(out, f, B);
        void* dst = out.mutable_data();
        py::gil_scoped_release release;
        blend_alphas_cpu(f, alphas.data(), ix, B, d, dst, num_threads);
      },
      py::arg("image"), py::arg("baseline"), py::arg("layout"), py::arg("alphas"),
      py::arg("index"), py::arg("out"), py::arg("num_threads") = 0);

  m.def(
      "blend_windows",
      [](const F32& image, const F32& baseline, const std::string& layout, const F32& keep,
         py::array_t<int32_t, py::array::c_style> centres, const F32& taps, bool add,
         py::array out, int num_threads) {
        const Frames f = blend_frames(image, baseline, layout);
        require(keep.ndim() == 2 && keep.shape(0) == f.H && keep.shape(1) == f.W,
                "keep must be (H, W)");
        require(centres.ndim() == 2 && centres.shape(1) == 2, "centres must be (B, 2)");
        require(taps.ndim() == 1 && taps.shape(0) % 2 == 1, "taps must have odd length");
        const int64_t B = centres.shape(0);
        const int R = static_cast<int>(taps.shape(0) / 2);
        const DType d = checked_out(out, f, B);
        void* dst = out.mutable_data();
        py::gil_scoped_release release;
        blend_windows_cpu(f, keep.data(), centres.data(), B, taps.data(), R, add, d, dst,
                          num_threads);
      },
      py::arg("image"), py::arg("baseline"), py::arg("layout"), py::arg("keep"),
      py::arg("centres"), py::arg("taps"), py::arg("add"), py::arg("out"),
      py::arg("num_threads") = 0);
}

}  // namespace minplus::bindings
