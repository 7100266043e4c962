"""The one evaluation loop: kept-masks -> images rendered into the model's declared input ->
scores.

Every consumer of model answers (the search, explain's proofs, every black-box saliency method,
the metrics) goes through :class:`Evaluation`, so the unmasked image and the masked ones take one
path, and host or CUDA rendering is chosen in one place: where the model's input buffer lives.

Geometry. A model that binds a :class:`~minplus.models.input_spec.Frame` (an aligned face chip,
a resize to its input size) sees its input in that frame. Two ways get it there:

* ``render="image"`` (default): mask at the image's resolution, then warp each masked image into
  the frame, exactly as the model's own pipeline would treat a masked photo;
* ``render="frame"``: warp image, baseline and labels into the frame once (labels by nearest
  neighbour) and render there, in one fused pass straight into the model's input. A 32 px
  network then gets 32 px renders instead of resized 256 px images. The two differ only along
  region borders: in "image" a border pixel of the input interpolates kept and masked source
  pixels, in "frame" it is wholly kept or wholly masked, as its nearest source label says.

A window masker (MinPlus) in a frame that shrinks the image by whole factors (``Frame.block``:
an ``input_size=32`` network on a 256 px face) needs neither: its kernel renders each image
straight into the model's input at the frame's size, every pixel the mean of its block of the
full-size render, which is what "image" computes (to float32 rounding) without writing the
full-size images or warping them one by one.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time

import numpy as np

from .core import as_masks
from .arguments import choice
from .errors import ModelError
from .masking import Masker
from .models.base import Model, as_model

RENDERS = ("image", "frame")


_RENDERER: dict = {}
# the cores this process may run on (a container's or taskset's share, not the machine's)
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
    (os.cpu_count() or 1)


def _spare_core() -> bool:
    """Whether a render thread may run beside the model: more than one core for this process,
    and no ``OMP_NUM_THREADS=1`` (a user's request for one thread is kept)."""
    try:
        cap = int(os.environ.get("OMP_NUM_THREADS", "0").split(",")[0])
    except ValueError:
        cap = 0
    return _CORES > 1 and cap != 1


def _renderer() -> concurrent.futures.ThreadPoolExecutor:
    """The one background thread that renders a call's next chunk while the model runs (one per
    process: a forked child would inherit an executor whose thread it does not have)."""
    pid = os.getpid()
    if pid not in _RENDERER:
        _RENDERER.clear()
        _RENDERER[pid] = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="minplus-render")
    return _RENDERER[pid]
_RESERVE_BYTES = 64 << 20


# Host render buffers outlive the Evaluation that made them: the next Evaluation (the next
# search, the next image of a run) takes one of the same image shape instead of faulting in
# fresh pages. An Evaluation owns a buffer while it lives, so two never share one.
_POOL: list = []
_POOL_BYTES = 256 << 20


_POOL_LOCK = threading.Lock()  # the render thread takes buffers too


def _take(shape, dtype):
    """A pooled host buffer of at least ``shape[0]`` images of ``shape[1:]`` and ``dtype``."""
    dtype = np.dtype(dtype)
    with _POOL_LOCK:
        for i, buf in enumerate(_POOL):
            if buf.dtype == dtype and buf.shape[1:] == tuple(shape[1:]) and \
                    buf.shape[0] >= shape[0]:
                return _POOL.pop(i)
    return None


def _give_back(buf: np.ndarray) -> None:
    with _POOL_LOCK:
        _POOL.insert(0, buf)
        while sum(b.nbytes for b in _POOL) > _POOL_BYTES:
            _POOL.pop()


def masker_in_frame(masker: Masker, frame) -> Masker:
    """The same regions and baseline as ``masker``, in ``frame``'s geometry: image and baseline
    warped once by ``frame.warp``, labels by nearest neighbour (pixels from outside the image
    become context), soft weights warped linearly.

    Examples
    --------
    >>> from minplus.models.input_spec import Frame
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:, 4:] = 200
    >>> lab = np.repeat(np.arange(2), 4)[None].repeat(8, 0).astype(np.int32)
    >>> m = masker_in_frame(Masker(img, lab, baseline="black"), Frame.resize((8, 8), (4, 4)))
    >>> m.image.shape, m.labels[0].tolist()
    ((4, 4, 3), [0, 0, 1, 1])
    """
    soft = None
    if masker.soft_weights is not None:
        soft = np.stack([frame.warp(w) for w in masker.soft_weights]).astype(np.float32)
    return Masker(frame.warp(masker.image), frame.warp_labels(masker.labels),
                  baseline=frame.warp(masker.baseline), context=masker.context,
                  n_regions=masker.n, soft_weights=soft)


class Binding:
    """A model bound to one explained image: the frame it wants its input in and the unmasked
    image's scores. Every masker of that image (a method may build several) shares it, so the
    model binds once per image and the unmasked image is scored once.

    Parameters
    ----------
    model : Model or callable
    image : (H, W, C) ndarray
        The explained image, as the maskers hold it.
    """

    def __init__(self, model, image: np.ndarray):
        self.model = as_model(model)
        self.image = image
        # The input for this image's pixel type: the default preprocess depends on it.
        self.spec = self.model.input_spec_for(image.dtype)
        self.frame = self.model.bind(image)
        t = time.perf_counter()
        self.original = self.model.checked(self.model.run(self.prepare(image[None])), 1)[0]
        self.seconds = time.perf_counter() - t

    def prepare(self, images: np.ndarray, warp: bool = True):
        """(B, H, W, C) images in the source geometry -> a batch the model runs: warped into the
        frame (unless ``warp`` is False: already there) and prepared as it declares."""
        if warp and self.frame is not None:
            images = np.stack([self.frame.warp(im) for im in images])
        return self.model.prepare(images)

    def evaluation(self, masker, render: str = "image") -> "Evaluation":
        """An :class:`Evaluation` of ``masker`` (which must hold this image) sharing this
        binding."""
        return Evaluation(self, masker, render)


class Evaluation:
    """Scores of masked versions of one image under one model.

    Parameters
    ----------
    model : Model, callable or Binding
        Any adapter of :mod:`minplus.models`, ``fn(images (B, H, W, C)) -> scores (B, D)``
        (called once per batch it is given), or a :class:`Binding` of a model to this image.
    masker : Masker or an index masker
        The explained image, its regions and baseline.
    render : {"image", "frame"}
        Where masking happens when the model binds a frame (see the module docstring).

    Attributes
    ----------
    original : (D,) float64
        Scores of the unmasked image, computed through the same preparation as the masked ones.
    calls, images, seconds : int, int, float
        Model runs, masked images scored and seconds spent (render + model).

    Examples
    --------
    >>> img = np.full((4, 4, 3), 100, np.uint8)
    >>> m = Masker(img, np.arange(16).reshape(4, 4) // 8, baseline="black")
    >>> ev = Evaluation(lambda x: x.mean(axis=(1, 2, 3)), m)
    >>> ev.original.tolist(), ev.scores([1, 2, 3])[:, 0].tolist()
    ([100.0], [50.0, 50.0, 100.0])
    """

    def __init__(self, model, masker, render: str = "image"):
        choice("render", render, RENDERS)
        binding = model if isinstance(model, Binding) else Binding(model, masker.image)
        if binding.image is not masker.image and not (
                binding.image.shape == masker.image.shape
                and np.array_equal(binding.image, masker.image)):
            raise ModelError("the Binding holds another image than this masker's")
        self.binding, self.model, self.spec = binding, binding.model, binding.spec
        self.frame, self.original = binding.frame, binding.original
        self.source = masker
        self.warp = self.block = None
        if self.frame is not None:
            if render == "frame" and type(masker) is Masker:
                masker = masker_in_frame(masker, self.frame)
            elif getattr(self.frame, "block", None) is not None and self.spec.layout == "nchw" \
                    and getattr(masker, "renders_blocks", False):
                self.block = self.frame.block  # rendered and area-reduced in one pass
            else:
                self.warp = self.frame
        self.masker = masker
        self.n = masker.n
        self.calls = self.images = 0
        self.seconds = 0.0
        self.width = len(self.original)
        self._buffers: dict = {}

    @property
    def image(self) -> np.ndarray:
        """The explained image (H, W, C), as the masker holds it."""
        return self.source.image

    def _buffer(self, key, shape, dtype, make):
        # One buffer as large as the largest batch so far, handed out as its leading rows (still
        # C-contiguous): batches of changing size then reuse pages already touched instead of
        # faulting in a fresh multi-MB allocation each time.
        buf = self._buffers.get(key)
        if buf is None or buf.shape[0] < shape[0] or tuple(buf.shape[1:]) != tuple(shape[1:]):
            if isinstance(buf, np.ndarray):
                _give_back(buf)
            buf = _take(shape, dtype) if make is np.empty or \
                type(self.model).input_buffer is Model.input_buffer else None
            if buf is None:
                buf = make(tuple(shape), dtype)
            self._buffers[key] = buf
        return buf[:shape[0]]

    def __del__(self):
        for buf in getattr(self, "_buffers", {}).values():
            if isinstance(buf, np.ndarray):
                _give_back(buf)

    def _run(self, batch, count: int) -> np.ndarray:
        scores = self.model.checked(self.model.run(batch), count, self.width)
        self.calls += 1
        self.images += count
        return scores

    def _score_images(self, images: np.ndarray) -> np.ndarray:
        """Scores of (B, H, W, C) rendered images, through the frame warp unless rendered in
        the frame."""
        return self._run(self.binding.prepare(images, warp=self.warp is not None), len(images))

    def _target(self, B: int, slot: int = 0):
        """(path, buffer of B images) where a chunk of B masks is rendered: "nchw" or "raw"
        straight into the model's input, "host" for images that are warped or converted.
        ``slot`` 1 is the second buffer of a pipelined call."""
        m, spec = self.masker, self.spec
        if self.warp is None and spec.layout == "nchw":
            return "nchw", self._buffer(("in", slot), self._shape(B, "nchw"), spec.dtype,
                                        self.model.input_buffer)
        if self.warp is None and spec.raw and spec.device == "cpu":
            return "raw", self._buffer(("in", slot), m.output_shape(B), m.image.dtype,
                                       self.model.input_buffer)
        return "host", self._buffer(("host", slot), m.output_shape(B), m.image.dtype, np.empty)

    def _shape(self, B: int, layout: str) -> tuple:
        """The masker's output shape for B images (area-reduced in a block frame)."""
        if self.block is None:
            return self.masker.output_shape(B, layout)
        return self.masker.output_shape(B, layout, block=self.block)

    def reserve(self, batch: int) -> None:
        """Allocate the render buffers for batches of up to ``batch`` masks now (the driver
        knows its largest batch), so later batches reuse touched pages."""
        step = self.model.batch_size or batch
        per_image = 4 * int(np.prod(self._shape(1, "hwc")))  # float32 at most
        cap = max(1, _RESERVE_BYTES // per_image)  # beyond this, allocate as batches come
        self._target(max(1, min(int(batch), step, cap)))

    def _render_chunk(self, masks: np.ndarray, slot: int = 0, num_threads: int = 0):
        """Render a chunk: (path, buffer)."""
        path, buf = self._target(len(masks), slot)
        if path == "nchw":
            p = self.spec.preprocess
            block = {} if self.block is None else {"block": self.block}
            self.masker.render(masks, out=buf, layout="nchw", dtype=self.spec.dtype,
                               scale=p.scale, mean=p.mean, std=p.std, num_threads=num_threads,
                               **block)
        else:
            self.masker.render(masks, out=buf, num_threads=num_threads)
        return path, buf

    def _run_chunk(self, path, buf) -> np.ndarray:
        return self._run(buf, len(buf)) if path != "host" else self._score_images(buf)

    def _pipelined(self, chunks) -> bool:
        """Whether to render the next chunk while the model runs this one: two chunks or more,
        host rendering (CUDA rendering is asynchronous already) and a second core for it
        (:func:`_spare_core`)."""
        return len(chunks) > 1 and self.spec.device == "cpu" and _spare_core()

    def scores(self, masks) -> np.ndarray:
        """Scores (B, D) float64 of the images rendered for kept-masks (B,) uint64, split into
        runs of the model's ``batch_size``.

        With two runs or more, the next run's images are rendered on a second thread (one core)
        while the model answers the current one, into a second buffer."""
        # A plain Masker takes region bitmasks; an index masker checks its own indices.
        masks = as_masks(masks, self.n) if isinstance(self.masker, Masker) and \
            not hasattr(self.masker, "n_items") else np.asarray(masks)
        t = time.perf_counter()
        step = self.model.batch_size or len(masks)
        chunks = [masks[i:i + step] for i in range(0, len(masks), step)]
        if not self._pipelined(chunks):
            parts = [self._run_chunk(*self._render_chunk(c)) for c in chunks]
        else:
            parts = []
            ready = self._render_chunk(chunks[0])  # every core: nothing to overlap yet
            for i in range(len(chunks)):
                pending = None
                if i + 1 < len(chunks):
                    pending = _renderer().submit(self._render_chunk, chunks[i + 1], (i + 1) % 2, 1)
                try:
                    parts.append(self._run_chunk(*ready))
                except BaseException:
                    if pending is not None:  # no render may still write a buffer afterwards
                        concurrent.futures.wait([pending])
                    raise
                if pending is not None:
                    ready = pending.result()
        self.seconds += time.perf_counter() - t
        return np.concatenate(parts)

    def __repr__(self):
        return (f"Evaluation({self.model!r}, n={self.n}, frame={self.frame is not None}, "
                f"calls={self.calls})")


def evaluation(model, masker, render: str = "image") -> Evaluation:
    """An :class:`Evaluation` of ``model`` (an adapter, a callable or a :class:`Binding`) on
    ``masker``; an Evaluation is returned as is when it already serves that masker."""
    if isinstance(model, Evaluation):
        if model.source is not masker:
            raise ModelError("this Evaluation serves another masker")
        return model
    return Evaluation(model, masker, render)


def score_masks(model, masker, masks, render: str = "image") -> np.ndarray:
    """Scores (B, D) of ``model`` on the images ``masker`` renders for ``masks`` (B,): a one-off
    :class:`Evaluation` (it binds the image on every call; keep an Evaluation for many).

    Examples
    --------
    >>> img = np.full((2, 2, 1), 10, np.uint8)
    >>> score_masks(lambda x: x.sum(axis=(1, 2, 3)), Masker(img, np.eye(2, dtype=np.int32),
    ...             baseline="black"), [1, 3])[:, 0].tolist()
    [20.0, 40.0]
    """
    return Evaluation(model, masker, render).scores(masks)
