"""minplus.explain: which facial regions a model's decision needs (Min+) and hinges on (Min-).

One call runs the whole pipeline: parse the image into regions, score any reference image the
decision needs, open one :class:`~minplus.evaluate.Evaluation` of the model on the image (the
unmasked scores bind the decision), search the lattice of region subsets through it, then
re-query every set found through the same loop to attach the masked image and the scores that
prove it.
"""

from __future__ import annotations

import time

import numpy as np

from .errors import ArgumentError, ModelError
from .evaluate import Evaluation
from .explanation import Explanation
from .models.base import as_model
from .models.decision import Decision, as_decision
from .models.decisions import Classification, Verification


def _decision(decision, reference) -> Decision:
    if decision is None:
        return Classification() if reference is None else Verification(reference)
    if reference is not None:
        raise ArgumentError("give reference= (for the default Verification) or a decision, not "
                            "both: use decision=Verification(reference, ...)")
    return as_decision(decision)


def explain(image, model, decision=None, regions="face68", baseline="blur", goal="both",
            mode="exact", reference=None, progress=True, batch_size="auto", budget=None,
            face_index=None, render="image", options=None, **search_options) -> Explanation:
    """Explain one image's decision by the smallest region sets that keep it and that break it.

    Parameters
    ----------
    image : ndarray
        With a face parser ("face68", "fine", ...): (H, W), (H, W, 3) or (H, W, 4), uint8 or
        float in [0, 1], at least 32 px a side; grayscale is replicated to RGB, alpha dropped,
        float scaled to uint8, and the face is cropped to a 256 x 256 chip (the explained
        image). Other region specs: (H, W[, C]) uint8 or float32, used as is.
    model : Model or callable
        A :class:`~minplus.models.Model` adapter (``TorchModel``, ``OnnxModel``,
        ``DlibFaceRecognizer``, ...) or ``fn(images (B, H, W, C)) -> scores (B, D)``.
    decision : Decision or callable, optional
        What is explained (see :mod:`minplus.models.decisions`). Default:
        ``Verification(reference)`` when ``reference`` is given, else ``Classification()``
        (the top class).
    regions : str, RegionMap or (labels, names)
        Region spec for :func:`minplus.regions.parse_regions`: "face68" (7 coarse face regions),
        "face68:fine" (11), "grid:RxC", "slic:N", or your own map of the image.
    baseline : str or ndarray
        What masked regions show (see :mod:`minplus.baselines`); "blur" by default.
    goal : {"both", "min_plus", "min_minus"}
    mode : {"exact", "minimal", "monotone", "greedy"}
        Search mode of :func:`minplus.search`; "exact" finds every minimum-size set.
    reference : ndarray, optional
        For face verification: the reference face image (embedded by ``model``) or embedding.
    progress : bool
        Show a tqdm progress bar during the search.
    batch_size : "auto" or int
        Masks per search batch; "auto" measures the model's throughput and picks one.
    budget : int, optional
        Most model queries for the search; the result is then what was proven so far.
    face_index : int, optional
        Which face to explain when the image holds several (largest first).
    render : {"image", "frame"}
        For a model that binds a geometric frame (an aligned chip, its input size): mask the
        explained image and warp each masked image (default), or render straight in the model's
        frame (faster; region borders differ, see :mod:`minplus.evaluate`).
    options : minplus.SearchOptions, optional
        All search options in one object (goal, mode, budget, max_size, ...), carried to
        :func:`minplus.search` and the engine; instead of giving them one by one.
    **search_options
        Search options given one by one (e.g. ``max_size``, ``first_only``); see
        :class:`minplus.SearchOptions`.

    Returns
    -------
    Explanation

    Raises
    ------
    FaceNotFoundError
        No face in ``image`` (face parsers) or in a ``reference`` image.
    ModelError
        The model failed, returned scores of the wrong shape or NaN, or answered differently
        when a found set was re-queried (a non-deterministic model).

    Examples
    --------
    >>> from minplus.models import Threshold
    >>> img = np.zeros((4, 4, 3), np.uint8); img[:2] = 200
    >>> e = explain(img, lambda x: x.mean(axis=(1, 2, 3)), Threshold(50.0), regions="grid:2x1",
    ...             baseline="black", progress=False)
    >>> e.min_plus, e.min_minus
    ([['r0c0']], [['r0c0']])
    """
    from .lattice import check_search
    from .regions import parse_regions
    from .search import search
    from .search_options import SearchOptions

    t0 = time.perf_counter()
    options = SearchOptions.from_call(options, goal=goal, mode=mode, budget=budget,
                                      **search_options)
    goal, mode = options.goal, options.mode
    model = as_model(model)
    decision = _decision(decision, reference)
    parsed = parse_regions(image, regions, face_index=face_index)
    region_map = parsed.regions
    check_search(region_map.n, options)  # an infeasible search is refused before any model call
    t_regions = time.perf_counter()
    masker = parsed.masker(baseline)
    full = int(region_map.full_mask)
    # The driver scores what the decision needs (a reference face) with this model, unless
    # this model scored it already: the decision never calls the model.
    decision.prepare(model)
    ev = Evaluation(model, masker, render=render)
    original = ev.original
    t_search = time.perf_counter()
    result = search(ev, masker, decision, options=options, batch_size=batch_size,
                    progress=progress, names=list(region_map.names))
    t_proofs = time.perf_counter()
    plus = np.array(result.min_plus, np.uint64) if goal != "min_minus" else None
    minus = np.array(result.min_minus, np.uint64) if goal != "min_plus" else None
    plus_proof = _proofs(ev, decision, plus, True, mode)
    minus_proof = _proofs(ev, decision, None if minus is None else full ^ minus, False, mode)
    t_end = time.perf_counter()
    return Explanation(
        image=parsed.image, region_map=region_map, decision=decision, original_scores=original,
        min_plus_masks=plus, min_minus_masks=minus,
        min_plus_images=plus_proof[0], min_minus_images=minus_proof[0],
        min_plus_scores=plus_proof[1], min_minus_scores=minus_proof[1],
        queries=int(result.queries),
        seconds={"regions": t_regions - t0, "prepare": t_search - t_regions,
                 "search": t_proofs - t_search,
                 "proofs": t_end - t_proofs, "total": t_end - t0},
        goal=goal, mode=mode, baseline=baseline if isinstance(baseline, str) else "array",
        search=_search_facts(result), crop=parsed.crop, search_result=result)


def _proofs(ev, decision, kept, preserves: bool, mode: str):
    """Masked images (K, H, W, C) and scores (K, D) of kept-masks (K,), re-queried through the
    evaluation ``ev``: each must decide as the search concluded (``preserves``)."""
    if kept is None:
        return None, None
    masker = ev.source
    if len(kept) == 0:
        return (np.zeros((0,) + masker.image.shape, masker.image.dtype),
                np.zeros((0, len(ev.original))))
    scores = ev.scores(kept)
    wrong = np.flatnonzero(decision(scores) != preserves)
    if len(wrong):
        why = "the model is not monotone" if mode == "monotone" else \
            "the model is not deterministic"
        raise ModelError(f"re-querying kept-mask {int(kept[wrong[0]]):#x} gave a different "
                         f"decision than the search concluded: {why}")
    return masker.render(kept), scores


def _search_facts(result) -> dict:
    return {"bounds": list(result.bounds), "proven_below": dict(result.proven_below),
            "finished": dict(result.finished), "budget_exhausted": bool(result.budget_exhausted),
            "queries_per_level": np.asarray(result.queries_per_level).tolist(),
            "batches": int(result.batches), "pruned": int(result.pruned),
            "violations": int(result.violations), "engine_seconds": float(result.engine_seconds),
            "model_seconds": float(result.model_seconds)}
