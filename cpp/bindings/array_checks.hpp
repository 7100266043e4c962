// Checks the bindings share: they only guard memory; the Python layer gives the friendly errors.
#pragma once
#include <omp.h>
#include <pybind11/numpy.h>

#include <stdexcept>
#include <string>

#include "minplus/masking.hpp"

namespace minplus::bindings {

inline void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

inline DType dtype_of(const pybind11::array& a) {
  const auto kind = a.dtype().kind();
  const auto size = a.itemsize();
  if (kind == 'u' && size == 1) return DType::u8;
  if (kind == 'f' && size == 2) return DType::f16;
  if (kind == 'f' && size == 4) return DType::f32;
  throw std::invalid_argument("unsupported dtype: expected uint8, float16 or float32");
}

// The team size for a kernel: 0 = OpenMP's default; anything larger is capped to it, because an
// unchecked request (e.g. 100000) goes straight into num_threads() and exhausts the process.
inline int thread_count(int requested) {
  require(requested >= 0, "num_threads must be >= 0, got " + std::to_string(requested));
  const int cap = omp_get_max_threads();
  return requested == 0 || requested > cap ? cap : requested;
}

// A C-contiguous, writeable buffer of exactly B images of the frames' size; returns its dtype.
inline DType checked_out(const pybind11::array& out, const Frames& f, int64_t B) {
  require(out.flags() & pybind11::array::c_style, "out must be C-contiguous");
  require(out.writeable(), "out must be writeable");
  require(out.size() == static_cast<pybind11::ssize_t>(B) * f.H * f.W * f.C,
          "out has the wrong size");
  return dtype_of(out);
}

}  // namespace minplus::bindings
