"""explain() on real faces with dlib's verifier: queries and seconds of the search (exact, and
monotone: exact under a monotonicity assumption) vs brute force over every region subset, for
the coarse (7 regions) and fine (11) face68 region sets.

Run the one-run table:   python -m benchmarks.bench_explain
pytest-benchmark suite:  python -m pytest benchmarks/bench_explain.py --benchmark-enable
"""

from __future__ import annotations

import itertools
import platform
import time

import numpy as np
import pytest

from minplus.evaluate import score_masks
from minplus import explain
from minplus.demo import sample_faces
from minplus.models import DlibFaceRecognizer, Verification
from minplus.regions import parse_regions

CASES = (("match", "hopper_shifted"), ("non-match", "astronaut"))
REGIONS = ("face68:coarse", "face68:fine")
MODES = ("exact", "monotone")


def minimum_sets(preserved: np.ndarray, n: int) -> tuple[set, set]:
    """Min+ kept masks and Min- removed masks of minimum size from the decision on all 2**n."""
    masks = np.arange(2 ** n)
    size = np.array([bin(m).count("1") for m in masks])
    keep = masks[preserved]
    removed = (2 ** n - 1) ^ masks[~preserved]
    plus = set(keep[size[keep] == size[keep].min()].tolist())
    minus = set(removed[size[removed] == size[removed].min()].tolist()) if len(removed) else set()
    return plus, minus


def run_table() -> list[dict]:
    faces = sample_faces()
    model = DlibFaceRecognizer()
    rows = []
    for spec in REGIONS:
        masker = parse_regions(faces["hopper"], spec).masker("blur")
        t = time.perf_counter()
        every = score_masks(model, masker, np.arange(2 ** masker.n, dtype=np.uint64))
        brute_s = time.perf_counter() - t
        for (case, ref), mode in itertools.product(CASES, MODES):
            t = time.perf_counter()
            e = explain(faces["hopper"], model, Verification(faces[ref]), regions=spec,
                        mode=mode, progress=False)
            seconds = time.perf_counter() - t
            plus, minus = minimum_sets(e.decision(every), masker.n)
            rows.append(dict(
                regions=f"{spec} (n={masker.n})", case=case, mode=mode, queries=e.queries,
                search_s=e.seconds["search"], total_s=seconds, brute_q=2 ** masker.n,
                brute_s=brute_s, agree=plus == set(e.min_plus_masks.tolist())
                and minus == set(e.min_minus_masks.tolist()),
                min_plus=" / ".join(" + ".join(s) or "∅" for s in e.min_plus),
                min_minus=" / ".join(" + ".join(s) for s in e.min_minus) or "none"))
    return rows


def main() -> None:
    rows = run_table()
    print(f"# {platform.processor() or platform.machine()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| regions | case | mode | explain queries | explain s (search) | brute-force queries | "
          "brute-force s | queries saved | equals brute force | Min+ | Min- |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['regions']} | {r['case']} | {r['mode']} | {r['queries']} | {r['total_s']:.1f} "
              f"({r['search_s']:.1f}) | {r['brute_q']} | {r['brute_s']:.1f} | "
              f"{r['brute_q'] / max(r['queries'], 1):.1f}x | {'yes' if r['agree'] else 'NO'} | "
              f"{r['min_plus']} | {r['min_minus']} |")


@pytest.fixture(scope="module")
def faces():
    return sample_faces()


@pytest.mark.parametrize("case, ref", CASES)
def test_explain_coarse(benchmark, faces, case, ref):
    model = DlibFaceRecognizer()
    benchmark.pedantic(explain, args=(faces["hopper"], model, Verification(faces[ref])),
                       kwargs=dict(regions="face68:coarse", progress=False), rounds=1,
                       iterations=1)


if __name__ == "__main__":
    main()
