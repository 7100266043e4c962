#include "bindings.hpp"
#include "minplus/subsets.hpp"

namespace py = pybind11;

namespace minplus::bindings {

using U64Array = py::array_t<uint64_t, py::array::c_style>;

void register_subsets(py::module_& m) {
  m.def("binomial", &binomial, py::arg("n"), py::arg("k"),
        "C(n, k); OverflowError when it exceeds 64 bits.");
  m.def("next_same_popcount", &next_same_popcount, py::arg("mask"));
  m.def(
      "fill_level",
      [](int n, int k, uint64_t start, U64Array out) {
        auto buf = out.mutable_unchecked<1>();
        const uint64_t count = static_cast<uint64_t>(buf.shape(0));
        uint64_t* dst = out.mutable_data();
        py::gil_scoped_release release;
        fill_level(n, k, start, count, dst);
      },
      py::arg("n"), py::arg("k"), py::arg("start"), py::arg("out"));
  m.def(
      "colex_rank",
      [](U64Array masks) {
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
        U64Array out(ranks.shape(0));
        const uint64_t* src = ranks.data();
        uint64_t* dst = out.mutable_data();
        const py::ssize_t B = ranks.shape(0);
        py::gil_scoped_release release;
        for (py::ssize_t i = 0; i < B; ++i) dst[i] = colex_unrank(n, k, src[i]);
        return out;
      },
      py::arg("n"), py::arg("k"), py::arg("ranks"));
}

}  // namespace minplus::bindings
