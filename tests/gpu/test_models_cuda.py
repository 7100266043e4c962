"""TorchModel on CUDA: masked images rendered straight into the input tensor, same scores as CPU."""

import numpy as np
import pytest

from minplus.evaluate import score_masks
import minplus
from minplus import Masker

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not minplus.cuda_available(),
                       reason="needs minplus built with CUDA and a GPU"),
]
torch = pytest.importorskip("torch")

from minplus.models import TorchModel  # noqa: E402

PRE = (1 / 255, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


class Recorder(torch.nn.Module):
    """A small CNN that remembers where its inputs lived."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),
                                       torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                       torch.nn.Linear(8, 4))
        self.inputs = []

    def forward(self, x):
        self.inputs.append((x.device.type, x.data_ptr()))
        return self.net(x)


def test_cuda_scores_equal_cpu_and_reuse_the_input_tensor():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    labels = rng.integers(-1, 10, (40, 48)).astype(np.int32)
    masker = Masker(image, labels, baseline="blur")
    masks = rng.integers(0, 2 ** 10, 96).astype(np.uint64)
    cpu = score_masks(TorchModel(Recorder(), preprocess=PRE, batch_size=32), masker, masks)
    rec = Recorder()
    gpu = score_masks(TorchModel(rec, preprocess=PRE, device="cuda", batch_size=32), masker, masks)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-4)
    assert {d for d, _ in rec.inputs} == {"cuda"}
    assert len({p for _, p in rec.inputs}) == 1  # one input tensor, filled in place per batch
