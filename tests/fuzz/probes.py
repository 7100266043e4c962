"""Fuzz probes: one per group of entry points, each drawing its arguments with hypothesis.

A probe gets a hypothesis ``data`` object and a :class:`recorder.Recorder`, and makes several
calls through ``rec.call`` (so each is logged and sorted). Arguments are mostly plausible, so
that calls get deep into the code, and sometimes junk: wrong types, NaN, huge or negative
sizes, odd dtypes, non-contiguous and negative-stride views, buffers that alias inputs.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import minplus
from minplus import LatticeSearch, Masker, _core, core
from minplus.saliency.indexed_maskers import AlphaMasker, WindowMasker
from minplus.saliency.rise import rise, rise_masks

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64,
          np.float16, np.float32, np.float64, np.bool_, np.complex64]

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
    st.text(max_size=4), st.lists(st.integers(-3, 70), max_size=3), st.just(float("nan")),
    st.just(object()), st.sampled_from([np.int64(3), np.float32(2.5), np.uint64(2**63)]))


def wild_int(lo=-2**66, hi=2**66):
    return st.one_of(st.integers(lo, hi), st.sampled_from([0, 1, -1, 2**31, 2**63, 2**64]))


_COIN = [np.random.default_rng(0)]
_JUNK_SCALE = [1.0]


def reseed(data) -> None:
    """Seed this example's coin from one draw: hypothesis biases its own draws towards edge
    values (0, the first choice), which would make nearly every call junk. Half the examples
    draw no junk at all, so that calls with many arguments still get past their checks."""
    _COIN[0] = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    _JUNK_SCALE[0] = 0.0 if coin(0.5) else 2.0


def coin(rate: float) -> bool:
    return bool(_COIN[0].random() < rate)


def pick(options: list, weights: list | None = None):
    """One of ``options`` by the example's coin (uniform unless weighted)."""
    p = None if weights is None else np.asarray(weights, float) / sum(weights)
    return options[int(_COIN[0].choice(len(options), p=p))]


def maybe(data, plausible, junk_rate: float = 0.15):
    """A plausible value, or (with probability junk_rate) junk of any type."""
    if coin(junk_rate * _JUNK_SCALE[0]):
        return data.draw(JUNK)
    return data.draw(plausible)


def array(data, shape=None, dtype=None, lo=-3, hi=300, nan: bool = True, views: bool = True):
    """A random array: given or random shape and dtype, values in [lo, hi), maybe NaN/inf,
    maybe a non-contiguous, Fortran-ordered or negative-stride view."""
    if shape is None:
        shape = tuple(data.draw(st.lists(st.integers(0, 7), min_size=0, max_size=4)))
    dtype = np.dtype(dtype if dtype is not None else pick(DTYPES))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    big = tuple(2 * s for s in shape)
    vals = rng.integers(lo, hi, big) if dtype.kind in "iub" else rng.uniform(lo, hi, big)
    if dtype.kind == "f" and nan and coin(0.05) and vals.size:
        vals.flat[rng.integers(0, vals.size)] = data.draw(st.sampled_from([np.nan, np.inf]))
    with np.errstate(all="ignore"):
        a = vals.astype(dtype)
    how = pick(["c", "step", "flip", "fortran"], [5, 1, 1, 1]) if views else "c"
    crop = tuple(slice(0, s) for s in shape)
    if how == "step":
        return a[tuple(slice(0, 2 * s, 2) for s in shape)]
    if how == "flip":
        return a[crop][tuple(slice(None, None, -1) for _ in shape)]
    if how == "fortran":
        return np.asfortranarray(a[crop])
    return np.ascontiguousarray(a[crop])


def masks_arg(data, n: int):
    """Bitmasks in every form a caller might pass, mostly valid for n regions."""
    hi = 2**n - 1 if n < 64 else 2**64 - 1
    kind = pick(["u64", "list", "int", "i64", "f64", "2d", "nested", "str", "empty", "bits",
                 "junk"], [12, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1])
    B = data.draw(st.integers(1, 6))
    vals = [data.draw(st.integers(0, max(hi, 0))) for _ in range(B)]
    if kind == "u64":
        return np.array(vals, np.uint64)
    if kind == "list":
        return vals
    if kind == "int":
        return vals[0]
    if kind == "i64":
        return np.array([v & (2**63 - 1) for v in vals], np.int64) * (-1 if coin(0.3) else 1)
    if kind == "f64":
        return np.array(vals, np.float64)
    if kind == "2d":
        return np.array(vals * 2, np.uint64).reshape(2, B)
    if kind == "nested":
        return [vals]
    if kind == "str":
        return str(vals[0])
    if kind == "empty":
        return np.zeros(0, np.uint64)
    if kind == "bits":
        return np.array([min(v | (1 << data.draw(st.integers(0, 63))), 2**64 - 1)
                         for v in vals], np.uint64)
    return data.draw(JUNK)


# ---- subsets ----------------------------------------------------------------------------------

def probe_subsets(data, rec):
    reseed(data)
    n = maybe(data, st.integers(-2, 66))
    k = maybe(data, st.integers(-2, 66))
    rec.call("public", "core.count", core.count, n, k)
    start = maybe(data, wild_int(-5, 3000))
    count = maybe(data, st.one_of(st.none(), wild_int(-5, 3000)))
    kwargs = {"start": start, "count": count}
    if coin(0.2):
        kwargs["out"] = array(data, dtype=pick([np.uint64, np.int64], [4, 1]),
                              lo=0, hi=5)
    rec.call("public", "core.level", core.level, n, k, **kwargs)
    nn = data.draw(st.integers(0, 64))
    rec.call("public", "core.rank", core.rank, masks_arg(data, nn))
    ranks = maybe(data, st.lists(wild_int(-2, 2**40), max_size=5))
    rec.call("public", "core.unrank", core.unrank, n, k, ranks)
    rec.call("public", "core.as_masks", core.as_masks, masks_arg(data, nn), n=nn)


# ---- Masker -----------------------------------------------------------------------------------

def _image(data):
    H, W = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 9))
    shape = pick([(H, W, 3), (H, W, 1), (H, W), (H, W, 4), (H, W, 2, 1), (0, W, 3)],
                 [6, 2, 2, 2, 1, 1])
    dtype = pick([np.uint8, np.float32, np.float64, np.int16, np.bool_, np.float16],
                 [8, 8, 1, 1, 1, 1])
    return array(data, shape, dtype, lo=0, hi=256 if dtype == np.uint8 else 2)


def _labels(data, shape):
    H, W = shape[:2] if len(shape) >= 2 else (1, 1)
    n = data.draw(st.integers(0, 64))
    if coin(0.05):
        H, W = H + data.draw(st.integers(-1, 1)), W + 1
    dtype = pick([np.int32, np.int64, np.uint8, np.int8, np.float32], [10, 2, 2, 1, 1])
    return array(data, (max(H, 0), max(W, 0)), dtype, lo=-3 if coin(0.05) else -1,
                 hi=max(n, 1) + (8 if coin(0.05) else 0), nan=False)


def _baseline(data, image):
    choice = pick(["mean", "black", "gray", "blur", "noise", "array", "BLUR", "nope", "junk"],
                  [3, 3, 2, 2, 2, 4, 1, 1, 1])
    if choice == "array":
        like = image if isinstance(image, np.ndarray) else np.zeros((2, 2, 3), np.uint8)
        shape = like.shape if not coin(0.1) else tuple(like.shape[:2]) + (5,)
        dtype = like.dtype if not coin(0.1) else np.float64
        return array(data, shape, dtype, lo=0, hi=2)
    if choice == "junk":
        return data.draw(JUNK)
    return choice


def _per_channel(data):
    return maybe(data, st.one_of(st.none(), st.floats(-2, 2),
                                 st.lists(st.floats(-2, 2), min_size=0, max_size=5)), 0.3)


def probe_masker(data, rec):
    reseed(data)
    image = _image(data)
    labels = _labels(data, image.shape)
    kwargs = {"baseline": _baseline(data, image),
              "context": maybe(data, st.sampled_from(["keep", "mask"])),
              "n_regions": maybe(data, st.one_of(st.none(), st.integers(-1, 66)), 0.3)}
    soft = pick(["none", "feather", "weights"], [4, 1, 1])
    if soft == "feather":
        kwargs["feather"] = maybe(data, st.floats(0, 3), 0.3)
    elif soft == "weights" and labels.size:
        n = int(max(labels.max(), 0)) + 1
        kwargs["soft_weights"] = array(data, (n,) + labels.shape,
                                       pick([np.float32, np.float64], [5, 1]), lo=0, hi=1)
    if isinstance(kwargs["baseline"], str) and kwargs["baseline"] in ("blur", "noise"):
        kwargs["sigma"] = maybe(data, st.one_of(st.none(), st.floats(0, 20)), 0.4)
        kwargs["seed"] = maybe(data, st.integers(0, 2**32), 0.2)
    m = rec.call("public", "Masker", Masker, image, labels, **kwargs)
    if m is None:
        return
    for _ in range(data.draw(st.integers(1, 4))):
        layout = maybe(data, st.sampled_from(["hwc", "nchw"]), 0.1)
        opts = {"layout": layout,
                "num_threads": maybe(data, st.sampled_from([0, 1, 2, 3, 100000, 2**45]), 0.2)}
        if layout == "nchw":
            opts["dtype"] = maybe(data, st.sampled_from([None, np.float32, np.float16]), 0.2)
            opts["scale"] = maybe(data, st.floats(-2, 2), 0.2)
            opts["mean"], opts["std"] = _per_channel(data), _per_channel(data)
        elif coin(0.1):
            opts["dtype"] = pick([np.float32, np.uint8, "nonsense"])
        if coin(0.1):
            opts["device"] = pick(["cpu", "cuda", "tpu", 3])
        masks = masks_arg(data, m.n)
        out_kind = pick(["none", "exact", "wrong", "alias"], [4, 3, 1, 1])
        if out_kind != "none":
            B = len(masks) if isinstance(masks, (np.ndarray, list)) and \
                np.ndim(masks) == 1 else 1
            shape = m.output_shape(B, "nchw" if layout == "nchw" else "hwc")
            if out_kind == "exact":
                dt = m.image.dtype if layout != "nchw" else np.float32
                opts["out"] = np.empty(shape, dt)
            elif out_kind == "wrong":
                opts["out"] = array(data, dtype=pick([np.float32, np.uint8, np.float16]))
            else:
                opts["out"] = m.image[None] if layout != "nchw" else \
                    m.frames("nchw")[0][None] if coin(0.5) else m.baseline[None]
        rec.call("public", "Masker.render", m.render, masks, **opts)
    rec.call("public", "Masker.output_shape", m.output_shape, maybe(data, st.integers(0, 5)),
             maybe(data, st.sampled_from(["hwc", "nchw"])))


# ---- RISE -------------------------------------------------------------------------------------

def probe_rise(data, rec):
    reseed(data)

    def grid():
        return maybe(data, st.integers(1, 12) if coin(0.8) else wild_int(), 0.2)

    shape = maybe(data, st.tuples(st.integers(1, 12), st.integers(1, 12)), 0.2)
    rec.call("public", "rise_masks", rise_masks, maybe(data, st.integers(0, 6), 0.2), shape,
             s=grid(), p=maybe(data, st.floats(0, 1), 0.2), seed=maybe(data, wild_int(), 0.1),
             first=maybe(data, wild_int(0, 2**40), 0.2))
    image = _image(data)
    rec.call("public", "rise", rise, lambda x: np.asarray(x, np.float64).mean(axis=(1, 2, 3)),
             image, n_masks=maybe(data, st.integers(1, 5), 0.2), s=grid(),
             p=maybe(data, st.floats(0.01, 1), 0.2),
             baseline=maybe(data, st.sampled_from(["black", "mean", "blur"]), 0.1),
             seed=maybe(data, st.integers(0, 2**31), 0.1), progress=False)


# ---- blend maskers ----------------------------------------------------------------------------

def probe_blend(data, rec):
    reseed(data)
    image = _image(data)
    H, W = (image.shape[:2] if image.ndim >= 2 else (1, 1))
    N = data.draw(st.integers(0, 4))
    if coin(0.5):
        alphas = array(data, (N, H + 1, W) if coin(0.1) else (N, H, W),
                       pick([np.float32, np.float64, np.uint8], [4, 1, 1]), lo=0, hi=2)
        m = rec.call("public", "AlphaMasker", AlphaMasker, image, alphas,
                     baseline=maybe(data, st.sampled_from(["black", "mean"]), 0.1))
    else:
        centres = maybe(data, st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20)),
                                       min_size=N, max_size=N).map(np.array), 0.2)
        taps = array(data, (data.draw(st.integers(0, 9)),), np.float32, lo=0, hi=1)
        ops = maybe(data, st.lists(st.sampled_from(["remove", "screen"]), min_size=1,
                                   max_size=2).map(tuple), 0.2)
        m = rec.call("public", "WindowMasker", WindowMasker, image, centres, taps,
                     baseline=maybe(data, st.sampled_from(["black", "mean"]), 0.1), ops=ops)
    if m is None:
        return
    for _ in range(data.draw(st.integers(1, 3))):
        index = maybe(data, st.lists(st.integers(-1, max(m.n_items, 1)), min_size=0,
                                     max_size=4).map(np.array), 0.2)
        layout = maybe(data, st.sampled_from(["hwc", "nchw"]), 0.1)
        opts = {"layout": layout,
                "num_threads": maybe(data, st.sampled_from([0, 1, 7, 100000, 2**45]), 0.2)}
        if layout == "nchw":
            opts["mean"], opts["std"] = _per_channel(data), _per_channel(data)
            opts["dtype"] = maybe(data, st.sampled_from([None, np.float32, np.float16]), 0.1)
        rec.call("public", f"{type(m).__name__}.render", m.render, index, **opts)


# ---- LatticeSearch and search -----------------------------------------------------------------

def _options(data):
    opts = {}
    for name, strat in [("goal", st.sampled_from(["both", "min_plus", "min_minus"])),
                        ("mode", st.sampled_from(["exact", "minimal", "monotone", "greedy"])),
                        ("max_size", st.one_of(st.none(), st.integers(0, 6))),
                        ("budget", st.one_of(st.none(), st.integers(1, 300))),
                        ("first_only", st.booleans()),
                        ("beam", st.one_of(st.none(), st.integers(1, 4))),
                        ("audit", st.integers(0, 20))]:
        if coin(0.4):
            opts[name] = maybe(data, strat, 0.1)
    return opts


def probe_lattice(data, rec):
    reseed(data)
    n = maybe(data, st.integers(1, 10), 0.1)
    opts = _options(data)
    if coin(0.15):
        opts["prior"] = maybe(data, st.lists(st.floats(-3, 3), min_size=0, max_size=11), 0.3)
    s = rec.call("public", "LatticeSearch", LatticeSearch, n, **opts)
    if s is None:
        return
    rule = data.draw(st.integers(0, 2**10 - 1))
    for _ in range(data.draw(st.integers(1, 12))):
        asked = rec.call("public", "LatticeSearch.ask", s.ask,
                         maybe(data, st.integers(1, 64), 0.15))
        if asked is None or len(asked) == 0:
            if rec.call("public", "LatticeSearch.done", s.done):
                break
            continue
        masks, preserved = asked, (asked & np.uint64(rule)) != 0
        how = pick(["ok", "dup", "short", "ints", "floats", "strings", "negative", "unasked"],
               [12, 1, 1, 1, 1, 1, 1, 1])
        if how == "dup":
            masks = np.concatenate([asked, asked[:1]])
            preserved = np.concatenate([preserved, preserved[:1]])
        elif how == "short":
            preserved = preserved[:-1]
        elif how == "ints":
            preserved = preserved.astype(np.int64) * (2 if coin(0.5) else 1)
        elif how == "floats":
            preserved = np.where(preserved, 1.0, np.nan)
        elif how == "strings":
            preserved = np.where(preserved, "yes", "no")
        elif how == "negative":
            masks = [-1] * len(asked)
        elif how == "unasked":
            masks = asked ^ np.uint64(1)
        rec.call("public", "LatticeSearch.tell", s.tell, masks, preserved)
    rec.call("public", "LatticeSearch.result", s.result,
             names=maybe(data, st.none(), 0.2))


def probe_search(data, rec):
    reseed(data)
    n = data.draw(st.integers(1, 6))
    img = array(data, (4, 2 * n, 3), np.uint8, lo=0, hi=256, views=False)
    labels = np.repeat(np.arange(n, dtype=np.int32), 2)[None, :].repeat(4, axis=0)
    m = Masker(img, labels, baseline="black")
    weights = np.random.default_rng(data.draw(st.integers(0, 2**31))).random(n)

    def model(x):
        return (x.reshape(len(x), 4, n, 2, 3).mean(axis=(1, 3, 4)) @ weights)[:, None]

    threshold = float(model(img[None])[0, 0]) * data.draw(st.floats(0.1, 0.99))
    opts = _options(data)
    opts["batch_size"] = maybe(data, st.one_of(st.just("auto"), st.integers(1, 40)), 0.15)
    rec.call("public", "minplus.search", minplus.search, model, m,
             lambda scores: scores[:, 0] >= threshold, progress=False, **opts)


# ---- raw bindings -----------------------------------------------------------------------------

def probe_bindings(data, rec):
    """Every _core function with random arrays and scalars: a refusal is fine, a crash is not.
    (The CUDA entry points take raw device addresses and are fuzzed only when CUDA is absent,
    where they refuse at once.)"""
    reseed(data)
    n, k = data.draw(st.integers(-3, 70)), data.draw(st.integers(-3, 70))
    rec.call("binding", "_core.binomial", _core.binomial, n, k)
    rec.call("binding", "_core.next_same_popcount", _core.next_same_popcount,
             data.draw(st.integers(0, 2**64 - 1)))
    rec.call("binding", "_core.fill_level", _core.fill_level, n, k,
             data.draw(st.integers(0, 2**64 - 1) | st.integers(0, 50)),
             array(data, dtype=np.uint64, lo=0, hi=3))
    rec.call("binding", "_core.colex_rank", _core.colex_rank, array(data, dtype=np.uint64, lo=0,
                                                                      hi=2**62))
    rec.call("binding", "_core.colex_unrank", _core.colex_unrank, n, k,
             array(data, dtype=np.uint64, lo=0, hi=2**20))
    H, W, C = (data.draw(st.integers(1, 6)) for _ in range(3))
    labels = array(data, (H, W), np.int32, lo=-2, hi=66 if coin(0.2) else 8,
                   views=False)
    spans = rec.call("binding", "_core.RegionSpans", _core.RegionSpans, labels)
    K = data.draw(st.integers(0, 66 if coin(0.1) else 8))
    weights = rec.call("binding", "_core.SoftWeights", _core.SoftWeights,
                       array(data, (K, H, W), np.float32, lo=0, hi=1, views=False))
    layout = pick(["hwc", "nchw", "bad"], [5, 5, 1])
    fshape = (H, W, C) if layout != "nchw" else (C, H, W)
    if coin(0.15):
        fshape = tuple(data.draw(st.lists(st.integers(0, 6), min_size=1, max_size=4)))
    dt = pick([np.uint8, np.float32, np.float16, np.int32], [4, 4, 2, 1])
    B = data.draw(st.integers(0, 4))
    masks = array(data, (B,), np.uint64, lo=0, hi=2**62, views=False)
    out = array(data, (B + 1,) + fshape if coin(0.15) else (B,) + fshape,
                dt, views=False)
    threads = pick([0, 1, 4, 100000, -1, 2**31 - 1])
    if spans is not None:
        rec.call("binding", "_core.render_spans", _core.render_spans, spans,
                 array(data, fshape, dt, views=False), array(data, fshape, dt, views=False),
                 layout, masks, coin(0.5), out, threads)
    if weights is not None:
        rec.call("binding", "_core.render_soft", _core.render_soft, weights,
                 array(data, fshape, np.float32, views=False),
                 array(data, fshape, np.float32, views=False), layout, masks,
                 coin(0.5), out, threads)
    rec.call("binding", "_core.rise_masks", _core.rise_masks,
             data.draw(st.integers(-2, 2**40)), H, W, data.draw(st.integers(-1, 70000)),
             data.draw(st.floats(allow_nan=True)), data.draw(st.integers(0, 2**64 - 1)),
             array(data, (B, W, H) if coin(0.15) else (B, H, W), np.float32,
                   views=False), threads)
    rec.call("binding", "_core.blend_alphas", _core.blend_alphas,
             array(data, fshape, np.float32, views=False),
             array(data, fshape, np.float32, views=False), layout,
             array(data, (data.draw(st.integers(0, 3)), H, W), np.float32, views=False),
             array(data, (B,), np.int64, lo=-1, hi=4, views=False), out, threads)
    hwc = fshape if coin(0.15) else (H, W, C)
    rec.call("binding", "_core.blend_windows", _core.blend_windows,
             array(data, hwc, np.float32, views=False), array(data, hwc, np.float32, views=False),
             array(data, hwc, np.float32, views=False),
             array(data, (B, 3) if coin(0.15) else (B, 2), np.int32, lo=-50,
                   hi=50, views=False),
             array(data, (data.draw(st.integers(0, 8)),), np.float32, lo=0, hi=1, views=False),
             data.draw(st.integers(-1, 2)), 255.0, coin(0.5), layout,
             data.draw(st.floats(-2, 2)), array(data, (C,), np.float32, lo=-1, hi=1),
             array(data, (C + 1 if coin(0.15) else C,), np.float32, lo=-1, hi=1),
             out, threads)
    if not _core.cuda_compiled():
        rec.call("binding", "_core.render_labels_cuda", _core.render_labels_cuda, 0, 0, 0, H, W,
                 C, layout, 0, 0, B, True, 0, 0)


# ---- baselines, image input, region specs, result.json ---------------------------------------

def probe_inputs(data, rec):
    reseed(data)
    from minplus.baselines import gaussian_blur, make_baseline
    from minplus.regions import parse_regions
    from minplus.regions.image_input import as_rgb_uint8
    from minplus.report import validate_result

    image = _image(data)
    rec.call("public", "gaussian_blur", gaussian_blur, image,
             maybe(data, st.floats(0, 40) if coin(0.8) else st.floats(allow_nan=True), 0.2))
    if image.ndim == 3:
        rec.call("public", "make_baseline", make_baseline, image, _baseline(data, image),
                 sigma=maybe(data, st.one_of(st.none(), st.floats(0, 30)), 0.2),
                 seed=maybe(data, st.integers(0, 2**31), 0.1))
    rec.call("public", "as_rgb_uint8", as_rgb_uint8, image, min_size=maybe(
        data, st.integers(0, 40), 0.1), clip=coin(0.5))
    spec = pick(["grid:{}x{}", "grid:{}", "slic:{}", "slic", "face9", "grid:{}x"],
                [4, 2, 2, 1, 1, 1]).format(data.draw(st.integers(-1, 70)),
                                           data.draw(st.integers(-1, 70)))
    rec.call("public", "parse_regions", parse_regions, image,
             maybe(data, st.just(spec), 0.1), context=maybe(
                 data, st.sampled_from(["keep", "mask"]), 0.1))
    record = {"minplus_version": "0.1", "created": "", "meta": {"image": "x"},
              "explanations": []}
    for key in data.draw(st.lists(st.sampled_from(sorted(record)), max_size=2)):
        record[key] = data.draw(JUNK)
    rec.call("public", "validate_result", validate_result, record)


PROBES = {"subsets": probe_subsets, "masker": probe_masker, "rise": probe_rise,
          "blend": probe_blend, "lattice": probe_lattice, "search": probe_search,
          "bindings": probe_bindings, "inputs": probe_inputs}
# Share of the calls each group gets (the Masker has the most options, so the most calls).
WEIGHTS = {"subsets": 2, "masker": 4, "rise": 1, "blend": 2, "lattice": 3, "search": 1,
           "bindings": 3, "inputs": 2}
