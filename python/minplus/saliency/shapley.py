"""Exact Shapley and Banzhaf values of regions from one evaluation of the whole lattice.

All 2^n kept-masks (n <= 20) are scored once, in increasing order (mask = its index, so the
scores array f is indexed by the mask itself); every region's value is then a weighted sum of
the bit-indexed differences f(S | i) - f(S) over the 2^(n-1) sets S without i:

    Shapley:  w(|S|) = |S|! (n - |S| - 1)! / n!        Banzhaf:  w = 1 / 2^(n-1)

Both indices come from the same scores; each method returns the other in ``extra``.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..errors import ArgumentError, RegionError
from .perturbation import paint, region_masker, run, score

MAX_EXACT_REGIONS = 20


def popcount(masks: np.ndarray) -> np.ndarray:
    """Number of set bits of each (B,) integer mask, (B,) int64."""
    m = np.asarray(masks, np.uint64)
    bits = np.unpackbits(m.view(np.uint8).reshape(len(m), 8), axis=1)
    return bits.sum(axis=1, dtype=np.int64)


def values_from_lattice(f: np.ndarray, n: int, index: str = "shapley") -> np.ndarray:
    """Shapley or Banzhaf values (n,) from the scores f (2^n,) of every kept-mask.

    Parameters
    ----------
    f : (2^n,) float ndarray
        f[S] = target score with exactly the regions in bitmask S kept.
    n : int
    index : {"shapley", "banzhaf"}

    Examples
    --------
    >>> f = np.array([0., 1., 2., 5.])  # f(S) over S = {}, {0}, {1}, {0, 1}
    >>> values_from_lattice(f, 2).tolist(), values_from_lattice(f, 2, "banzhaf").tolist()
    ([2.0, 3.0], [2.0, 3.0])
    """
    f = np.asarray(f, np.float64)
    if f.shape != (1 << n,):
        raise ArgumentError(f"f must have 2^n = {1 << n} scores, got shape {f.shape}")
    if index == "shapley":
        weight = np.array([1.0 / (n * comb(n - 1, k)) for k in range(n)])
    elif index == "banzhaf":
        weight = np.full(n, 0.5 ** (n - 1))
    else:
        raise ArgumentError(f"index must be 'shapley' or 'banzhaf', got {index!r}")
    sets = np.arange(1 << n, dtype=np.int64)
    size = popcount(sets)
    out = np.empty(n)
    for i in range(n):
        without = sets[(sets >> i) & 1 == 0]
        out[i] = np.dot(weight[size[without]], f[without | (1 << i)] - f[without])
    return out


def _lattice_one(model, image, target, regions, names, baseline, index, progress):
    masker, labels, names = region_masker(image, regions, names, baseline)
    n = len(names)
    if n > MAX_EXACT_REGIONS:
        raise RegionError(f"exact {index} values enumerate 2^n masks; n={n} regions is more than "
                          f"{MAX_EXACT_REGIONS} (use kernel_shap or merge regions)")
    f = score(model, masker, np.arange(1 << n, dtype=np.uint64), target, progress,
              f"{index} lattice")
    other = "banzhaf" if index == "shapley" else "shapley"
    values = values_from_lattice(f, n, index)
    extra = {other: dict(zip(names, values_from_lattice(f, n, other).tolist())),
             "lattice_scores": f}
    return paint(labels, values), 1 << n, dict(zip(names, values.tolist())), extra


def shapley_values(model, image, target=None, *, regions=None, names=None, baseline="black",
                   progress=True):
    """Exact Shapley values of n <= 20 regions (2^n model evaluations).

    Parameters
    ----------
    model, image, target : as :func:`minplus.saliency.occlusion`.
    regions : RegionMap-like or (H, W) int ndarray
        Region id per pixel in [0, n), -1 for context (kept or masked by the map's context).
    names : list of str, optional
        Region names for a plain labels array.
    baseline : str or ndarray
        What a removed region shows.

    Returns
    -------
    SaliencyMap with ``regions`` {name: Shapley value} painted into the map;
    ``extra["banzhaf"]`` the Banzhaf values and ``extra["lattice_scores"]`` f (2^n,) from the same
    evaluations. The values sum to f(all) - f(none) (efficiency).

    Raises
    ------
    RegionError
        If n > 20.

    Examples
    --------
    >>> img = np.zeros((2, 4, 1), np.float32); img[:, :2] = 1
    >>> lab = np.array([[0, 0, 1, 1]] * 2)
    >>> shapley_values(lambda x: x.sum(axis=(1, 2, 3)) ** 2, img, regions=lab, progress=False).regions
    {'r0': 16.0, 'r1': 0.0}
    """
    return run("shapley", model, image, target, _lattice_one, regions=regions, names=names,
               baseline=baseline, index="shapley", progress=progress)


def banzhaf_values(model, image, target=None, *, regions=None, names=None, baseline="black",
                   progress=True):
    """Exact Banzhaf values of n <= 20 regions; parameters as :func:`shapley_values`.

    Returns
    -------
    SaliencyMap with ``regions`` {name: Banzhaf value}; ``extra["shapley"]`` the Shapley values.
    """
    return run("banzhaf", model, image, target, _lattice_one, regions=regions, names=names,
               baseline=baseline, index="banzhaf", progress=progress)
