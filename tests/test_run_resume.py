"""Kill-and-resume: SIGKILL a run at random points, restart it, compare with a clean run."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import minplus
from minplus.run import read_run

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the minplus under test was imported from (the checkout's python/ in development,
# site-packages when installed): subprocesses and Ray workers import the same one.
MINPLUS_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(minplus.__file__)))

# Runs one dataset run and exits 0; a model that sleeps a little per batch, so a kill lands
# anywhere: listing, explaining, writing a part, renaming it, appending the log.
SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import minplus
    from minplus.models import Threshold

    def slow_brightness():
        def fn(x):
            time.sleep(0.02)
            return x.reshape(len(x), -1).mean(axis=1, keepdims=True).astype(np.float64)
        return fn

    def items(n):
        rng = np.random.default_rng(7)
        for i in range(n):
            image = rng.integers(110, 255, (16, 16, 3), dtype=np.uint8)
            yield f"im{i:03d}", image, {"group": "abc"[i % 3]}

    if __name__ == "__main__":
        out, n, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        minplus.run(items(n), slow_brightness, Threshold(100.0), out=out, regions="grid:2x2",
                    baseline="black", part_rows=3, workers=workers, progress=False)
""")


def _start(script, out, n, workers):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [MINPLUS_PARENT, os.environ.get("PYTHONPATH", "")]))
    # A session of its own, so the kill takes the pool's workers with the driver.
    return subprocess.Popen([sys.executable, str(script), str(out), str(n), str(workers)],
                            env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _comparable(table):
    return table.drop_columns(list(minplus.run.TIMING_COLUMNS)).to_pylist()


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "run_script.py"
    path.write_text(SCRIPT)
    return path


N = 30


@pytest.fixture(scope="module")
def clean(script, tmp_path_factory):
    """The uninterrupted run's rows, by id."""
    out = tmp_path_factory.mktemp("clean") / "run"
    proc = _start(script, out, N, 1)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()[-2000:]
    return {r["id"]: r for r in _comparable(read_run(out))}


def _parts(out) -> int:
    try:
        return sum(1 for name in os.listdir(out / "parts") if not name.startswith("."))
    except FileNotFoundError:
        return 0


def _kill_after(proc, out, parts: int, extra: float) -> bool:
    """SIGKILL ``proc`` ``extra`` seconds after ``out`` holds ``parts`` more parts; False if
    it finished first."""
    goal = _parts(out) + parts
    while _parts(out) < goal and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(extra)
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


@pytest.mark.parametrize("seed,workers", [(1, 1), (2, 1), (3, 2)])
def test_sigkill_at_random_points_then_resume(script, clean, tmp_path, seed, workers):
    """Two SIGKILLs at random moments (after a random number of committed parts, plus a
    random delay: explaining, writing, renaming or logging a part), then a run to the end:
    equal to the clean run, row for row."""
    rng = random.Random(seed)
    out = tmp_path / "run"
    kills = 0
    for attempt in range(3):
        proc = _start(script, out, N, workers)
        if attempt < 2:
            kills += _kill_after(proc, out, rng.randint(0, 3), rng.uniform(0.0, 0.3))
        if out.joinpath("run.json").exists():
            # After every kill: what is committed is a set of whole, distinct, correct rows.
            rows = _comparable(read_run(out))
            ids = [r["id"] for r in rows]
            assert len(ids) == len(set(ids))
            assert all(r == clean[r["id"]] for r in rows)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()[-2000:]
    assert kills >= 1, "no kill landed: the run finished first"
    rows = _comparable(read_run(out))
    assert len(rows) == N
    assert rows == list(clean.values())
