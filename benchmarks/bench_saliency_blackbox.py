"""pytest-benchmark suite for the black-box saliency methods and their Captum counterparts, on
the small 3-conv CNN at 112 x 112 (see benchmarks/blackbox_workloads.py).

Run: PYTHONPATH=python python -m pytest benchmarks/bench_saliency_blackbox.py --benchmark-enable
The ratios in RESULTS.md come from compare_saliency_blackbox.py (one run, one table).
"""

import numpy as np
import pytest
from captum.attr import FeatureAblation, KernelShap, Occlusion

from benchmarks.blackbox_workloads import (MODEL, NET, TARGET, ClosedFormRegression,
                                           astronaut_image, feature_mask, grid_labels, nchw)
from minplus.models.base import as_model
from minplus.saliency import (kernel_shap, lime, minplus_map, occlusion, region_occlusion, rise,
                              shapley_values)

IMG = astronaut_image(112)
X = nchw(IMG)
LABELS = grid_labels(112, 7)
OURS = as_model(MODEL, batch_size=64)


def test_occlusion(benchmark):
    benchmark(occlusion, OURS, IMG, TARGET, window=16, stride=8, progress=False)


@pytest.mark.parametrize("ppe", [1, 8, 64])
def test_captum_occlusion(benchmark, ppe):
    benchmark(Occlusion(NET).attribute, X, sliding_window_shapes=(3, 16, 16), strides=(3, 8, 8),
              baselines=0.0, target=TARGET, perturbations_per_eval=ppe)


def test_region_occlusion(benchmark):
    benchmark(region_occlusion, OURS, IMG, TARGET, regions=LABELS, progress=False)


@pytest.mark.parametrize("ppe", [8, 64])
def test_captum_feature_ablation(benchmark, ppe):
    benchmark(FeatureAblation(NET).attribute, X, baselines=0.0, target=TARGET,
              feature_mask=feature_mask(LABELS), perturbations_per_eval=ppe)


def test_lime(benchmark):
    benchmark(lime, OURS, IMG, TARGET, regions=LABELS, n_samples=500, progress=False)


def test_kernel_shap(benchmark):
    benchmark(kernel_shap, OURS, IMG, TARGET, regions=LABELS, n_samples=498, progress=False)


def test_captum_kernel_shap(benchmark):
    ks = KernelShap(NET)
    ks.interpretable_model = ClosedFormRegression()
    benchmark(ks.attribute, X, baselines=0.0, target=TARGET, feature_mask=feature_mask(LABELS),
              n_samples=500, perturbations_per_eval=64)


def test_rise(benchmark):
    benchmark(rise, OURS, IMG, TARGET, n_masks=1000, progress=False)


def test_exact_shapley_10_regions(benchmark):
    bands = np.repeat((np.arange(112) * 10 // 112)[None], 112, axis=0)
    benchmark(shapley_values, OURS, IMG, TARGET, regions=bands, progress=False)


def test_minplus_fast_preset_256(benchmark):
    face = astronaut_image(256)
    benchmark.pedantic(minplus_map, (OURS, face, TARGET), {"preset": "fast", "progress": False},
                       rounds=1, iterations=1)
