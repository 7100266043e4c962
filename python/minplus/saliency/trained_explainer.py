"""A trained Explainer (Stalder et al., "What you see is what you classify", NeurIPS 2022): a
small mask network that gives a mask for every class of a classifier in one forward pass.

Training (:func:`train_explainer`) freezes the classifier f and, for each image x whose
decided class is y = argmax f(x), takes the mask m_y the network outputs for y and minimises

* the classification loss on the masked image, -log p_y(x . m_y + b . (1 - m_y)): what the mask
  keeps must suffice for the decision;
* minus the entropy of f on the inverse-masked image x . (1 - m_y) + b . m_y, normalised by
  log K: what the mask removes must leave f undecided, so the mask covers all the evidence;
* an area constraint: mean(m_y) pushed into [area_min, area_max], plus a small pressure
  towards small masks, and the masks of the other classes pushed towards 0;
* smoothness: the total variation of every mask.

b is the baseline that replaces what a mask hides (each image's mean colour, by default).
The losses follow the paper; the network is a three-level U-Net (about 120 thousand weights at
width 16) instead of the paper's DeepLabv3/ResNet-50, so that it trains on a CPU in minutes.

Limits, honestly:

* it explains the classifier's decisions on images like its training images: on other faces,
  poses or image sizes its masks are a guess learned elsewhere (nothing checks them at run
  time; the deletion metric does, afterwards);
* training needs the classifier's gradients (a torch module, e.g. ``onnx_to_torch`` of an ONNX
  file); the trained Explainer then needs no model at all for its masks;
* it learns what it is shown: a hundred 25 px LFW faces and 20 epochs give coarse masks, not
  the paper's segmentations;
* a mask is an answer to "what suffices and is necessary, at about this area", not a ranking
  of pixels: as a saliency map its values within the kept area are not calibrated;
* measured (benchmarks/RESULTS.md, gender network, 80 training faces): it beats a random map
  on deletion and insertion and answers in one forward pass, but Grad-CAM and RISE do better on
  deletion, and Grad-CAM on insertion and the pointing game.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from ..arguments import choice, integer, real
from ..errors import ArgumentError, ModelFileError, ShapeError
from ..models.input_spec import resolve_preprocess
from .saliency_map import SaliencyMap
from .whitebox import eval_mode, model_device, require_module

_FORMAT = "minplus-explainer-1"
BASELINES = ("mean", "gray", "black", "blur")


def _block(cin: int, cout: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(cout, cout, 3, padding=1), torch.nn.ReLU())


class MaskNet(torch.nn.Module):
    """A three-level U-Net: (B, C, H, W) pictures in [0, 1] -> (B, K, H, W) mask logits.

    H and W need not be multiples of 4: the decoder resizes to the skip connection's size.
    """

    def __init__(self, classes: int, channels: int = 3, width: int = 16):
        super().__init__()
        self.down1 = _block(channels, width)
        self.down2 = _block(width, 2 * width)
        self.bottom = _block(2 * width, 4 * width)
        self.up2 = _block(6 * width, 2 * width)
        self.up1 = _block(3 * width, width)
        self.head = torch.nn.Conv2d(width, classes, 1)

    @staticmethod
    def _up(x, like):
        return F.interpolate(x, size=like.shape[2:], mode="bilinear", align_corners=False)

    def forward(self, x):
        a = self.down1(x)
        b = self.down2(F.max_pool2d(a, 2))
        c = self.bottom(F.max_pool2d(b, 2))
        b = self.up2(torch.cat([self._up(c, b), b], 1))
        a = self.up1(torch.cat([self._up(b, a), a], 1))
        return self.head(a)


def _baseline(x: torch.Tensor, kind: str) -> torch.Tensor:
    """What a mask hides is replaced by, for pictures x (B, C, H, W) in [0, 1]."""
    if kind == "mean":
        return x.mean(dim=(2, 3), keepdim=True).expand_as(x)
    if kind == "gray":
        return torch.full_like(x, 0.5)
    if kind == "black":
        return torch.zeros_like(x)
    from ..concepts.regularisers import blur

    return blur(x, max(x.shape[2:]) / 16.0)


class Explainer(torch.nn.Module):
    """A mask network for a K-class classifier, with what it needs to be used and saved.

    Parameters
    ----------
    classes : int
        K, the classifier's outputs.
    size : (H, W)
        The pictures' size the network works at; other images are resized to it and the masks
        back to theirs.
    channels : int
    width : int
        Channels of the first level (the U-Net doubles them per level).
    preprocess : (scale, mean, std) or None
        The classifier's preprocess of uint8 pictures (kept to score masked images).
    baseline : {"mean", "gray", "black", "blur"}
    class_names : list of str, optional
    """

    def __init__(self, classes: int, size=(32, 32), channels: int = 3, width: int = 16,
                 preprocess=None, baseline: str = "mean", class_names=None):
        super().__init__()
        choice("baseline", baseline, BASELINES)
        self.config = {
            "classes": integer("classes", classes, lo=1),
            "size": [integer("size[0]", size[0], lo=4), integer("size[1]", size[1], lo=4)],
            "channels": integer("channels", channels, lo=1),
            "width": integer("width", width, lo=1),
            "preprocess": None if preprocess is None else [
                float(preprocess[0]), np.asarray(preprocess[1], float).tolist(),
                np.asarray(preprocess[2], float).tolist()],
            "baseline": baseline,
            "class_names": None if class_names is None else [str(c) for c in class_names],
        }
        self.net = MaskNet(self.config["classes"], channels, width)

    @property
    def preprocess(self):
        p = self.config["preprocess"]
        return None if p is None else (p[0], tuple(p[1]) if isinstance(p[1], list) else p[1],
                                       tuple(p[2]) if isinstance(p[2], list) else p[2])

    def forward(self, pictures: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) pictures in [0, 1] at ``size`` -> (B, K, H, W) masks in [0, 1]."""
        return torch.sigmoid(self.net(pictures))

    def masks(self, images) -> np.ndarray:
        """Masks for every class of (B, H, W, C) or (H, W, C) uint8 images, in one pass.

        Returns
        -------
        (B, K, H, W) float32 ndarray in [0, 1] (K, H, W for one image), at the images' size.
        """
        arr = np.asarray(images)
        single = arr.ndim == 3
        x = _pictures(arr[None] if single else arr, model_device(self))
        h, w = x.shape[2:]
        with eval_mode(self), torch.no_grad():
            m = self(_resize(x, self.config["size"]))
            m = _resize(m, (h, w))
        out = m.float().cpu().numpy()
        return out[0] if single else out

    def save(self, path: str) -> None:
        """Write the weights and configuration to ``path`` (a torch file of plain tensors and
        values, loadable with ``weights_only=True``)."""
        torch.save({"format": _FORMAT, "config": self.config,
                    "state": {k: v.detach().cpu() for k, v in self.state_dict().items()}}, path)

    @classmethod
    def load(cls, path: str, device="cpu") -> "Explainer":
        """An Explainer saved by :meth:`save`.

        Raises
        ------
        ModelFileError
            ``path`` is not an Explainer file, or its weights do not fit its configuration.
        """
        if not os.path.isfile(path):
            raise ModelFileError(f"no Explainer file at {path!r}")
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises pickle, zip and runtime errors alike
            raise ModelFileError(f"{path!r} is not an Explainer file ({exc})") from None
        if not isinstance(blob, dict) or blob.get("format") != _FORMAT:
            raise ModelFileError(f"{path!r} is not an Explainer file (format "
                                 f"{blob.get('format') if isinstance(blob, dict) else None!r})")
        c = blob["config"]
        out = cls(c["classes"], c["size"], c["channels"], c["width"], c["preprocess"],
                  c["baseline"], c["class_names"])
        try:
            out.load_state_dict(blob["state"])
        except RuntimeError as exc:
            raise ModelFileError(f"{path!r}: weights do not fit the configuration ({exc})") \
                from None
        return out.to(device).eval()


def _pictures(images: np.ndarray, device) -> torch.Tensor:
    """(B, H, W, C) uint8 (or float32 in [0, 1]) -> (B, C, H, W) float32 in [0, 1]."""
    if images.ndim != 4:
        raise ShapeError(f"images must be (B, H, W, C), got shape {images.shape}")
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    x = x.float() / 255.0 if images.dtype == np.uint8 else x.float()
    return x.permute(0, 3, 1, 2)


def _resize(x: torch.Tensor, size) -> torch.Tensor:
    if tuple(x.shape[2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def _log_probabilities(out: torch.Tensor, probabilities: bool) -> torch.Tensor:
    return torch.log(out.clamp_min(1e-8)) if probabilities else F.log_softmax(out, dim=1)


def _outputs_are_probabilities(out: torch.Tensor) -> bool:
    """Whether a classifier returns probabilities (rows >= 0 summing to 1) rather than logits:
    the age and gender networks end in a softmax."""
    return bool((out >= 0).all() and torch.allclose(out.sum(1), torch.ones(len(out)),
                                                    atol=1e-4))


def _augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random horizontal flips, small shifts/scalings/rotations and brightness/contrast changes
    of pictures (B, C, H, W) in [0, 1]."""
    from ..concepts.transforms import affine

    flip = torch.rand(len(x), generator=g) < 0.5
    x = torch.where(flip.to(x.device)[:, None, None, None], x.flip(3), x)
    x = affine(x, (0.9, 1.1), 8.0, g)
    b = len(x)
    gain = (0.8 + 0.4 * torch.rand(b, 1, 1, 1, generator=g)).to(x)
    shift = (0.1 * torch.rand(b, 1, 1, 1, generator=g) - 0.05).to(x)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * gain + mean + shift).clamp(0, 1)


def _total_variation(m: torch.Tensor) -> torch.Tensor:
    dy = (m[:, :, 1:] - m[:, :, :-1]).abs().mean()
    return dy + (m[:, :, :, 1:] - m[:, :, :, :-1]).abs().mean()


def explainer_losses(explainer: Explainer, model, pictures, to_input, probabilities: bool,
                     weights: dict, area) -> dict:
    """Stalder et al.'s losses for a batch of pictures (B, C, H, W) in [0, 1] (see the module
    docstring); returns the named terms and their weighted sum under "total"."""
    with torch.no_grad():
        decided = model(to_input(pictures)).argmax(1)
    masks = explainer(pictures)
    b, k = masks.shape[:2]
    rows = torch.arange(b, device=masks.device)
    keep = masks[rows, decided][:, None]
    base = _baseline(pictures, explainer.config["baseline"])
    kept = pictures * keep + base * (1 - keep)
    removed = pictures * (1 - keep) + base * keep
    logp_kept = _log_probabilities(model(to_input(kept)), probabilities)
    logp_removed = _log_probabilities(model(to_input(removed)), probabilities)
    entropy = -(logp_removed.exp() * logp_removed).sum(1) / np.log(max(k, 2))
    a = keep.flatten(1).mean(1)
    others = torch.ones(b, k, dtype=torch.bool, device=masks.device)
    others[rows, decided] = False
    terms = {
        "classification": F.nll_loss(logp_kept, decided),
        "inverse_entropy": -entropy.mean(),
        "area": (F.relu(a - area[1]) + F.relu(area[0] - a)).mean() + 0.1 * a.mean(),
        "other_classes": masks[others].mean() if k > 1 else masks.new_zeros(()),
        "smoothness": _total_variation(masks),
    }
    terms["total"] = sum(weights[n] * v for n, v in terms.items())
    return terms


DEFAULT_WEIGHTS = {"classification": 1.0, "inverse_entropy": 3.0, "area": 2.0,
                   "other_classes": 1.0, "smoothness": 0.5}


def train_explainer(model, images, *, preprocess=None, epochs: int = 20, batch_size: int = 16,
                    lr: float = 2e-3, area=(0.1, 0.4), weights: dict | None = None,
                    augment: bool = True, baseline: str = "mean", width: int = 16,
                    size=None, class_names=None, seed: int = 0, progress: bool = False,
                    explainer: Explainer | None = None) -> Explainer:
    """Train an :class:`Explainer` for a torch classifier on a set of images.

    Parameters
    ----------
    model : torch.nn.Module
        (B, C, H, W) model inputs -> (B, K) logits or probabilities (detected); frozen, eval
        mode, on its own device (the Explainer trains there too).
    images : (N, H, W, C) uint8 ndarray or a list of (H, W, C) uint8 arrays of one size
        The training pictures, at the classifier's input size.
    preprocess : (scale, mean, std) or None
        The classifier's preprocess of uint8 pictures (None: x / 255).
    epochs, batch_size, lr : int, int, float
        Adam over shuffled batches; one epoch sees every image once.
    area : (float, float)
        The decided class's mask area is pushed into this range (shares of the image).
    weights : dict, optional
        Loss weights by name (see ``DEFAULT_WEIGHTS``); missing names keep their default.
    augment : bool
        Random flips, shifts, scalings, rotations and brightness/contrast changes each batch.
    baseline : {"mean", "gray", "black", "blur"}
        What masks hide is replaced by.
    width : int
        The mask network's first-level channels.
    size : (H, W), optional
        The network's working size (default the images').
    class_names : list of str, optional
    seed : int
        Seeds the network's weights, the shuffling and the augmentations.
    progress : bool
        A tqdm bar over the epochs.
    explainer : Explainer, optional
        Continue training this one instead of a new one.

    Returns
    -------
    Explainer
        In eval mode; ``explainer.history`` holds the mean loss terms of each epoch.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3, padding=1),
    ...                           torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    >>> ex = train_explainer(net, np.zeros((4, 8, 8, 3), np.uint8), epochs=1, batch_size=2)
    >>> ex.masks(np.zeros((8, 8, 3), np.uint8)).shape
    (2, 8, 8)
    """
    from tqdm.auto import tqdm

    model = require_module(model, "train_explainer")
    arr = np.stack([np.asarray(im) for im in images]) if isinstance(images, (list, tuple)) \
        else np.asarray(images)
    if arr.ndim != 4 or arr.dtype != np.uint8 or len(arr) == 0:
        raise ShapeError(f"images must be a non-empty (N, H, W, C) uint8 array, got "
                         f"{arr.shape} {arr.dtype}")
    epochs = integer("epochs", epochs, lo=1)
    batch_size = integer("batch_size", batch_size, lo=1)
    lr = real("lr", lr, lo=0.0, lo_open=True)
    lo_area, hi_area = real("area[0]", area[0], lo=0.0, hi=1.0), real("area[1]", area[1],
                                                                       lo=0.0, hi=1.0)
    if lo_area > hi_area:
        raise ArgumentError(f"area must be (low, high) with low <= high, got {area!r}")
    w = dict(DEFAULT_WEIGHTS)
    unknown = set(weights or {}) - set(w)
    if unknown:
        raise ArgumentError(f"unknown loss weight(s) {sorted(unknown)}; known: {sorted(w)}")
    w.update(weights or {})
    device = model_device(model)
    torch.manual_seed(integer("seed", seed))
    g = torch.Generator().manual_seed(seed)
    data = _pictures(arr, device)
    from ..concepts.pixels import ModelInput

    to_input = ModelInput(preprocess, arr.shape[3], device)
    with eval_mode(model), torch.no_grad():
        out = model(to_input(data[:batch_size]))
    if out.ndim != 2:
        raise ShapeError(f"the classifier must return (B, K) scores, got {tuple(out.shape)}")
    probabilities = _outputs_are_probabilities(out)
    if explainer is None:
        explainer = Explainer(out.shape[1], size or arr.shape[1:3], arr.shape[3], width,
                              None if preprocess is None else tuple(resolve_preprocess(
                                  preprocess, np.uint8)), baseline, class_names)
    explainer = explainer.to(device).train()
    opt = torch.optim.Adam(explainer.parameters(), lr=lr)
    history = []
    start = time.perf_counter()
    frozen = [p for p in model.parameters() if p.requires_grad]
    with eval_mode(model):
        for p in frozen:
            p.requires_grad_(False)
        try:
            for _ in tqdm(range(epochs), desc="train_explainer", disable=not progress):
                order = torch.randperm(len(data), generator=g)
                sums: dict = {}
                for i in range(0, len(data), batch_size):
                    x = data[order[i:i + batch_size].to(device)]
                    if augment:
                        x = _augment(x, g)
                    x = _resize(x, explainer.config["size"])
                    terms = explainer_losses(explainer, model, x, to_input, probabilities, w,
                                             (lo_area, hi_area))
                    opt.zero_grad()
                    terms["total"].backward()
                    opt.step()
                    for n, v in terms.items():
                        sums[n] = sums.get(n, 0.0) + float(v.detach()) * len(x)
                history.append({n: v / len(data) for n, v in sums.items()})
        finally:
            for p in frozen:
                p.requires_grad_(True)
    explainer.history = history
    explainer.train_seconds = time.perf_counter() - start
    return explainer.eval()


def _scores(model, image: np.ndarray, preprocess) -> np.ndarray:
    """The model's scores (D,) of the unmasked image, through the one evaluation loop's binding
    (a torch module is wrapped in a TorchModel with the Explainer's preprocess)."""
    from ..evaluate import Binding
    from ..models.torch_model import TorchModel

    if isinstance(model, torch.nn.Module):
        model = TorchModel(model, preprocess=preprocess, device=model_device(model))
    return Binding(model, image).original


def explainer(model, image, target=None, *, explainer, progress: bool = False) -> SaliencyMap:
    """The trained Explainer's mask for ``target`` as a saliency map.

    Parameters
    ----------
    model : Model adapter, callable, torch.nn.Module or None
        Scores the unmasked image once: picks the class when ``target`` is None and gives the
        map's score. None is allowed with an int ``target`` (no model call at all).
    image : (H, W, C) uint8 ndarray, or a (B, H, W, C) array / list (a batch)
    target : int, None, or a list of them (one per image of a batch)
    explainer : Explainer or str
        A trained Explainer or the path of a saved one.
    progress : bool
        Unused (one forward pass per image); kept for the common calling convention.

    Returns
    -------
    SaliencyMap or list of SaliencyMap
        ``map`` (H, W) float32 in [0, 1], the class's mask; ``extra["masks"]`` (K, H, W) every
        class's mask from the same forward pass; ``evaluations`` counts model calls (0 or 1).
    """
    from .targets import ClassTarget

    ex = Explainer.load(explainer) if isinstance(explainer, (str, os.PathLike)) else explainer
    if not isinstance(ex, Explainer):
        raise ArgumentError(f"explainer must be an Explainer or a file path, got "
                            f"{type(ex).__name__}")
    batch = isinstance(image, (list, tuple)) or (isinstance(image, np.ndarray) and image.ndim == 4)
    images = list(image) if batch else [image]
    targets = list(target) if isinstance(target, (list, tuple)) else [target] * len(images)
    if len(targets) != len(images):
        raise ArgumentError(f"{len(targets)} targets for {len(images)} images")
    maps = []
    for im, t in zip(images, targets):
        im = np.asarray(im)
        start = time.perf_counter()
        scores = None
        if model is not None:
            scores = _scores(model, im, ex.preprocess)
        elif t is None:
            raise ArgumentError("target=None needs a model to pick the decided class")
        index = int(np.argmax(scores)) if t is None else int(t)
        ClassTarget(index).check(torch.zeros(1, ex.config["classes"]))
        masks = ex.masks(im)
        maps.append(SaliencyMap(
            map=np.ascontiguousarray(masks[index], dtype=np.float32), method="explainer",
            target=index, score=float("nan") if scores is None else float(scores[index]),
            evaluations=0 if scores is None else 1, seconds=time.perf_counter() - start,
            extra={"masks": masks, "area": float(masks[index].mean())}))
    return maps if batch else maps[0]
