"""pytest-benchmark suite for the white-box saliency methods and Captum's equivalents, on the
cases of ``compare_saliency_whitebox`` (small CNN, 112x112 face, CPU; each at batch 8 where it
has one).

Run: python -m pytest benchmarks/bench_saliency_whitebox.py --benchmark-enable
"""

import warnings

import numpy as np
import pytest
import torch

from benchmarks.compare_saliency_whitebox import BenchCNN, cases, face_image

pytest.importorskip("captum")

MODEL = BenchCNN().eval()
X = torch.from_numpy(face_image().astype(np.float32) / np.float32(255))[None].permute(0, 3, 1, 2)
ROWS = {row[0].split(" ")[0]: row for row in cases(MODEL, X)}


CASES = [(method, tool) for method, row in ROWS.items()
         for tool, fns in zip(("minplus", "captum", "model_alone"), row[2:5]) if fns]


@pytest.mark.parametrize("method,tool", CASES)
def test_whitebox_saliency(benchmark, method, tool):
    _, _, ours, captum, alone, _ = ROWS[method]
    fns = {"minplus": ours, "captum": captum, "model_alone": alone}[tool]
    warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients")
    benchmark(fns.get(8, fns.get(1)))
