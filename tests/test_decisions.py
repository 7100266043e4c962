"""Decisions: preserved = same decision as the unmasked image; describe() phrases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from minplus.errors import FaceNotFoundError, ShapeError, TargetError
from minplus.models import (CallableModel, Classification, Regression, Threshold, Verification,
                            as_decision)

scores_2d = arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(2, 6)),
                   elements=st.floats(-20, 20))


@settings(max_examples=60, deadline=None)
@given(scores_2d)
def test_classification_preserved_iff_same_argmax(s):
    d = Classification().bind(s[0])
    assert d(s).tolist() == (np.argmax(s, 1) == np.argmax(s[0])).tolist()
    assert d(s[:1]).tolist() == [True]  # the unmasked image keeps its own decision


@settings(max_examples=60, deadline=None)
@given(scores_2d, st.floats(0.05, 1.0))
def test_classification_factor_on_softmax_probability(s, factor):
    d = Classification(target=1, factor=factor).bind(s[0])
    p = np.exp(s - s.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert d(s).tolist() == (p[:, 1] >= factor * p[0, 1]).tolist()


def test_classification_takes_probabilities_as_given():
    d = Classification(target=0, factor=0.5).bind([0.8, 0.2])
    assert not d.from_logits
    assert d([[0.4, 0.6], [0.39, 0.61]]).tolist() == [True, False]
    assert d.describe([0.39, 0.61]) == "p(class 0) 0.39 < 0.5 x 0.80"
    assert Classification(from_logits=True).bind([0.8, 0.2]).from_logits


def test_classification_bad_target_and_single_score():
    with pytest.raises(TargetError, match="target 5"):
        Classification(target=5).bind([0.1, 0.2, 0.3])
    with pytest.raises(ShapeError, match="Threshold"):
        Classification().bind([0.3])
    with pytest.raises(ValueError, match="top class is 2"):
        Classification(target=0).bind([0.1, 0.2, 0.3])  # not the image's own decision
    assert Classification(target=2).bind([0.1, 0.2, 0.3]).class_ == 2
    with pytest.raises(RuntimeError, match="not bound"):
        Classification()([[0.1, 0.2]])


def test_threshold_sides_and_refusal():
    d = Threshold(0.5, index=1, above=False).bind([9.0, 0.2])
    assert d([[0, 0.49], [0, 0.5]]).tolist() == [True, False]
    assert d.outcome == "score < 0.5" and d.describe([0, 0.7]) == "score 0.7 >= 0.5"
    with pytest.raises(ValueError, match="nothing to preserve"):
        Threshold(0.5).bind([0.2])
    with pytest.raises(TargetError):
        Threshold(0.5, index=3).bind([0.9])


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.just(4)), elements=st.floats(-3, 3)),
       arrays(np.float64, 4, elements=st.floats(-3, 3)), st.floats(0.1, 4.0))
def test_verification_same_outcome_as_original(emb, ref, t):
    d = Verification(ref, threshold=t).bind(emb[0])
    dist = np.linalg.norm(emb - ref, axis=1)
    assert d.match == bool(dist[0] <= t)
    assert d(emb).tolist() == ((dist <= t) == (dist[0] <= t)).tolist()


def test_verification_explains_match_and_non_match():
    ref = np.array([1.0, 0.0])
    match = Verification(ref, threshold=0.5).bind([0.9, 0.1])
    non = Verification(ref, threshold=0.5).bind([0.0, 1.0])
    batch = [[1.0, 0.1], [-1.0, 0.0]]
    assert match(batch).tolist() == [True, False] and match.outcome == "the match"
    assert non(batch).tolist() == [False, True] and non.outcome == "the non-match"


def test_verification_cosine():
    d = Verification(np.array([1.0, 0.0]), threshold=0.1, metric="cosine").bind([5.0, 0.1])
    assert d([[3.0, 0.0], [1.0, 1.0]]).tolist() == [True, False]
    np.testing.assert_allclose(d.distance([[0.0, 2.0]]), [1.0])


def test_verification_embeds_a_reference_image_with_the_model():
    model = CallableModel(lambda x: x.reshape(len(x), -1)[:, :3].astype(float))
    ref = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    d = Verification(ref, threshold=1.0).prepare(model).bind([0.0, 1.0, 2.0])
    np.testing.assert_array_equal(d.embedding, [0, 1, 2])
    assert d.match and d.describe([0.0, 1.0, 4.0]) == "distance 2.00 > 1"


def test_a_reference_image_is_embedded_by_each_model_once():
    """explain() embeds the reference with its own model every call: an embedding another model
    left on the same decision is not reused (it was: a second model compared its descriptors
    with the first one's); the same model object (or a copy of the decision it scored) does
    not embed it again."""
    import copy

    import minplus

    calls = []

    def embedder(scale):
        def fn(x):
            calls.append((scale, len(x)))
            return x.reshape(len(x), -1, 3).mean(axis=1).astype(float) * scale
        return CallableModel(fn)

    a, b = embedder(1.0), embedder(3.0)
    ref = np.full((8, 8, 3), 90, np.uint8)
    img = np.full((8, 8, 3), 100, np.uint8)
    d = Verification(ref, threshold=20.0)
    ea = minplus.explain(img, a, d, regions="grid:2x2", baseline="black", progress=False)
    np.testing.assert_allclose(d.embedding, [90.0] * 3)
    assert d.match and ea.min_plus
    eb = minplus.explain(img, b, d, regions="grid:2x2", baseline="black", progress=False)
    np.testing.assert_allclose(d.embedding, [270.0] * 3)  # b's own, not a's
    assert not d.match and eb.min_plus  # 30 * sqrt(3) > 20: b says non-match
    calls.clear()
    d.prepare(b)
    copy.deepcopy(d).prepare(b)
    assert calls == []  # b scored it already
    d.prepare(a)
    assert calls == [(1.0, 1)]


def test_verification_bad_inputs():
    with pytest.raises(ValueError, match="metric"):
        Verification(np.zeros(3), metric="manhattan")
    with pytest.raises(ShapeError, match="reference"):
        Verification(np.zeros((1, 2, 3, 4)))
    with pytest.raises(RuntimeError, match="prepare"):
        Verification(np.zeros((8, 8, 3), np.uint8)).bind(np.zeros(128))
    with pytest.raises(ShapeError, match="size 3"):
        Verification(np.zeros(4)).bind(np.zeros(3))


def test_verification_reference_without_a_face_is_face_not_found():
    from minplus.models import DlibFaceRecognizer

    with pytest.raises(FaceNotFoundError, match="no face"):
        Verification(np.zeros((120, 120, 3), np.uint8)).prepare(DlibFaceRecognizer())


@settings(max_examples=60, deadline=None)
@given(scores_2d, st.floats(0, 5))
def test_regression_all_scores_within_tolerance(s, tol):
    d = Regression(tol).bind(s[0])
    assert d(s).tolist() == (np.abs(s - s[0]).max(1) <= tol).tolist()
    one = Regression(tol, index=-1).bind(s[0])
    assert one(s).tolist() == (np.abs(s[:, -1] - s[0, -1]) <= tol).tolist()


def test_regression_refuses_negative_tolerance():
    with pytest.raises(ValueError, match="tolerance"):
        Regression(-1)


def test_any_callable_is_a_decision():
    d = as_decision(lambda s: s[:, 0] > 0)
    assert d(np.array([[1.0], [-1.0]])).tolist() == [True, False]
    assert d.outcome == "the decision" and d.describe([1.0]) == ""


def test_empty_batch_gives_empty_answer():
    out = Verification(np.zeros(3)).bind(np.ones(3))(np.zeros((0, 3)))
    assert out.shape == (0,) and out.dtype == bool
