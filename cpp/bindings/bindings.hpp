// Each binding file registers one concept of the core; module.cpp only calls them.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace minplus::bindings {
void register_subsets(pybind11::module_& m);
void register_masking(pybind11::module_& m);
void register_lattice(pybind11::module_& m);
void register_blend(pybind11::module_& m);
void register_rise(pybind11::module_& m);
}  // namespace minplus::bindings
