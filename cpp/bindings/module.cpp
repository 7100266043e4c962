#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "minplus native core: subset enumeration, fused region masking, lattice search";
  minplus::bindings::register_subsets(m);
  minplus::bindings::register_masking(m);
  minplus::bindings::register_lattice(m);
  minplus::bindings::register_blend(m);
  minplus::bindings::register_rise(m);
}
