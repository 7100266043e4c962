"""Robustness of Min+ / Min- claims on real faces: "holds in k of m" per set, with margins that
agree with the explanation's own proofs."""

import json

import numpy as np
import pytest

from minplus import explain, metrics
from minplus.demo import sample_faces
from minplus.models import (Classification, DlibFaceRecognizer, GenderClassifier, Threshold,
                            Verification)


@pytest.fixture(scope="module")
def faces():
    return sample_faces()


def _check_claims(e, r, margins_of_proofs):
    claims = [c for c in r.claims]
    n_plus = 0 if e.min_plus_masks is None else len(e.min_plus_masks)
    n_minus = 0 if e.min_minus_masks is None else len(e.min_minus_masks)
    assert [c.kind for c in claims] == ["min_plus"] * n_plus + ["min_minus"] * n_minus
    assert [c.regions for c in claims] == (e.min_plus or []) + (e.min_minus or [])
    # the search's own conditions reproduce the proofs' scores: every claim holds there, at the
    # margin the proof's scores give
    np.testing.assert_allclose([c.margin for c in claims], margins_of_proofs, atol=1e-6)
    for c in claims:
        assert c.holds["search"] and c.m == len(r.conditions) and c.fragile == (c.k < c.m)
        for name in r.conditions:
            # a Min+ claim holds on the boundary (distance == threshold preserves), a Min- one
            # strictly past it
            ok = c.margins[name] >= 0 if c.kind == "min_plus" else c.margins[name] > 0
            assert c.holds[name] == ok
        assert f"holds in {c.k} of {c.m}" in c.describe()
    assert r.value == pytest.approx(np.mean([not c.fragile for c in claims]))
    json.dumps(r.to_dict())


def _proof_margins(e):
    parts = []
    for scores, sign in ((e.min_plus_scores, 1), (e.min_minus_scores, -1)):
        if scores is not None and len(scores):
            parts.append(sign * metrics.decision_margin(e.decision, scores)[0])
    return np.concatenate(parts)


def test_verification_claims_on_the_demo_match(faces):
    model = DlibFaceRecognizer(backend="torch")
    e = explain(faces["hopper"], model, Verification(faces["hopper_shifted"], threshold=0.6),
                regions="face68", baseline="blur", progress=False)
    r = metrics.robustness(e, model)
    assert r.conditions == ["search", "baseline=mean", "baseline=black", "baseline=gray",
                            "baseline=noise", "shift x-2", "shift y-2", "shift x+2",
                            "shift y+2", "brightness x0.9", "brightness x1.1", "jpeg q75",
                            "dlib 68-point aligner"]
    assert r.unit == "distance"
    _check_claims(e, r, _proof_margins(e))
    # margins are threshold - distance: at most the threshold itself
    assert all(max(c.margins.values()) < 0.6 for c in r.claims)
    # the unmasked match survives every condition, so a failing claim is the claim's own
    assert all(r.extra["unmasked_preserved"].values())
    # a claim this close to the boundary (0.01 in distance) cannot survive 12 perturbations
    tight = [c for c in r.claims if c.margin < 0.02]
    assert tight and all(c.fragile for c in tight)


def test_gender_claims_on_real_faces(faces):
    model = GenderClassifier()
    for photo in (faces["hopper"], faces["astronaut"]):
        e = explain(photo, model, Classification(), regions="face68", baseline="blur",
                    progress=False)
        r = metrics.robustness(e, model, jpeg=(50, 90))
        assert "jpeg q50" in r.conditions and not any("aligner" in c for c in r.conditions)
        assert r.unit == "probability"
        _check_claims(e, r, _proof_margins(e))


def test_planted_claims_closed_form():
    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4] = 200
    f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]  # noqa: E731
    e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black", progress=False)
    r = metrics.robustness(e, f, baselines=["gray", "mean"], shifts=(2,), brightness=(0.2,),
                           jpeg=())
    plus, minus = r.claims
    # keeping the left half: score 200 (margin 150); brightness x0.2: 40 < 50 breaks it
    assert plus.margins["search"] == pytest.approx(150.0)
    assert plus.margins["brightness x0.2"] == pytest.approx(-10.0)
    # removing it on gray (128) or mean (100) leaves the score above 50: the claim fails there
    assert minus.margins["baseline=gray"] == pytest.approx(-78.0)
    assert minus.margins["baseline=mean"] == pytest.approx(-50.0)
    assert minus.holds == {"search": True, "baseline=gray": False, "baseline=mean": False,
                           "shift x+2": True, "shift y+2": True, "brightness x0.2": True}
    assert (plus.k, plus.m, minus.k) == (5, 6, 4)
    assert r.value == 0.0


def test_robustness_figure():
    import matplotlib

    matplotlib.use("Agg")
    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4] = 200
    f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]  # noqa: E731
    e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black", progress=False)
    fig = metrics.robustness(e, f, shifts=(), jpeg=()).figure()
    assert len(fig.axes[0].get_yticklabels()) == 2
