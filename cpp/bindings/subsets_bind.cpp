#include <string>

#include "array_checks.hpp"
#include "bindings.hpp"
#include "minplus/subsets.hpp"

namespace py = pybind11;

namespace minplus::bindings {

namespace {

using U64Array = py::array_t<uint64_t, py::array::c_style>;

// The kernels index a 65 x 65 binomial table and shift 64-bit words: (n, k) outside it is memory
// corruption, not a wrong answer, so it is refused here whatever the Python layer checked.
void check_level(int n, int k) {
  require(n >= 0 && n <= kMaxRegions, "n must be in [0, 64], got " + std::to_string(n));
  require(k >= 0 && k <= n, "k must be in [0, n], got " + std::to_string(k));
}

}  // namespace

void register_subsets(py::module_& m) {
  m.def("binomial", &binomial, py::arg("n"), py::arg("k"),
        "C(n, k); OverflowError when it exceeds 64 bits.");
  m.def(
      "next_same_popcount",
      [](uint64_t mask) {
        require(mask != 0, "mask must be non-zero");
        return next_same_popcount(mask);
      },
      py::arg("mask"));
  m.def(
      "fill_level",
      [](int n, int k, uint64_t start, U64Array out) {
        check_level(n, k);
        auto buf = out.mutable_unchecked<1>();
        const uint64_t count = static_cast<uint64_t>(buf.shape(0));
        const uint64_t total = binomial(n, k);
        require(start <= total && count <= total - start, "start + count runs past the level");
        uint64_t* dst = out.mutable_data();
        py::gil_scoped_release release;
        fill_level(n, k, start, count, dst);
      },
      py::arg("n"), py::arg("k"), py::arg("start"), py::arg("out"));
  m.def(
      "colex_rank",
      [](U64Array masks) {
        require(masks.ndim() == 1, "masks must be 1-D");
        U64Array out(masks.shape(0));
        const uint64_t* src = masks.data();
        uint64_t* dst = out.mutable_data();
        const py::ssize_t B = masks.shape(0);
        py::gil_scoped_release release;
        for (py::ssize_t i = 0; i < B; ++i) dst[i] = colex_rank(src[i]);
        return out;
      },
      py::arg("masks"));
  m.def(
      "colex_unrank",
      [](int n, int k, U64Array ranks) {
        check_level(n, k);
        require(ranks.ndim() == 1, "ranks must be 1-D");
        const uint64_t total = binomial(n, k);
        U64Array out(ranks.shape(0));
        const uint64_t* src = ranks.data();
        for (py::ssize_t i = 0; i < ranks.shape(0); ++i)
          require(src[i] < total, "rank out of range for C(n, k)");
        uint64_t* dst = out.mutable_data();
        const py::ssize_t B = ranks.shape(0);
        py::gil_scoped_release release;
        for (py::ssize_t i = 0; i < B; ++i) dst[i] = colex_unrank(n, k, src[i]);
        return out;
      },
      py::arg("n"), py::arg("k"), py::arg("ranks"));
}

}  // namespace minplus::bindings
