#include <algorithm>
#include <stdexcept>

#include "array_checks.hpp"
#include "bindings.hpp"
#include "minplus/rise.hpp"

namespace py = pybind11;

namespace minplus::bindings {

void register_rise(py::module_& m) {
  m.def(
      "rise_masks",
      [](int64_t first, int H, int W, int s, double p, uint64_t seed,
         py::array_t<float, py::array::c_style> out, int num_threads) {
        if (out.ndim() != 3 || out.shape(1) != H || out.shape(2) != W)
          throw std::invalid_argument("out must be (N, H, W) float32");
        if (s < 1 || H < 1 || W < 1 || first < 0 || !(p >= 0.0 && p <= 1.0))
          throw std::invalid_argument("need s, H, W >= 1, first >= 0 and p in [0, 1]");
        // the grid's (s + 2)^2 floats per thread are bounded by the image they serve
        if (s > std::max(H, W)) throw std::invalid_argument("need s <= max(H, W)");
        const int64_t N = out.shape(0);
        float* dst = out.mutable_data();
        const int threads = thread_count(num_threads);
        py::gil_scoped_release release;
        rise_masks_cpu(first, N, H, W, s, p, seed, dst, threads);
      },
      py::arg("first"), py::arg("H"), py::arg("W"), py::arg("s"), py::arg("p"), py::arg("seed"),
      py::arg("out"), py::arg("num_threads") = 0);
}

}  // namespace minplus::bindings
