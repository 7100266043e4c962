// The planted-oracle harness: a LatticeSearch driven to its end against a monotone decision
// evaluated in C++, so that benchmarks time the engine alone, without Python or a model.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "minplus/lattice.hpp"

namespace minplus {

// Runs a search to its end against a planted monotone decision (preserved iff the kept-mask
// contains one of the planted sets), asking max_batch masks at a time. Returns the result with
// engine_seconds covering the whole loop, oracle included.
LatticeResult run_planted(const LatticeOptions& options, const std::vector<uint64_t>& planted,
                          size_t max_batch);

}  // namespace minplus
