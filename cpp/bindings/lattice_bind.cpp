#include <pybind11/stl.h>

#include "bindings.hpp"
#include "minplus/lattice.hpp"
#include "minplus/planted_oracle.hpp"

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
  d["effective_mode"] = r.effective_mode;
  d["budget_exhausted"] = r.budget_exhausted;
  d["empty_kept_state"] = r.empty_kept_state;
  d["work"] = r.work;
  d["engine_seconds"] = r.engine_seconds;
  return d;
}

}  // namespace

void register_lattice(py::module_& m) {
  py::enum_<Goal>(m, "Goal")
      .value("min_plus", Goal::min_plus)
      .value("min_minus", Goal::min_minus)
      .value("both", Goal::both);
  py::enum_<SearchMode>(m, "SearchMode")
      .value("exact", SearchMode::exact)
      .value("minimal", SearchMode::minimal)
      .value("monotone", SearchMode::monotone)
      .value("greedy", SearchMode::greedy);
  py::enum_<MaskState>(m, "MaskState")
      .value("unknown", MaskState::unknown)
      .value("pending", MaskState::pending)
      .value("broken", MaskState::broken)
      .value("preserved", MaskState::preserved);

  m.attr("LATTICE_WORK_PER_CALL") = kWorkPerCall;
  m.attr("LATTICE_MAX_UNPACED_SETS") = kMaxUnpacedSets;
  m.attr("LATTICE_MAX_BEAM") = kMaxBeam;
  m.attr("LATTICE_MAX_ASK") = kMaxAsk;

  py::class_<LatticeOptions>(m, "LatticeOptions")
      .def(py::init([](int n, Goal goal, SearchMode mode, int max_size, uint64_t budget,
                       bool first_only, std::vector<double> prior, int beam, int audit) {
             LatticeOptions o;
             o.n = n;
             o.goal = goal;
             o.mode = mode;
             o.max_size = max_size;
             o.budget = budget;
             o.first_only = first_only;
             o.prior = std::move(prior);
             o.beam = beam;
             o.audit = audit;
             return o;
           }),
           py::arg("n"), py::arg("goal") = Goal::both, py::arg("mode") = SearchMode::exact,
           py::arg("max_size") = -1, py::arg("budget") = 0, py::arg("first_only") = false,
           py::arg("prior") = std::vector<double>{}, py::arg("beam") = 0, py::arg("audit") = 16)
      .def_readwrite("n", &LatticeOptions::n)
      .def_readwrite("goal", &LatticeOptions::goal)
      .def_readwrite("mode", &LatticeOptions::mode)
      .def_readwrite("max_size", &LatticeOptions::max_size)
      .def_readwrite("budget", &LatticeOptions::budget)
      .def_readwrite("first_only", &LatticeOptions::first_only)
      .def_readwrite("prior", &LatticeOptions::prior)
      .def_readwrite("beam", &LatticeOptions::beam)
      .def_readwrite("audit", &LatticeOptions::audit);

  py::class_<Feasibility>(m, "Feasibility")
      .def_readonly("unpaced_sets", &Feasibility::unpaced_sets)
      .def_readonly("feasible", &Feasibility::feasible)
      .def_readonly("largest_max_size", &Feasibility::largest_max_size)
      .def_readonly("sets_at_largest", &Feasibility::sets_at_largest);
  m.def("lattice_feasibility", &feasibility, py::arg("options"),
        "What the search may have to walk without asking, and whether the engine accepts it.");

  py::class_<LatticeSearch>(m, "LatticeSearch")
      .def(py::init<const LatticeOptions&>(), py::arg("options"))
      .def(
          "ask",
          [](LatticeSearch& s, size_t max_batch) {
            std::vector<uint64_t> out;
            out.reserve(std::min<uint64_t>(max_batch, kMaxAsk));
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
      .def("done", &LatticeSearch::done, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("queries", &LatticeSearch::queries)
      .def_property_readonly("work", &LatticeSearch::work)
      .def("result", [](LatticeSearch& s) {
        LatticeResult r;
        {
          py::gil_scoped_release release;
          r = s.result();
        }
        return result_dict(r);
      });

  m.def(
      "lattice_run_planted",
      [](const LatticeOptions& options, std::vector<uint64_t> planted, size_t max_batch) {
        LatticeResult r;
        {
          py::gil_scoped_release release;
          r = run_planted(options, planted, max_batch);
        }
        return result_dict(r);
      },
      py::arg("options"), py::arg("planted"), py::arg("max_batch"),
      "Runs a search against a planted monotone decision evaluated in C++ (engine timing).");
}

}  // namespace minplus::bindings
