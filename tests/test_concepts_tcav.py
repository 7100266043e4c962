"""TCAV: CAVs, the score and its test on a planted model whose concept sensitivity is known,
agreement with Captum's TCAV on the same inputs and CAVs, and concepts from folders and from
face-region crops."""

import os

import cv2
import numpy as np
import pytest
import torch

from minplus.concepts import (activations, images_from_folder, region_crops, tcav, train_cav)
from minplus.concepts.tcav import model_inputs
from minplus.errors import ArgumentError, GradientError, ShapeError

torch.set_num_threads(1)


class Planted(torch.nn.Module):
    """Class 1 rises and class 0 falls with the red channel, through layer "act".

    "act"'s channel 0 is a red detector; "mix" passes it on (bias keeps it active) with random
    channels beside it, so gradients at "act" vary with the input (the ReLU after "mix") while
    the red channel's sign is fixed: the TCAV score of "reddish" is 1 for class 1, 0 for
    class 0.
    """

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.act = torch.nn.ReLU()
        self.mix = torch.nn.Conv2d(8, 8, 1)
        self.head = torch.nn.Linear(8, 2)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(8, 3, 3, 3, generator=g) * 0.3)
            self.conv.weight[0] = 0
            self.conv.weight[0, 0, 1, 1] = 1.0
            self.conv.bias.zero_()
            self.mix.weight.copy_(torch.randn(8, 8, 1, 1, generator=g))
            self.mix.weight[0] = 0
            self.mix.weight[:, 0] = 0
            self.mix.weight[0, 0] = 1.0
            self.mix.bias.zero_()
            self.mix.bias[0] = 1.0
            self.head.weight.copy_(torch.randn(2, 8, generator=g) * 0.3)
            self.head.weight[:, 0] = torch.tensor([-3.0, 3.0])
            self.head.bias.zero_()

    def forward(self, x):
        h = torch.relu(self.mix(self.act(self.conv(x))))
        return self.head(h.mean(dim=(2, 3)))


def noise(n, seed, red=False, size=16):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, size, size, 3))
    if red:
        x[..., 0] = np.clip(x[..., 0] + 120, 0, 255)
    return x.astype(np.uint8)


@pytest.fixture(scope="module")
def planted():
    return Planted().eval()


def test_cav_points_at_the_concept_and_separates_it():
    g = torch.Generator().manual_seed(1)
    pos = torch.randn(30, 50, generator=g)
    pos[:, 7] += 4.0
    cav = train_cav(pos, torch.randn(30, 50, generator=g), test_fraction=0.3)
    assert cav.accuracy > 0.85  # a 4-sigma shift in 1 of 50 dimensions, 42 training examples
    assert int(cav.vector.abs().argmax()) == 7 and cav.vector[7] > 0.7
    assert abs(float(cav.vector.norm()) - 1) < 1e-5
    held = torch.randn(10, 50, generator=g)
    held[:, 7] += 4.0
    assert cav.classify(held).all()


def test_cav_refuses_mismatched_or_tiny_sets():
    with pytest.raises(ShapeError):
        train_cav(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ShapeError):
        train_cav(torch.zeros(1, 3), torch.zeros(4, 3))


def test_planted_concept_sensitivity_is_recovered(planted):
    inputs, concept, pool = noise(20, 0), noise(30, 1, red=True), noise(300, 2)
    up = tcav(planted, "act", concept, pool, 1, inputs=inputs, runs=10, concept="reddish")
    down = tcav(planted, "act", concept, pool, 0, inputs=inputs, runs=10, concept="reddish")
    assert up.mean == 1.0 and down.mean == 0.0
    assert (up.accuracies > 0.9).all()
    # Random CAVs scatter around chance; the planted concept is told apart from them.
    assert 0.15 < up.random_mean < 0.85 and up.random_std > 0.1
    assert up.significant and down.significant
    assert up.t > 0 > down.t
    assert (up.magnitudes > 0).all() and (down.magnitudes < 0).all()
    d = up.to_dict()
    assert d["mean"] == 1.0 and len(d["scores"]) == 10 and d["significant"] is True
    assert "reddish -> 1 @ act" in up.summary()


def test_a_random_concept_is_not_significant(planted):
    inputs, pool = noise(20, 0), noise(300, 2)
    r = tcav(planted, "act", noise(30, 5), pool, 1, inputs=inputs, runs=10)
    assert not r.significant and r.p_value > 0.05


def test_tcav_is_seeded_and_takes_explicit_random_sets(planted):
    inputs, concept = noise(10, 0), noise(20, 1, red=True)
    sets = [noise(20, 10 + i) for i in range(3)]
    a = tcav(planted, "act", concept, sets, 1, inputs=inputs, runs=3, seed=4)
    b = tcav(planted, "act", concept, sets, 1, inputs=inputs, runs=3, seed=4)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.random_scores,
                                                                 b.random_scores)
    with pytest.raises(ShapeError):
        tcav(planted, "act", concept, sets, 1, inputs=inputs, runs=4)


def test_tcav_refuses_a_black_box(planted):
    with pytest.raises(GradientError):
        tcav(lambda x: x, "act", noise(4, 0), noise(20, 1), 1, inputs=noise(2, 2))


def _captum_scores(model, layer, concept_x, random_xs, inputs_x, target, tmp_path):
    """Captum's TCAV sign-count scores (and the concept's magnitudes) for [concept, random r]
    and [random r, random r + 1], its CAVs fitted by minplus's train_cav (test_fraction=0: no
    split, so no seed to share)."""
    from captum.concept import TCAV, Concept
    from captum.concept._utils.classifier import Classifier

    class MinplusCAV(Classifier):
        def __init__(self):
            self._classes, self._w = None, None

        def train_and_eval(self, dataloader, **kwargs):
            xs, ys = zip(*dataloader)
            x, y = torch.cat(xs), torch.cat(ys)
            first = int(y[0])  # the experimental set's first concept is the positive side
            self._classes = [first, int(y[y != first][0])]
            cav = train_cav(x[y == first], x[y != first], test_fraction=0.0)
            self._w = torch.stack([cav.vector, -cav.vector])
            return {"accs": cav.accuracy}

        def weights(self):
            return self._w

        def classes(self):
            return self._classes

    def concept(i, name, x):
        return Concept(i, name, [x])

    c = concept(0, "concept", concept_x)
    rs = [concept(i + 1, f"random{i}", x) for i, x in enumerate(random_xs)]
    runs = len(rs)
    sets = [[c, rs[r]] for r in range(runs)] + [[rs[r], rs[(r + 1) % runs]] for r in range(runs)]
    t = TCAV(model, [layer], classifier=MinplusCAV(), save_path=str(tmp_path))
    out = t.interpret(inputs_x, sets, target=target)
    keys = list(out)
    scores = np.array([float(out[k][layer]["sign_count"][0]) for k in keys])
    magnitudes = np.array([float(out[k][layer]["magnitude"][0]) for k in keys[:runs]])
    return scores[:runs], scores[runs:], magnitudes


@pytest.mark.parametrize("target", [0, 1])
def test_agrees_with_captum_on_the_same_inputs_and_cavs(planted, tmp_path, target):
    inputs, concept = noise(24, 0), noise(24, 1, red=True)
    sets = [noise(24, 20 + i) for i in range(4)]
    ours = tcav(planted, "act", concept, sets, target, inputs=inputs, runs=4, test_fraction=0)
    to_x = lambda im: model_inputs(im, None, "cpu")  # noqa: E731
    theirs, theirs_null, magnitudes = _captum_scores(
        planted, "act", to_x(concept), [to_x(s) for s in sets], to_x(inputs), target, tmp_path)
    # Captum counts in float32: compare the counts of positive inputs, out of 24.
    assert np.array_equal(np.round(ours.scores * 24), np.round(theirs * 24))
    assert np.array_equal(np.round(ours.random_scores * 24), np.round(theirs_null * 24))
    np.testing.assert_allclose(ours.magnitudes, magnitudes, rtol=1e-4, atol=1e-7)


def test_agrees_with_captums_own_classifier_on_the_planted_concept(planted, tmp_path):
    from captum.concept import TCAV, Concept

    inputs, concept = noise(20, 0), noise(30, 1, red=True)
    sets = [noise(30, 40 + i) for i in range(3)]
    to_x = lambda im: model_inputs(im, None, "cpu")  # noqa: E731
    torch.manual_seed(0)
    c = Concept(0, "red", [to_x(concept)])
    rs = [Concept(i + 1, f"r{i}", [to_x(s)]) for i, s in enumerate(sets)]
    out = TCAV(planted, ["act"], save_path=str(tmp_path)).interpret(
        to_x(inputs), [[c, r] for r in rs], target=1)
    captum = np.array([float(v["act"]["sign_count"][0]) for v in out.values()])
    ours = tcav(planted, "act", concept, sets, 1, inputs=inputs, runs=3)
    assert np.array_equal(captum, ours.scores)  # both 1.0: the planted sensitivity


def test_concepts_from_a_folder(tmp_path):
    for i, im in enumerate(noise(3, 0, size=40)):
        cv2.imwrite(os.path.join(tmp_path, f"{i}.png"), im[..., ::-1])
    (tmp_path / "notes.txt").write_text("not a picture")
    images = images_from_folder(str(tmp_path), size=16)
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.uint8
    with pytest.raises(ArgumentError):
        images_from_folder(str(tmp_path / "missing"))


def test_concepts_from_face_region_crops():
    from skimage import data

    crops = region_crops([data.astronaut()], "mouth", size=24)
    assert crops.shape == (1, 24, 24, 3)
    # The mouth crop is redder than the whole face: it holds the lips.
    whole = region_crops([data.astronaut()], ["forehead", "eyebrows", "eyes", "nose", "cheeks",
                                             "mouth", "chin"], size=24)
    red = lambda x: x[..., 0].mean() - x[..., 2].mean()  # noqa: E731
    assert red(crops[0].astype(float)) > red(whole[0].astype(float))


def test_activations_are_flattened_per_input(planted):
    acts = activations(planted, "act", torch.zeros(5, 3, 16, 16), batch_size=2)
    assert acts.shape == (5, 8 * 16 * 16)
