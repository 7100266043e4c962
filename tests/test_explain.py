"""explain() on real faces with dlib's verifier, checked against brute force over all subsets."""

import json

import numpy as np
import pytest
import torch

from minplus.evaluate import score_masks
from minplus import explain
from minplus.demo import sample_faces
from minplus.errors import DTypeError, FaceNotFoundError, ModelError, ShapeError
from minplus.explanation import Explanation
from minplus.models import (Classification, DlibFaceRecognizer, Model, Threshold, TorchModel,
                            Verification)
from minplus.regions import parse_regions


def brute_force(preserved: np.ndarray, n: int):
    """Min+ (kept masks) and Min- (removed masks) of minimum size, from the decision on every
    kept-mask 0..2**n - 1."""
    masks = np.arange(2 ** n)
    sizes = np.array([bin(m).count("1") for m in masks])
    keep = masks[preserved]
    plus = keep[sizes[keep] == sizes[keep].min()]
    full = 2 ** n - 1
    removed = full ^ masks[~preserved]
    minus = removed[sizes[removed] == sizes[removed].min()] if len(removed) else removed
    return set(plus.tolist()), set(minus.tolist())


class Memo(Model):
    """The real recogniser, remembering each prepared input's descriptor: the module's searches
    and its brute force share the ~70 ms descriptors instead of recomputing them."""

    def __init__(self, model):
        super().__init__(model.batch_size)
        self.model, self.seen, self.computed = model, {}, 0

    @property
    def input_spec(self):
        return self.model.input_spec

    def bind(self, image):
        return self.model.bind(image)

    def prepare(self, images):
        return self.model.prepare(images)

    def run(self, batch):
        batch = np.asarray(batch)
        keys = [hash(x.tobytes()) for x in batch]
        todo = [i for k, i in dict((k, i) for i, k in enumerate(keys)).items()
                if k not in self.seen]
        if todo:
            for i, s in zip(todo, self.model.run(batch[todo])):
                self.seen[keys[i]] = s
            self.computed += len(todo)
        return np.stack([self.seen[k] for k in keys])


@pytest.fixture(scope="module")
def faces():
    return sample_faces()


@pytest.fixture(scope="module")
def recognizer():
    return Memo(DlibFaceRecognizer())


@pytest.fixture(scope="module")
def match(faces, recognizer):
    return explain(faces["hopper"], recognizer, reference=faces["hopper_shifted"],
                   progress=False)


@pytest.fixture(scope="module")
def non_match(faces, recognizer):
    return explain(faces["hopper"], recognizer, reference=faces["astronaut"], progress=False)


@pytest.fixture(scope="module")
def all_subsets(faces, recognizer):
    """Descriptors of the coarse face chip under every one of the 2**7 kept-masks."""
    masker = parse_regions(faces["hopper"], "face68").masker("blur")
    return score_masks(recognizer, masker, np.arange(2 ** masker.n, dtype=np.uint64))


@pytest.mark.parametrize("case", ["match", "non_match"])
def test_verification_equals_brute_force_over_all_subsets(request, case, all_subsets):
    e = request.getfixturevalue(case)
    assert e.region_map.n == 7
    assert e.decision.match == (case == "match")
    plus, minus = brute_force(e.decision(all_subsets), 7)
    assert set(e.min_plus_masks.tolist()) == plus
    assert set(e.min_minus_masks.tolist()) == minus
    assert e.queries <= 2 ** 7


def test_match_sets_are_non_trivial_and_proven_by_requery(match, all_subsets):
    full = 2 ** 7 - 1
    assert all(0 < bin(int(m)).count("1") < 7 for m in match.min_plus_masks)
    assert all(0 < bin(int(m)).count("1") < 7 for m in match.min_minus_masks)
    assert match.decision(match.min_plus_scores).all()
    assert not match.decision(match.min_minus_scores).any()
    # the proofs are the images of the sets: re-rendered, re-scored, same as the brute force
    np.testing.assert_allclose(match.min_plus_scores, all_subsets[match.min_plus_masks.astype(int)],
                               atol=1e-6)
    kept = full ^ match.min_minus_masks.astype(int)
    np.testing.assert_allclose(match.min_minus_scores, all_subsets[kept], atol=1e-6)
    masker = parse_regions(match.image, match.region_map).masker("blur")
    np.testing.assert_array_equal(match.min_plus_images, masker.render(match.min_plus_masks))


def test_non_match_is_explained_too(non_match):
    assert non_match.decision.outcome == "the non-match"
    assert non_match.decision(non_match.original_scores[None]).all()
    assert "non-match" in non_match.summary()
    first = non_match.min_minus[0] if non_match.min_minus else []
    if len(first) > 7 / 2:  # a removed set holding most regions is named by what it leaves
        rest = [r for r in non_match.region_map.names if r not in first]
        assert f"every region but the {' + '.join(rest)}" in non_match.summary()


def test_summary_names_the_sets_and_distances(match):
    s = match.summary()
    first = " + ".join(match.min_plus[0]).replace("_", " ")
    assert f"{first[0].upper()}{first[1:]} suffice" in s
    assert "to keep the match (distance" in s and "<= 0.6" in s
    assert "Removing " + " + ".join(match.min_minus[0]).replace("_", " ") in s and "> 0.6" in s
    assert f"{match.queries} model queries" in s


def test_to_dict_save_and_plot(match, tmp_path):
    d = json.loads(json.dumps(match.to_dict()))
    assert d["min_plus"] == match.min_plus and d["min_minus"] == match.min_minus
    assert d["regions"] == ["forehead", "eyebrows", "eyes", "nose", "cheeks", "mouth", "chin"]
    assert d["decision"]["outcome"] == "the match" and d["queries"] == match.queries
    folder = match.save(tmp_path / "e")
    names = sorted(p.name for p in (tmp_path / "e").iterdir())
    assert names == ["explanation.json", "explanation.png", "min_minus.png", "min_plus.png",
                     "original.png", "regions.png"]
    saved = json.loads((tmp_path / "e" / "explanation.json").read_text())
    assert saved["summary"] == match.summary()
    assert folder == str(tmp_path / "e")
    fig = match.plot()
    assert len(fig.axes) == 4
    assert fig.axes[2].get_title().startswith("Min+ kept: ")


def test_timings_and_search_facts(match):
    assert set(match.seconds) == {"regions", "prepare", "search", "proofs", "total"}
    assert match.seconds["total"] >= match.seconds["search"] > 0
    assert sum(match.search["queries_per_level"]) == match.queries
    assert match.search["bounds"]


# ---- cheap models: classification vs brute force, conversions, bad input ------------------------

def test_torch_classification_equals_brute_force():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 5, stride=2), torch.nn.ReLU(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              torch.nn.Linear(4, 3))
    model = TorchModel(net, preprocess=(1 / 255, 0.5, 0.25))
    image = np.random.default_rng(1).integers(0, 256, (24, 36, 3), dtype=np.uint8)
    for decision in (Classification(), Classification(target=2, factor=0.9)):
        e = explain(image, model, decision, regions="grid:2x3", baseline="black",
                    progress=False)
        masker = parse_regions(image, "grid:2x3").masker("black")
        scores = score_masks(model, masker, np.arange(64, dtype=np.uint64))
        plus, minus = brute_force(e.decision(scores), 6)
        assert set(e.min_plus_masks.tolist()) == plus
        assert set(e.min_minus_masks.tolist()) == minus


def brightness(images):
    return images.reshape(len(images), -1).mean(axis=1, dtype=np.float64)


@pytest.mark.parametrize("convert", [
    lambda im: im.mean(axis=2).astype(np.uint8),
    lambda im: np.dstack([im, np.full(im.shape[:2], 255, np.uint8)]),
    lambda im: im.astype(np.float32) / 255,
], ids=["grayscale", "rgba", "float"])
def test_face_images_are_converted_to_rgb_uint8(faces, convert):
    e = explain(convert(faces["hopper"]), brightness, Threshold(0.0), goal="min_plus",
                progress=False)
    assert e.image.dtype == np.uint8 and e.image.shape == (256, 256, 3)
    assert e.min_plus == [[]]  # brightness >= 0 holds even with every region masked
    assert "Even with every region masked" in e.summary()


def test_no_face_and_reference_without_face(faces, recognizer):
    with pytest.raises(FaceNotFoundError, match="no face"):
        explain(np.zeros((200, 200, 3), np.uint8), recognizer, reference=faces["hopper"])
    with pytest.raises(FaceNotFoundError, match="no face"):
        explain(faces["hopper"], recognizer, reference=np.zeros((200, 200, 3), np.uint8))


def test_tiny_and_unsupported_images(faces):
    from skimage import data

    tiny = data.lfw_subset()[0]  # a 25 x 25 LFW face
    with pytest.raises(ShapeError, match="too small"):
        explain(tiny, brightness, Threshold(0.0))
    with pytest.raises(DTypeError, match="int16"):
        explain(faces["hopper"].astype(np.int16), brightness, Threshold(0.0))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        explain(faces["hopper"].astype(np.float32), brightness, Threshold(0.0))


@pytest.mark.parametrize("bad", [lambda x: np.full(len(x), np.nan),
                                 lambda x: np.zeros((len(x) + 1, 2))], ids=["nan", "shape"])
def test_bad_model_outputs_raise_model_error(faces, bad):
    with pytest.raises(ModelError):
        explain(faces["hopper"], bad, Threshold(0.0), regions="grid:2x2", progress=False)


def test_decision_and_reference_are_exclusive(faces):
    with pytest.raises(ValueError, match="not both"):
        explain(faces["hopper"], brightness, Verification(np.zeros(3)),
                reference=faces["hopper"])
    assert isinstance(explain(faces["hopper"], brightness, Threshold(0.0), regions="grid:1x2",
                              progress=False), Explanation)


# ---- LFW (scikit-image's 25 x 25 subset, upscaled to a size the detector works at) --------------

@pytest.fixture(scope="module")
def lfw():
    import cv2
    from skimage import data

    def upscaled(i):
        small = np.rint(data.lfw_subset()[i] * 255).astype(np.uint8)
        return cv2.resize(small, (200, 200), interpolation=cv2.INTER_CUBIC)

    return {"face0": upscaled(0), "face15": upscaled(15), "not_a_face": upscaled(100)}


def test_lfw_greedy_non_match_sets_are_proven(lfw, recognizer):
    e = explain(lfw["face0"], recognizer, reference=lfw["face15"], mode="greedy",
                progress=False)
    assert e.decision.outcome == "the non-match"
    assert e.decision(e.min_plus_scores).all()
    assert not e.decision(e.min_minus_scores).any()
    assert e.image.shape == (256, 256, 3)  # grayscale LFW face, cropped and converted to RGB


def test_lfw_non_face_patch_has_no_face(lfw, recognizer):
    with pytest.raises(FaceNotFoundError, match="no face"):
        explain(lfw["not_a_face"], recognizer, reference=lfw["face0"])


def test_a_model_that_changes_its_answers_is_caught_by_the_requery(faces):
    kw = dict(regions="grid:2x2", baseline="black", batch_size=4, progress=False)
    decision = Threshold(0.5 * brightness(faces["hopper"][None])[0])
    searched = explain(faces["hopper"], brightness, decision, **kw).queries + 1  # + unmasked
    seen = [0]

    def fickle(images):  # honest during the search, then every image looks black
        seen[0] += len(images)
        return brightness(images) if seen[0] <= searched else np.zeros(len(images))

    with pytest.raises(ModelError, match="not deterministic"):
        explain(faces["hopper"], fickle, decision, **kw)
