// RISE random masks (Petsiuk et al., BMVC 2018): a coarse binary grid, each cell kept with
// probability p, bilinearly upsampled and shifted by a random sub-cell offset so that the smooth
// masks do not all share the same cell borders.
#pragma once
#include <cstdint>

namespace minplus {

// N masks (N, H, W) float32 in [0, 1] into out. Mask n is, at pixel (y, x), the bilinear
// interpolation of a (s + 2) x (s + 2) grid of Bernoulli(p) nodes spaced ch = ceil(H / s) by
// cw = ceil(W / s) pixels, sampled at ((y + dy_n) / ch, (x + dx_n) / cw) with integer shifts
// dy_n in [0, ch), dx_n in [0, cw). Mask n depends only on (seed, n): any thread count and any
// split of [0, N) give the same masks. Needs 1 <= s <= max(H, W): a finer grid has cells under a
// pixel, so it adds nothing but its (s + 2)^2 floats per thread. Allocation failures inside the
// threads are rethrown to the caller (std::bad_alloc), never left to escape the OpenMP region.
void rise_masks_cpu(int64_t first, int64_t N, int H, int W, int s, double p, uint64_t seed,
                    float* out, int num_threads);

}  // namespace minplus
