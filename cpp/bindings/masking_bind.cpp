#include <omp.h>

#include <stdexcept>
#include <string>

#include "array_checks.hpp"
#include "bindings.hpp"
#include "minplus/masking.hpp"

namespace py = pybind11;

namespace minplus::bindings {
namespace {

Layout layout_of(const std::string& s) {
  if (s == "hwc") return Layout::hwc;
  if (s == "nchw") return Layout::nchw;
  throw std::invalid_argument("layout must be 'hwc' or 'nchw', got '" + s + "'");
}

Frames frames_of(const py::array& image, const py::array& baseline, const std::string& layout,
                 int H, int W) {
  require(image.flags() & py::array::c_style, "image frame must be C-contiguous");
  require(baseline.flags() & py::array::c_style, "baseline frame must be C-contiguous");
  require(image.ndim() == 3 && baseline.ndim() == 3, "frames must be 3-D");
  require(image.dtype().is(baseline.dtype()), "image and baseline frames differ in dtype");
  const Layout l = layout_of(layout);
  const int C = static_cast<int>(l == Layout::hwc ? image.shape(2) : image.shape(0));
  const py::ssize_t h = l == Layout::hwc ? image.shape(0) : image.shape(1);
  const py::ssize_t w = l == Layout::hwc ? image.shape(1) : image.shape(2);
  require(h == H && w == W, "frame size differs from the region map");
  for (int d = 0; d < 3; ++d) require(image.shape(d) == baseline.shape(d), "frame shapes differ");
  return Frames{image.data(), baseline.data(), H, W, C, l, dtype_of(image)};
}

void check_out(const py::array& out, const Frames& f, DType dtype, py::ssize_t B) {
  require(checked_out(out, f, B) == dtype, "out has the wrong dtype");
}

}  // namespace

void register_masking(py::module_& m) {
  py::class_<RegionSpans>(m, "RegionSpans")
      .def(py::init([](py::array_t<int32_t, py::array::c_style> labels) {
             require(labels.ndim() == 2, "labels must be 2-D");
             // region ids index the bits of a uint64 mask: anything outside [-1, 64) is a shift
             // past the word in the kernels
             const int32_t* l = labels.data();
             for (py::ssize_t i = 0; i < labels.size(); ++i)
               require(l[i] >= -1 && l[i] < 64, "labels must lie in [-1, 64)");
             return RegionSpans::from_labels(labels.data(), static_cast<int>(labels.shape(0)),
                                             static_cast<int>(labels.shape(1)));
           }),
           py::arg("labels"))
      .def_readonly("H", &RegionSpans::H)
      .def_readonly("W", &RegionSpans::W)
      .def_property_readonly("num_spans", [](const RegionSpans& s) { return s.spans.size(); });

  py::class_<SoftWeights>(m, "SoftWeights")
      .def(py::init([](py::array_t<float, py::array::c_style> w) {
             require(w.ndim() == 3, "weights must be 3-D (K, H, W)");
             require(w.shape(0) <= 64, "weights may hold at most 64 regions");
             return SoftWeights::from_dense(w.data(), static_cast<int>(w.shape(0)),
                                            static_cast<int>(w.shape(1)),
                                            static_cast<int>(w.shape(2)));
           }),
           py::arg("weights"))
      .def_readonly("K", &SoftWeights::K)
      .def_property_readonly("context", [](const SoftWeights& s) {
        py::array_t<float> a({s.H, s.W});
        std::copy(s.context.begin(), s.context.end(), a.mutable_data());
        return a;
      });

  m.def(
      "render_spans",
      [](const RegionSpans& spans, py::array image, py::array baseline, const std::string& layout,
         py::array_t<uint64_t, py::array::c_style> masks, bool context_keep, py::array out,
         int num_threads) {
        const Frames f = frames_of(image, baseline, layout, spans.H, spans.W);
        check_out(out, f, f.dtype, masks.shape(0));
        const uint64_t* mk = masks.data();
        void* dst = out.mutable_data();
        const int64_t B = masks.shape(0);
        const int threads = thread_count(num_threads);
        py::gil_scoped_release release;
        render_spans_cpu(spans, f, mk, B, context_keep, dst, threads);
      },
      py::arg("spans"), py::arg("image"), py::arg("baseline"), py::arg("layout"), py::arg("masks"),
      py::arg("context_keep"), py::arg("out"), py::arg("num_threads") = 0);

  m.def(
      "render_soft",
      [](const SoftWeights& w, py::array_t<float, py::array::c_style> image,
         py::array_t<float, py::array::c_style> baseline, const std::string& layout,
         py::array_t<uint64_t, py::array::c_style> masks, bool context_keep, py::array out,
         int num_threads) {
        const Frames f = frames_of(image, baseline, layout, w.H, w.W);
        const DType out_dtype = dtype_of(out);
        check_out(out, f, out_dtype, masks.shape(0));
        const uint64_t* mk = masks.data();
        void* dst = out.mutable_data();
        const int64_t B = masks.shape(0);
        const int threads = thread_count(num_threads);
        py::gil_scoped_release release;
        render_soft_cpu(w, f, mk, B, context_keep, out_dtype, dst, threads);
      },
      py::arg("weights"), py::arg("image"), py::arg("baseline"), py::arg("layout"),
      py::arg("masks"), py::arg("context_keep"), py::arg("out"), py::arg("num_threads") = 0);

  // CUDA: raw device pointers (from torch / cupy, taken in minplus.core); dtype codes as DType.
  m.def(
      "render_labels_cuda",
      [](uintptr_t labels, uintptr_t image, uintptr_t baseline, int H, int W, int C,
         const std::string& layout, int dtype, uintptr_t masks, int64_t B, bool context_keep,
         uintptr_t out, uintptr_t stream) {
        const Frames f{reinterpret_cast<const void*>(image), reinterpret_cast<const void*>(baseline),
                       H, W, C, layout_of(layout), static_cast<DType>(dtype)};
        py::gil_scoped_release release;
        render_labels_cuda(reinterpret_cast<const int32_t*>(labels), f,
                           reinterpret_cast<const uint64_t*>(masks), B, context_keep,
                           reinterpret_cast<void*>(out), stream);
      },
      py::arg("labels"), py::arg("image"), py::arg("baseline"), py::arg("H"), py::arg("W"),
      py::arg("C"), py::arg("layout"), py::arg("dtype"), py::arg("masks"), py::arg("B"),
      py::arg("context_keep"), py::arg("out"), py::arg("stream"));
  m.def(
      "render_soft_cuda",
      [](uintptr_t weights, uintptr_t context, int K, uintptr_t image, uintptr_t baseline, int H,
         int W, int C, const std::string& layout, uintptr_t masks, int64_t B, bool context_keep,
         int out_dtype, uintptr_t out, uintptr_t stream) {
        const Frames f{reinterpret_cast<const void*>(image), reinterpret_cast<const void*>(baseline),
                       H, W, C, layout_of(layout), DType::f32};
        py::gil_scoped_release release;
        render_soft_cuda(reinterpret_cast<const float*>(weights),
                         reinterpret_cast<const float*>(context), K, f,
                         reinterpret_cast<const uint64_t*>(masks), B, context_keep,
                         static_cast<DType>(out_dtype), reinterpret_cast<void*>(out), stream);
      },
      py::arg("weights"), py::arg("context"), py::arg("K"), py::arg("image"), py::arg("baseline"),
      py::arg("H"), py::arg("W"), py::arg("C"), py::arg("layout"), py::arg("masks"), py::arg("B"),
      py::arg("context_keep"), py::arg("out_dtype"), py::arg("out"), py::arg("stream"));
  m.def("max_threads", [] { return omp_get_max_threads(); }, "OpenMP's default thread count");
  m.def("cuda_compiled", &cuda_compiled);
  m.def("cuda_device_count", &cuda_device_count);
}

}  // namespace minplus::bindings
