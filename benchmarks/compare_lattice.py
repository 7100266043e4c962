"""LatticeSearch figures as ratios measured in one run: engine overhead per query, end-to-end
against a straightforward Python Min+/Min- search, queries used against 2^n.

Run: python -m benchmarks.compare_lattice [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

import minplus
from benchmarks.compare import machine
from benchmarks.workloads import face_like_labels
from minplus import Masker, SearchOptions, _core
from minplus.lattice import native_options
from minplus.models.decision import Decision

MODE_NAMES = ("exact", "minimal", "monotone", "greedy")


class KeepsFraction(Decision):
    """Preserved while score 0 stays at or above ``fraction`` of the unmasked image's."""

    def __init__(self, fraction: float):
        self.fraction = fraction

    def preserved(self, scores):
        return scores[:, 0] >= self.fraction * self.original[0]


def face_image(size: int = 112) -> np.ndarray:
    from skimage import data
    step = 448 // size
    return np.ascontiguousarray(data.astronaut()[0:448:step, 32:480:step][:size, :size])


def planted_sets(n: int, seed: int, count: int = 3) -> list[int]:
    """``count`` random region sets of 2 to 4 regions each."""
    rng = np.random.default_rng(seed)
    return [int(sum(1 << int(r) for r in rng.choice(n, rng.integers(2, 5), replace=False)))
            for _ in range(count)]


def planted_options(n: int, mode: str):
    """The engine's options for a planted-oracle run: goal both, the mode's defaults."""
    return native_options(n, SearchOptions(goal="both", mode=mode))


# ---- the straightforward implementation --------------------------------------------------------

def naive_search(image, baseline, labels, n, score_fn, keeps):
    """Min+ and Min- as public MinPlus code does: itertools.combinations level by level, numpy
    masking and one model call per image. Returns (min_plus, min_minus, queries)."""
    original = score_fn(image[None])[0]
    context = labels < 0
    queries = 0

    def preserved(kept_regions):
        nonlocal queries
        queries += 1
        keep = context | np.isin(labels, kept_regions)
        img = np.where(keep[..., None], image, baseline)
        return keeps(score_fn(img[None])[0], original)

    def level_search(first, solves):
        for k in range(first, n + 1):
            found = [sum(1 << r for r in c) for c in itertools.combinations(range(n), k)
                     if solves(c)]
            if found:
                return sorted(found)
        return []

    min_plus = level_search(0, lambda c: preserved(list(c)))
    min_minus = level_search(1, lambda c: not preserved([r for r in range(n) if r not in c]))
    return min_plus, min_minus, queries


# ---- workloads --------------------------------------------------------------------------------

def cheap_oracle_problem(size: int = 112, n: int = 12, seed: int = 0):
    """A numpy linear score over 64 fixed face pixels, thresholded: search and masking dominate."""
    image = face_image(size)
    labels = face_like_labels(size, size, n)
    rng = np.random.default_rng(seed)
    ys, xs = np.nonzero(labels >= 0)
    pick = rng.choice(len(ys), 64, replace=False)
    # Flat offsets of the 64 pixels' 3 channels in an (H, W, 3) image: one gather per image.
    offsets = ((ys[pick] * size + xs[pick])[:, None] * 3 + np.arange(3)).ravel()
    w = rng.random(offsets.size)

    def score(images):
        return images.reshape(len(images), -1)[:, offsets] @ w

    masker = Masker(image, labels, baseline="black")
    return masker, score


def small_cnn():
    """Three conv layers at 112x112 on the CPU, random weights (seeded): a model-bound problem."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2)).eval()
    return net


class TimedCNN:
    """The numpy-callable path: hwc uint8 in, tensor conversion inside; times the forward pass."""

    def __init__(self, net):
        self.net, self.call_seconds, self.forward_seconds, self.calls = net, 0.0, 0.0, 0

    def __call__(self, images):
        import torch
        t0 = time.perf_counter()
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
        t1 = time.perf_counter()
        with torch.inference_mode():
            y = self.net(x).numpy()
        t2 = time.perf_counter()
        self.forward_seconds += t2 - t1
        self.call_seconds += t2 - t0
        self.calls += 1
        return y


class KeepsEvidence(Decision):
    """Preserved while the logit margin keeps ``fraction`` of what the regions add to it over
    the fully masked image (``masked_margin``): a random-weight CNN barely moves its margin, so
    the decision is taken relative to that movement."""

    def __init__(self, fraction: float, masked_margin: float):
        self.fraction, self.masked_margin = fraction, masked_margin

    def preserved(self, scores):
        margin = scores[:, 0] - scores[:, 1]
        full = self.original[0] - self.original[1]
        return margin - self.masked_margin >= self.fraction * (full - self.masked_margin)


# ---- sections ---------------------------------------------------------------------------------

def engine_rows(quick: bool) -> list[tuple]:
    """ns per query on the engine side, on problems large enough that setup does not count:
    three disjoint planted sets of 5 regions among 24 (Min+ at level 5: ~58k queries). CPU time
    of this thread is reported beside wall time: the VM is shared, and wall time counts the
    other jobs' turns on the two cores."""
    blocks = [0b11111 << (5 * i) for i in range(3)]
    rows = []
    for n, mode, planted in ((24, "exact", blocks), (24, "monotone", blocks),
                             (20, "minimal", planted_sets(20, 1))):
        best = None
        for _ in range(1 if quick else 5):
            c0 = time.thread_time()
            r = _core.lattice_run_planted(planted_options(n, mode), planted, 4096)
            cpu = time.thread_time() - c0
            best = (r, cpu) if best is None or cpu < best[1] else best
        r, cpu = best
        rows.append((f"C++ trivial oracle, {mode}, n={n}", r["queries"],
                     cpu / r["queries"] * 1e9, r["engine_seconds"] / r["queries"] * 1e9, None))
    n = 24
    planted = np.array(blocks, np.uint64)
    best = None
    for _ in range(1 if quick else 5):
        s = minplus.LatticeSearch(n)
        cpu, t0 = 0.0, time.perf_counter()
        while not s.done():
            c0 = time.thread_time()
            m = s.ask(4096)
            cpu += time.thread_time() - c0
            preserved = ((m[:, None] & planted[None, :]) == planted[None, :]).any(axis=1)
            c0 = time.thread_time()
            s.tell(m, preserved)
            cpu += time.thread_time() - c0
        total = time.perf_counter() - t0
        best = (s.result(), cpu, total) if best is None or cpu < best[1] else best
    r, cpu, total = best
    rows.append((f"numpy oracle via Python ask/tell, exact, n={n}, batch 4096", r.queries,
                 cpu / r.queries * 1e9, r.engine_seconds / r.queries * 1e9,
                 total / r.queries * 1e9))
    return rows


def cheap_rows(quick: bool) -> tuple[list[tuple], dict]:
    masker, score = cheap_oracle_problem()
    keeps = KeepsFraction(0.7)
    t0 = time.perf_counter()
    naive_plus, naive_minus, naive_q = naive_search(
        masker.image, masker.baseline, masker.labels, masker.n, score,
        lambda s, o: s >= 0.7 * o)
    t_naive = time.perf_counter() - t0
    rows = [("naive: itertools + numpy masking, batch 1", naive_q, t_naive, 1.0, True)]
    for batch in ("auto", 64, 1024):
        best, r = float("inf"), None
        for _ in range(1 if quick else 5):
            t0 = time.perf_counter()
            r = minplus.search(score, masker, keeps, batch_size=batch, progress=False)
            best = min(best, time.perf_counter() - t0)
        same = sorted(r.min_plus) == naive_plus and sorted(r.min_minus) == naive_minus
        rows.append((f"minplus.search exact, batch_size={batch!r}", r.queries, best,
                     t_naive / best, same))
    info = {"min_plus": naive_plus, "min_minus": naive_minus}
    return rows, info


def cnn_rows(quick: bool) -> tuple[list[tuple], list[tuple]]:
    import torch

    net = small_cnn()
    image = face_image(112)
    labels = face_like_labels(112, 112, 12)
    x1 = torch.from_numpy(image[None]).permute(0, 3, 1, 2).float().div(255.0)
    throughput = []
    for b in (1, 8, 32, 128):
        x = x1.expand(b, -1, -1, -1).contiguous()
        with torch.inference_mode():
            net(x)
            reps, t0 = max(2, 256 // b), time.perf_counter()
            for _ in range(reps):
                net(x)
        throughput.append((b, reps * b / (time.perf_counter() - t0)))
    rows = []
    masker = Masker(image, labels, baseline="black")
    masked = TimedCNN(net)(masker.render([0]))[0]
    for batch in ("auto", 8, 32):
        if quick and batch != "auto":
            continue
        model = TimedCNN(net)
        t0 = time.perf_counter()
        r = minplus.search(model, masker, KeepsEvidence(0.7, masked[0] - masked[1]),
                           batch_size=batch, progress=False)
        total = time.perf_counter() - t0
        rows.append((f"batch_size={batch!r}", r.queries, model.calls, total, model.call_seconds,
                     model.forward_seconds, r.min_plus_size, r.min_minus_size))
    return rows, throughput


def planted_rows(quick: bool) -> list[tuple]:
    rows = []
    for n in (12, 16, 20, 24):
        planted = planted_sets(n, n)
        for mode in MODE_NAMES:
            if quick and n > 20 and mode == "minimal":
                continue
            r = _core.lattice_run_planted(planted_options(n, mode), planted, 4096)
            rows.append((n, mode, r["queries"], r["queries"] / 2 ** n,
                         len(r["min_plus"]["solutions"]), len(r["min_minus"]["solutions"]),
                         r["engine_seconds"]))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one repeat, fewer rows")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")

    print("\n### Engine overhead per query\n")
    print("| oracle | queries | engine CPU ns/query | engine wall ns/query | "
          "loop wall ns/query (with oracle) |")
    print("|---|---|---|---|---|")
    for what, q, cpu, wall, tot in engine_rows(args.quick):
        print(f"| {what} | {q} | {cpu:.1f} | {wall:.1f} | "
              f"{'' if tot is None else f'{tot:.1f}'} |")

    print("\n### End to end, cheap oracle (112x112x3, n = 12, goal both, exact)\n")
    rows, info = cheap_rows(args.quick)
    print("| implementation | queries | seconds | speed-up vs naive | same answers |")
    print("|---|---|---|---|---|")
    for what, q, t, ratio, same in rows:
        print(f"| {what} | {q} | {t:.4f} | {ratio:.1f}x | {same} |")
    print(f"\nnaive per query: {rows[0][2] / rows[0][1] * 1e6:.1f} us; "
          f"Min+ sizes {[bin(m).count('1') for m in info['min_plus']]}, "
          f"Min- sizes {[bin(m).count('1') for m in info['min_minus']]}")

    print("\n### End to end, small CNN on the CPU (3 conv layers, 112x112, n = 12, exact)\n")
    rows, throughput = cnn_rows(args.quick)
    print("model alone: " + ", ".join(f"batch {b}: {ips:.0f} img/s" for b, ips in throughput))
    print("\n| batch size | queries | model calls | total s | model s (convert + forward) | "
          "forward s | total / model | total / forward | Min+ size | Min- size |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for what, q, calls, total, call, fwd, kp, km in rows:
        print(f"| {what} | {q} | {calls} | {total:.3f} | {call:.3f} | {fwd:.3f} | "
              f"{total / call:.3f} | {total / fwd:.3f} | {kp} | {km} |")

    print("\n### Queries used against 2^n, planted problems (3 planted sets of 2-4 regions, "
          "goal both)\n")
    print("| n | mode | queries | queries / 2^n | #Min+ | #Min- | engine s |")
    print("|---|---|---|---|---|---|---|")
    for n, mode, q, frac, kp, km, t in planted_rows(args.quick):
        print(f"| {n} | {mode} | {q} | {frac:.2e} | {kp} | {km} | {t:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
