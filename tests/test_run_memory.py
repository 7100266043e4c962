"""A 1,000-image run with a cheap model stays under a fixed memory bound, whatever its length."""

import json
import os
import subprocess
import sys
import textwrap

import minplus

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the minplus under test was imported from (the checkout's python/ in development,
# site-packages when installed): subprocesses and Ray workers import the same one.
MINPLUS_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(minplus.__file__)))

# Measured in a fresh process: its peak RSS (VmHWM: ru_maxrss would carry the forking pytest
# process's peak across exec) and the resident size after 100 and after 1,000 images. Images
# are made on the fly (64 x 64, 12 KB each, 12 MB in all), so a run that kept them, or its
# rows, would grow with the dataset.
SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import minplus
    from minplus.models import Threshold

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    samples = {}

    def items(n):
        rng = np.random.default_rng(0)
        for i in range(n):
            if i in (100, n - 1):
                samples[i] = rss_mb()
            yield f"im{i:04d}", rng.integers(110, 255, (64, 64, 3), dtype=np.uint8), {"i": i}

    def brightness(x):
        return x.reshape(len(x), -1).mean(axis=1, keepdims=True).astype(np.float64)

    done = minplus.run(items(1000), brightness, Threshold(100.0), out=sys.argv[1],
                       regions="grid:2x2", baseline="black", part_rows=32, progress=False)
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    print(json.dumps({"rows": done.rows, "peak_mb": peak, "at_100": samples[100],
                      "at_999": samples[999]}))
""")


def test_thousand_images_under_a_fixed_bound(tmp_path):
    script = tmp_path / "memory.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=MINPLUS_PARENT)
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "run")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    print(got)
    assert got["rows"] == 1000
    # 900 more images (11 MB of pixels, 900 rows) add less than 15 MB: memory follows the
    # part, not the dataset. The absolute bound leaves room for numpy, pyarrow and the core.
    assert got["at_999"] - got["at_100"] < 15, got
    assert got["peak_mb"] < 250, got
