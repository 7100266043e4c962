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
        const int threads = thread_count(num_threads);
        py::gil_scoped_release release;
        blend_alphas_cpu(f, alphas.data(), ix, B, d, dst, threads);
      },
      py::arg("image"), py::arg("baseline"), py::arg("layout"), py::arg("alphas"),
      py::arg("index"), py::arg("out"), py::arg("num_threads") = 0);

  m.def(
      "blend_windows",
      [](const F32& state, const F32& image, const F32& baseline,
         py::array_t<int32_t, py::array::c_style> centres, const F32& taps, int op, float white,
         bool quantise, const std::string& layout, float scale, const F32& mean, const F32& std,
         py::array out, int num_threads, int fy, int fx) {
        require(state.ndim() == 3, "state must be (H, W, C)");
        for (const F32* a : {&image, &baseline})
          for (int d = 0; d < 3; ++d)
            require(a->ndim() == 3 && a->shape(d) == state.shape(d), "frame shapes differ");
        require(op == 0 || op == 1, "op must be 0 (remove) or 1 (screen)");
        require(centres.ndim() == 2 && centres.shape(1) == 2, "centres must be (B, 2)");
        require(taps.ndim() == 1 && taps.shape(0) % 2 == 1, "taps must have odd length");
        const int H = static_cast<int>(state.shape(0)), W = static_cast<int>(state.shape(1));
        const int C = static_cast<int>(state.shape(2));
        require(mean.ndim() == 1 && mean.shape(0) == C && std.ndim() == 1 && std.shape(0) == C,
                "mean and std must be (C,)");
        require(layout == "hwc" || layout == "nchw", "layout must be 'hwc' or 'nchw'");
        require(fy >= 1 && fx >= 1 && H % fy == 0 && W % fx == 0,
                "block factors must be >= 1 and divide the image's size");
        // out holds B images of the (area-reduced) frame
        const Frames f{state.data(), state.data(), H / fy, W / fx, C,
                       layout == "hwc" ? Layout::hwc : Layout::nchw, DType::f32};
        const int64_t B = centres.shape(0);
        const int R = static_cast<int>(taps.shape(0) / 2);
        const DType d = checked_out(out, f, B);
        const WindowImages im{state.data(), image.data(), baseline.data(), H, W, C};
        const WindowStep step{static_cast<WindowOp>(op), white, quantise};
        const OutputSpec spec{f.layout, d, scale, mean.data(), std.data()};
        void* dst = out.mutable_data();
        const int threads = thread_count(num_threads);
        py::gil_scoped_release release;
        if (fy == 1 && fx == 1)
          blend_windows_cpu(im, centres.data(), B, taps.data(), R, step, spec, dst, threads);
        else
          blend_windows_block_cpu(im, centres.data(), B, taps.data(), R, step, spec, fy, fx, dst,
                                  threads);
      },
      py::arg("state"), py::arg("image"), py::arg("baseline"), py::arg("centres"),
      py::arg("taps"), py::arg("op"), py::arg("white"), py::arg("quantise"), py::arg("layout"),
      py::arg("scale"), py::arg("mean"), py::arg("std"), py::arg("out"),
      py::arg("num_threads") = 0, py::arg("fy") = 1, py::arg("fx") = 1,
      "Window steps into out; (fy, fx) > 1 renders each image area-reduced by those factors");

  // CUDA: raw device pointers (from torch / cupy); the same checks are made in Python.
  m.def(
      "blend_windows_cuda",
      [](uintptr_t state, uintptr_t image, uintptr_t baseline, int H, int W, int C,
         uintptr_t centres, int64_t B, uintptr_t taps, int R, int op, float white, bool quantise,
         const std::string& layout, int dtype, float scale, uintptr_t mean, uintptr_t std,
         uintptr_t out, uintptr_t stream) {
        require(op == 0 || op == 1, "op must be 0 (remove) or 1 (screen)");
        require(layout == "hwc" || layout == "nchw", "layout must be 'hwc' or 'nchw'");
        require(dtype >= 0 && dtype <= 2, "dtype must be a DType code");
        const WindowImages im{reinterpret_cast<const float*>(state),
                              reinterpret_cast<const float*>(image),
                              reinterpret_cast<const float*>(baseline), H, W, C};
        const WindowStep step{static_cast<WindowOp>(op), white, quantise};
        const OutputSpec spec{layout == "hwc" ? Layout::hwc : Layout::nchw,
                              static_cast<DType>(dtype), scale,
                              reinterpret_cast<const float*>(mean),
                              reinterpret_cast<const float*>(std)};
        py::gil_scoped_release release;
        blend_windows_cuda(im, reinterpret_cast<const int32_t*>(centres), B,
                           reinterpret_cast<const float*>(taps), R, step, spec,
                           reinterpret_cast<void*>(out), stream);
      },
      py::arg("state"), py::arg("image"), py::arg("baseline"), py::arg("H"), py::arg("W"),
      py::arg("C"), py::arg("centres"), py::arg("B"), py::arg("taps"), py::arg("R"),
      py::arg("op"), py::arg("white"), py::arg("quantise"), py::arg("layout"), py::arg("dtype"),
      py::arg("scale"), py::arg("mean"), py::arg("std"), py::arg("out"), py::arg("stream"));
  m.def("blend_isa", &blend_isa,
        "The instruction set of the CPU blend kernels: 'avx2' or 'baseline'");
  m.def("set_blend_isa", &set_blend_isa, py::arg("isa"),
        "'baseline' forces the baseline kernels, 'auto' restores the choice (tests, timing)");
  m.def("stream_bytes", &stream_bytes,
        "Window batches with a larger output are written with non-temporal stores (bytes)");
  m.def("set_stream_bytes", &set_stream_bytes, py::arg("bytes"),
        "Set that limit (0: always stream, huge: never); returns the old one (tests, timing)");
}

}  // namespace minplus::bindings
