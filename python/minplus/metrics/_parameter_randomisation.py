"""Model-parameter randomisation (Adebayo et al., NeurIPS 2018)."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from ..arguments import choice, integer
from ..errors import ArgumentError, GradientError
from ..masking import _as_image
from ._plumbing import as_map
from ._results import MetricResult
from ._similarity import SIMILARITIES, similarity

ORDERS = ("cascading", "independent")


@dataclass
class RandomisationResult(MetricResult):
    """A randomisation check: similarity of each randomised model's map to the original one.

    Attributes (beyond MetricResult's)
    ----------------------------------
    layers : list of str
        Randomised layers, in the order randomised (top layer first).
    similarities : dict[str, list[float]]
        Per similarity measure, one value per layer.
    """

    layers: list = field(default_factory=list)
    similarities: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.update({"layers": list(self.layers),
                  "similarities": {k: [float(v) for v in vs]
                                   for k, vs in self.similarities.items()}})
        return d

    def figure(self, ax=None):
        """Similarity against layer, one line per measure (Adebayo et al.'s figure)."""
        import matplotlib.pyplot as plt

        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(self.layers) + 2), 3))
        for kind, values in self.similarities.items():
            ax.plot(range(len(values)), values, marker="o", label=kind)
        ax.set_xticks(range(len(self.layers)), self.layers, rotation=60, ha="right",
                      fontsize=7)
        ax.set_ylabel("similarity to the original map")
        ax.set_ylim(-1.05, 1.05)
        ax.legend(fontsize=7)
        ax.set_title(f"{self.metric} ({self.extra.get('order', '')})")
        return fig if fig is not None else ax.figure


def _module_of(model):
    import torch

    if isinstance(model, torch.nn.Module):
        return model, lambda m: m
    module = getattr(model, "module", None)
    if isinstance(module, torch.nn.Module):
        from ..models.torch_model import TorchModel

        def rewrap(m):
            return TorchModel(m, preprocess=model.preprocess, device=model.device,
                              batch_size=model.batch_size or 64, input_size=model.input_size)

        return module, rewrap
    raise GradientError(f"randomising parameters needs a torch.nn.Module or a TorchModel, got "
                        f"{type(model).__name__}")


def model_parameter_randomisation(model, image, explainer, target=None, *, order="cascading",
                                  similarities=SIMILARITIES, absolute=False, seed=42):
    """Model-parameter randomisation test (Adebayo et al., NeurIPS 2018): re-explain after
    re-initialising the network's layers, top layer first, and measure how similar each map
    stays to the original. A map that depends on what the model learnt loses similarity; an
    edge detector keeps it.

    Parameters
    ----------
    model : torch.nn.Module or TorchModel
        Copied; the original is never changed.
    image : (H, W, C) uint8 or float32 ndarray
    explainer : callable
        ``explainer(model, image, target)`` -> SaliencyMap or (H, W) map, handed the randomised
        model in the form given (a module, or a TorchModel around the randomised module).
    target : int, optional
        The explained class, kept for every randomised model; None takes the class the
        explainer explains on the original model.
    order : {"cascading", "independent"}
        Cascading: layers randomised cumulatively from the top; independent: one layer at a
        time, the others trained.
    similarities : sequence of {"spearman", "ssim", "hog"}
    absolute : bool
        Compare ``|map|`` (Adebayo et al. report both).
    seed : int
        Each layer is re-initialised by its ``reset_parameters`` after
        ``torch.manual_seed(seed + 1)``, as Quantus does.

    Returns
    -------
    RandomisationResult
        ``value``: the Spearman (else the first measure's) similarity after the last
        randomisation (lower is better); ``layers``, ``similarities``; ``evaluations`` =
        explanations computed.

    Notes
    -----
    The layers are the modules with ``reset_parameters`` (Quantus' choice). Spearman agrees
    with Quantus' ``MPRT`` (``layer_order="top_down"`` or "independent") at equal seed and
    explainer; Quantus' SSIM is taken on the flattened maps (a 1-D SSIM), ours on the 2-D
    maps.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.Flatten(),
    ...                           torch.nn.Linear(32, 2))
    >>> edges = lambda model, x, t: np.abs(np.diff(x[..., 0], axis=0, append=0))
    >>> img = np.random.default_rng(0).random((4, 4, 1)).astype(np.float32)
    >>> r = model_parameter_randomisation(net, img, edges, target=0)
    >>> r.layers, r.similarities["spearman"]
    (['2', '0'], [1.0, 1.0])
    """
    import torch

    t0 = time.perf_counter()
    choice("order", order, ORDERS)
    kinds = [similarities] if isinstance(similarities, str) else list(similarities)
    for k in kinds:
        if k not in SIMILARITIES:
            raise ArgumentError(f"similarities must be among {SIMILARITIES}, got {k!r}")
    seed = integer("seed", seed)
    image = _as_image(np.asarray(image))
    module, rewrap = _module_of(model)
    first = explainer(model, image, target)
    found = getattr(first, "target", None)
    if target is None and isinstance(found, (int, np.integer)):
        target = int(found)  # the class explained on the trained model, kept for every layer
    original = as_map(first, image.shape[:2])
    randomised = copy.deepcopy(module)
    trained = copy.deepcopy(module.state_dict())
    layers = [(name, m) for name, m in randomised.named_modules()
              if hasattr(m, "reset_parameters")][::-1]
    names, scores = [], {k: [] for k in kinds}
    for name, layer in layers:
        if order == "independent":
            randomised.load_state_dict(trained)
        torch.manual_seed(seed + 1)
        layer.reset_parameters()
        a = as_map(explainer(rewrap(randomised), image, target), image.shape[:2])
        names.append(name)
        for k in kinds:
            scores[k].append(similarity(k, np.abs(original) if absolute else original,
                                        np.abs(a) if absolute else a))
    head = "spearman" if "spearman" in scores else kinds[0]
    value = scores[head][-1] if names else float("nan")
    return RandomisationResult("model_parameter_randomisation", value, higher_is_better=False,
                               evaluations=len(names) + 1, seconds=time.perf_counter() - t0,
                               extra={"order": order, "measure": head, "target": target,
                                      "absolute": absolute},
                               layers=names, similarities=scores)
