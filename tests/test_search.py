"""minplus.search: the driver over a real Masker and numpy models, against brute force."""

import numpy as np
import pytest
from skimage import data

import minplus
from minplus import Masker, RegionError, SearchInterrupted, SearchResult, ShapeError
from minplus.errors import ModelError
from minplus.models.decision import Decision
from minplus.search import _AutoBatch

from test_lattice import breaking_removed, minimum_sets, one_minimal, subset_minimal


class KeepsFraction(Decision):
    """Preserved while the score stays above a fraction of the unmasked image's score."""

    def __init__(self, fraction):
        self.fraction = fraction

    def preserved(self, scores):
        return scores[:, 0] >= self.fraction * self.original[0]


def grid_labels(h, w, rows, cols):
    r = np.minimum(np.arange(h) * rows // h, rows - 1)
    c = np.minimum(np.arange(w) * cols // w, cols - 1)
    return (r[:, None] * cols + c[None, :]).astype(np.int32)


@pytest.fixture(scope="module")
def face():
    return np.ascontiguousarray(data.astronaut()[:256:2, 128:384:2])  # (128, 128, 3) uint8


def linear_model(shape, seed, signed):
    w = np.random.default_rng(seed).random(shape).astype(np.float32)
    if signed:
        w -= 0.45
    return lambda images: (images.astype(np.float32) * w).sum(axis=(1, 2, 3), dtype=np.float64)


def brute_force(masker, model, decision):
    """(2^n,) bool: whether each kept-mask preserves, from rendering every mask."""
    full = 2 ** masker.n - 1
    decision.bind(np.atleast_1d(model(masker.image[None].copy())[0]))
    masks = np.arange(2 ** masker.n, dtype=np.uint64)
    pres = np.concatenate([decision(np.asarray(model(masker.render(masks[i:i + 256])))[:, None])
                           for i in range(0, len(masks), 256)])
    pres[full] = True
    return pres


@pytest.mark.parametrize("signed, baseline", [(False, "black"), (True, "mean")])
@pytest.mark.parametrize("mode", ["exact", "minimal", "monotone"])
def test_search_equals_brute_force(face, mode, signed, baseline):
    n = 9
    masker = Masker(face, grid_labels(128, 128, 3, 3), baseline=baseline)
    model = linear_model(face.shape, 1, signed)
    pres = brute_force(masker, model, KeepsFraction(0.6))
    r = minplus.search(model, masker, KeepsFraction(0.6), mode=mode, progress=False)
    assert isinstance(r, SearchResult) and r.queries <= 2 ** n - 1
    if mode == "minimal":
        assert sorted(r.min_plus) == subset_minimal(n, pres)
        assert sorted(r.min_minus) == subset_minimal(n, breaking_removed(n, pres))
    elif mode == "exact" or not r.fell_back and not signed:
        assert r.min_plus == minimum_sets(n, pres)
        assert r.min_minus == minimum_sets(n, breaking_removed(n, pres))
    if mode == "monotone" and not signed:  # non-negative weights over a black baseline: monotone
        assert r.violations == 0


def test_greedy_through_the_driver_is_one_minimal(face):
    n = 10
    masker = Masker(face, grid_labels(128, 128, 2, 5), baseline="blur")
    model = linear_model(face.shape, 3, True)
    pres = brute_force(masker, model, KeepsFraction(0.8))
    for beam in (None, 3):
        r = minplus.search(model, masker, KeepsFraction(0.8), mode="greedy", beam=beam,
                           progress=False)
        assert one_minimal(n, pres, r.min_plus[0])
        if not pres[0]:
            assert one_minimal(n, breaking_removed(n, pres), r.min_minus[0])


@pytest.mark.parametrize("batch_size", ["auto", 1, 7, 5000])
def test_batch_size_does_not_change_the_answer(face, batch_size):
    masker = Masker(face, grid_labels(128, 128, 2, 4), baseline="gray")
    model = linear_model(face.shape, 5, True)
    ref = minplus.search(model, masker, KeepsFraction(0.7), batch_size=1, progress=False)
    r = minplus.search(model, masker, KeepsFraction(0.7), batch_size=batch_size, progress=False)
    assert (r.min_plus, r.min_minus, r.queries) == (ref.min_plus, ref.min_minus, ref.queries)
    if batch_size != 1:
        assert r.batches < ref.batches


def test_result_names_bounds_and_timings(face):
    names = ["forehead", "eyes", "nose", "mouth"]
    masker = Masker(face, grid_labels(128, 128, 4, 1), baseline="black")
    model = lambda x: x[:, 32:64].astype(np.float64).mean(axis=(1, 2, 3))  # only "eyes" counts
    r = minplus.search(model, masker, KeepsFraction(0.9), names=names, progress=False)
    assert r.min_plus == [0b10] and r.min_plus_names == [["eyes"]]
    assert r.min_minus_names == [["eyes"]]
    assert "min_plus: no kept set of size < 1 preserves the decision" in r.bounds
    assert r.queries_per_level.shape == (5,) and r.queries_per_level.sum() == r.queries
    assert r.engine_seconds > 0 and r.model_seconds > 0
    assert r.seconds >= r.model_seconds + r.engine_seconds
    assert "['eyes']" in str(r)


def test_min_plus_empty_and_min_minus_none(face):
    masker = Masker(face, grid_labels(128, 128, 2, 3), baseline="mean")
    r = minplus.search(lambda x: np.ones(len(x)), masker, KeepsFraction(0.5), progress=False)
    assert r.min_plus == [0] and r.min_plus_empty and r.min_plus_names == [[]]
    assert r.min_minus == [] and r.min_minus_none


def test_sixty_four_regions(face):
    masker = Masker(face, grid_labels(128, 128, 8, 8), baseline="black")
    # The decision needs regions 9 and 54 kept: a planted pair among 64 regions.
    model = lambda x: np.minimum(x[:, 16:32, 16:32].astype(np.float64).sum(axis=(1, 2, 3)),
                                 x[:, 96:112, 96:112].astype(np.float64).sum(axis=(1, 2, 3)))
    need = (1 << 9) | (1 << 54)
    r = minplus.search(model, masker, KeepsFraction(0.5), mode="greedy", progress=False)
    assert r.min_plus == [need] and r.min_minus[0] in (1 << 9, 1 << 54)
    r = minplus.search(model, masker, KeepsFraction(0.5), mode="monotone", goal="min_plus",
                       batch_size=4096, progress=False)
    assert r.min_plus == [need] and r.names[63] == "r63"


def failing_model(after, how):
    calls = []

    def fn(images):
        calls.append(len(images))
        if len(calls) > after:
            if how == "nan":
                return np.full(len(images), np.nan)
            if how == "raise":
                raise RuntimeError("GPU fell off")
            raise KeyboardInterrupt
        return images.astype(np.float64).mean(axis=(1, 2, 3))
    return fn


@pytest.mark.parametrize("how", ["nan", "raise"])
def test_model_failure_mid_search_keeps_the_partial_result(face, how):
    masker = Masker(face, grid_labels(128, 128, 3, 3), baseline="black")
    with pytest.raises(SearchInterrupted) as info:
        minplus.search(failing_model(3, how), masker, KeepsFraction(0.9), batch_size=4,
                       progress=False)
    e = info.value
    assert isinstance(e, ModelError) and isinstance(e.__cause__, ModelError)
    assert isinstance(e.partial, SearchResult)
    # Call 1 scores the unmasked image; two batches of 4 are told, the third is asked and lost.
    assert e.partial.queries == 4 * 2 + 4
    assert e.partial.proven_below["min_plus"] >= 1  # level 0 was decided before the failure


def test_keyboard_interrupt_keeps_the_partial_result(face):
    masker = Masker(face, grid_labels(128, 128, 3, 3), baseline="black")
    with pytest.raises(KeyboardInterrupt) as info:
        minplus.search(failing_model(2, "interrupt"), masker, KeepsFraction(0.9), batch_size=8,
                       progress=False)
    assert isinstance(info.value.partial, SearchResult) and info.value.partial.queries == 16


def test_budget(face):
    masker = Masker(face, grid_labels(128, 128, 3, 4), baseline="black")
    model = linear_model(face.shape, 2, True)
    r = minplus.search(model, masker, KeepsFraction(0.95), budget=50, batch_size=8,
                       progress=False)
    assert r.queries <= 50
    assert r.budget_exhausted == (not all(r.finished.values()))


def test_progress_bar(face, capsys):
    masker = Masker(face, grid_labels(128, 128, 2, 2), baseline="black")
    minplus.search(linear_model(face.shape, 0, False), masker, KeepsFraction(0.5), progress=True)
    assert "query" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, error", [
    ({"batch_size": 0}, ValueError), ({"batch_size": "big"}, ValueError),
    ({"goal": "min"}, ValueError), ({"mode": "fast"}, ValueError),
    ({"names": ["a"]}, ShapeError), ({"beam": 2}, ValueError), ({"prior": [1.0]}, ShapeError),
])
def test_bad_arguments(face, kwargs, error):
    masker = Masker(face, grid_labels(128, 128, 2, 2), baseline="black")
    with pytest.raises(error):
        minplus.search(linear_model(face.shape, 0, False), masker, KeepsFraction(0.5),
                       progress=False, **kwargs)


def test_a_masker_without_regions_is_rejected(face):
    masker = Masker(face, np.full(face.shape[:2], -1, np.int32))
    with pytest.raises(RegionError, match="at least one region"):
        minplus.search(lambda x: x.mean(axis=(1, 2, 3)), masker, KeepsFraction(0.5))


@pytest.mark.parametrize("peak", [1, 8, 64])
def test_auto_batch_settles_on_the_fastest_size(peak):
    # Throughput rises up to `peak` and falls after it, like a CPU CNN.
    sizer = _AutoBatch(cap=1024)
    for _ in range(40):
        b = sizer.size
        rate = 1000.0 * min(b, peak) / peak * (1.0 if b <= peak else peak / b)
        sizer.record(b, b / rate)
    assert sizer.settled and sizer.size == peak
