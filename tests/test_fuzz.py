"""Fuzzing every binding and public core entry (tests/fuzz/): no crash, no untyped error.

Each group of entry points runs in its own process (tests/fuzz/runner.py), many calls per
process, so a segfault or abort is a failed test that names the call that caused it, instead of
the end of the test run. A call may return or raise a MinplusError; a raw ``_core`` binding may
also refuse with the builtin pybind11 gives it. Anything else is an untyped error and fails.

The CI slice makes about 3,000 calls. ``MINPLUS_FUZZ_CALLS=20000`` runs a longer one (its
figures are in benchmarks/RESULTS.md); ``MINPLUS_FUZZ_SEED`` changes the seed.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent / "fuzz"
sys.path.insert(0, str(FUZZ))

from probes import PROBES, WEIGHTS  # noqa: E402

import minplus  # noqa: E402

CALLS = int(os.environ.get("MINPLUS_FUZZ_CALLS", "3000"))
SEED = int(os.environ.get("MINPLUS_FUZZ_SEED", "20261201"))
TOTAL_WEIGHT = sum(WEIGHTS.values())


def run_group(group: str, calls: int, tmp_path: Path) -> dict:
    """Run one fuzzing process; its summary, or a failure naming the call that crashed it."""
    log, summary = tmp_path / f"{group}.log", tmp_path / f"{group}.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(minplus.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(FUZZ / "runner.py"), group, str(calls),
                           str(SEED), str(log), str(summary)], env=env, capture_output=True,
                          text=True, timeout=max(600, calls))
    if done.returncode != 0:
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        last = lines[-1] if lines else "(no call logged)"
        how = (f"killed by {signal.Signals(-done.returncode).name}" if done.returncode < 0
               else f"exit status {done.returncode}")
        pytest.fail(f"fuzz group {group!r} {how} after {len(lines)} calls; last call:\n"
                    f"{last[:3000]}\nstderr tail:\n{done.stderr[-3000:]}")
    return json.loads(summary.read_text())


@pytest.mark.parametrize("group", sorted(PROBES))
def test_fuzzed_calls_never_crash_and_raise_only_typed_errors(group, tmp_path):
    calls = max(50, CALLS * WEIGHTS[group] // TOTAL_WEIGHT)
    result = run_group(group, calls, tmp_path)
    counts = result["counts"]
    print(f"\nfuzz {group}: {json.dumps(counts)}")
    assert counts["calls"] >= calls
    assert counts["untyped"] == 0, "untyped errors:\n" + "\n".join(
        f"  {u['error']}  at {u['where']}\n    {u['call'][:400]}" for u in result["untyped"])
    # the probes must reach past the argument checks, not only be refused by them
    assert counts["returned"] > 0
