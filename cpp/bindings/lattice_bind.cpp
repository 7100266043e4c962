#include <pybind11/stl.h>

#include "bindings.hpp"
#include "minplus/lattice.hpp"

namespace py = pybind11;

namespace minplus::bindings {
namespace {

using U64Array = py::array_t<uint64_t, py::array::c_style>;
using BoolArray = py::array_t<bool, py::array::c_style>;

U64Array to_array(const std::vector<uint64_t>& v) {
  U64Array a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict goal_dict(const GoalReport& g) {
  py::dict d;
  d["searched"] = g.searched;
  d["solutions"] = to_array(g.solutions);
  d["proven_below"] = g.proven_below;
  d["finished"] = g.finished;
  d["max_size_reached"] = g.max_size_reached;
  return d;
}

py::dict result_dict(const LatticeResult& r) {
  py::dict d;
  d["min_plus"] = goal_dict(r.plus);
  d["min_minus"] = goal_dict(r.minus);
  d["queries"] = r.queries;
  d["batches"] = r.batches;
  d["pruned"] = r.pruned;
  d["audits"] = r.audits;
  d["queries_per_level"] = to_array(r.queries_per_level);
  d["violations"] = r.violations;
  d["violating_masks"] = to_array(r.violating_masks);
  d["fell_back"] = r.fell_back;
  d["budget_exhausted"] = r.budget_exhausted;
  d["empty_kept_state"] = r.empty_kept_state;
  d["engine_seconds"] = r.engine_seconds;
  return d;
}

LatticeOptions options_of(int n, int goal, int mode, int max_size, uint64_t budget,
                          bool first_only, std::vector<double> prior, int beam, int audit) {
  LatticeOptions o;
  o.n = n;
  o.goal = static_cast<Goal>(goal);
  o.mode = static_cast<SearchMode>(mode);
  o.max_size = max_size;
  o.budget = budget;
  o.first_only = first_only;
  o.prior = std::move(prior);
  o.beam = beam;
  o.audit = audit;
  return o;
}

}  // namespace

void register_lattice(py::module_& m) {
  py::class_<LatticeSearch>(m, "LatticeSearch")
      .def(py::init([](int n, int goal, int mode, int max_size, uint64_t budget, bool first_only,
                       std::vector<double> prior, int beam, int audit) {
             return std::make_unique<LatticeSearch>(options_of(
                 n, goal, mode, max_size, budget, first_only, std::move(prior), beam, audit));
           }),
           py::arg("n"), py::arg("goal"), py::arg("mode"), py::arg("max_size"), py::arg("budget"),
           py::arg("first_only"), py::arg("prior"), py::arg("beam"), py::arg("audit"))
      .def(
          "ask",
          [](LatticeSearch& s, size_t max_batch) {
            std::vector<uint64_t> out;
            out.reserve(std::min<size_t>(max_batch, 1 << 20));
            {
              py::gil_scoped_release release;
              s.ask(max_batch, out);
            }
            return to_array(out);
          },
          py::arg("max_batch"))
      .def(
          "tell",
          [](LatticeSearch& s, U64Array masks, BoolArray preserved) {
            if (masks.ndim() != 1 || preserved.ndim() != 1 || masks.shape(0) != preserved.shape(0))
              throw std::invalid_argument("tell: masks and preserved must be 1-D of one length");
            const uint64_t* m = masks.data();
            const auto* p = reinterpret_cast<const uint8_t*>(preserved.data());
            const size_t count = static_cast<size_t>(masks.shape(0));
            py::gil_scoped_release release;
            s.tell(m, p, count);
          },
          py::arg("masks"), py::arg("preserved"))
      .def("done", &LatticeSearch::done)
      .def_property_readonly("queries", &LatticeSearch::queries)
      .def("result", [](LatticeSearch& s) { return result_dict(s.result()); });

  m.def(
      "lattice_run_planted",
      [](int n, int goal, int mode, int max_size, bool first_only, int beam, int audit,
         std::vector<uint64_t> planted, size_t max_batch) {
        const LatticeOptions o =
            options_of(n, goal, mode, max_size, 0, first_only, {}, beam, audit);
        LatticeResult r;
        {
          py::gil_scoped_release release;
          r = run_planted(o, planted, max_batch);
        }
        return result_dict(r);
      },
      py::arg("n"), py::arg("goal"), py::arg("mode"), py::arg("max_size"), py::arg("first_only"),
      py::arg("beam"), py::arg("audit"), py::arg("planted"), py::arg("max_batch"),
      "Runs a search against a planted monotone decision evaluated in C++ (engine timing).");
}

}  // namespace minplus::bindings
