"""The pytest-benchmark suites under benchmarks/ still run against this minplus: each one once,
without timing (``--benchmark-disable``), so a changed calling convention breaks a test here
instead of the next person's benchmark run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import minplus

REPO = Path(__file__).resolve().parents[1]
SUITES = sorted(p.name for p in (REPO / "benchmarks").glob("bench_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_benchmark_suite_runs(suite):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(minplus.__file__).resolve().parents[1]), str(REPO)]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(REPO / "benchmarks" / suite), "--benchmark-disable"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
