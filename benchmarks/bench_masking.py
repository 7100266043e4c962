"""pytest-benchmark suite for the core: fused masking and subset enumeration.

Run: python -m pytest benchmarks/bench_masking.py --benchmark-enable
"""

import itertools

import numpy as np
import pytest

from benchmarks.workloads import numpy_reference, workload
from minplus import Masker, core


@pytest.fixture(params=[112, 224], ids=lambda s: f"{s}px")
def masker_and_masks(request):
    image, labels, masks = workload(request.param, request.param)
    return Masker(image, labels, baseline="blur"), masks


@pytest.mark.parametrize("threads", [1, 0], ids=["1thread", "allthreads"])
def test_render_hwc_uint8(benchmark, masker_and_masks, threads):
    m, masks = masker_and_masks
    out = np.empty(m.output_shape(len(masks)), np.uint8)
    benchmark(m.render, masks, out=out, num_threads=threads)


def test_render_nchw_float32_normalised(benchmark, masker_and_masks):
    m, masks = masker_and_masks
    out = np.empty(m.output_shape(len(masks), "nchw"), np.float32)
    kw = dict(layout="nchw", scale=1 / 255, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    benchmark(m.render, masks, out=out, **kw)


def test_numpy_reference(benchmark, masker_and_masks):
    m, masks = masker_and_masks
    benchmark(numpy_reference, m.image, m.baseline, m.labels, masks, m.n)


def test_memcpy(benchmark, masker_and_masks):
    m, masks = masker_and_masks
    src = np.ones(m.output_shape(len(masks)), np.uint8)
    dst = np.empty_like(src)
    benchmark(np.copyto, dst, src)


def test_enumerate_level_24_12(benchmark):
    out = np.empty(core.count(24, 12), np.uint64)
    benchmark(core.level, 24, 12, out=out)


def test_enumerate_itertools_20_10(benchmark):
    benchmark(lambda: [sum(1 << i for i in c) for c in itertools.combinations(range(20), 10)])
