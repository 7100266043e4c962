"""The trained Explainer (Stalder et al. 2022): trained on the real gender network over LFW
faces, its masks beat a random mask on deletion AUC; masks for every class in one pass; saved
and loaded; used as a saliency method with any model adapter; trained on the age network."""

import numpy as np
import pytest
import torch

from minplus.errors import ArgumentError, GradientError, ModelFileError
from minplus.metrics import deletion
from minplus.models import TorchModel
from minplus.saliency import Explainer, explainer, train_explainer
from face_nets import age_gender_net, lfw_faces

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def gender():
    net, pre = age_gender_net("gender")
    faces = lfw_faces(32, 100)
    ex = train_explainer(net, faces[:80], preprocess=pre, epochs=8, batch_size=16, seed=0)
    return net, pre, faces[80:], ex


def test_beats_a_random_mask_on_deletion_auc(gender):
    net, pre, held_out, ex = gender
    model = TorchModel(net, preprocess=pre)
    rng = np.random.default_rng(0)
    ours, rand = [], []
    for face in held_out:
        m = explainer(model, face, explainer=ex)
        ours.append(deletion(model, face, m, m.target, steps=16, baseline="mean").value)
        rand.append(deletion(model, face, rng.random(m.map.shape), m.target, steps=16,
                             baseline="mean").value)
    ours, rand = np.array(ours), np.array(rand)
    assert ours.mean() < rand.mean() - 0.03
    assert (ours < rand).mean() > 0.6  # and on most faces, not on average only


def test_training_lowers_the_loss(gender):
    history = gender[3].history
    assert len(history) == 8
    assert history[-1]["total"] < history[0]["total"]
    assert history[-1]["classification"] < history[0]["classification"]


def test_every_class_in_one_forward_pass(gender):
    net, pre, faces, ex = gender
    masks = ex.masks(faces[:5])
    assert masks.shape == (5, 2, 32, 32) and masks.dtype == np.float32
    assert 0 <= masks.min() and masks.max() <= 1
    m = explainer(net, faces[0], target=1, explainer=ex)
    np.testing.assert_allclose(m.extra["masks"], masks[0], atol=1e-6)
    np.testing.assert_allclose(m.map, masks[0, 1], atol=1e-6)
    # The image's own size: a 64 px face gets 64 px masks.
    assert ex.masks(lfw_faces(64, 1)[0]).shape == (2, 64, 64)


def test_save_and_load(gender, tmp_path):
    net, pre, faces, ex = gender
    path = str(tmp_path / "gender.explainer")
    ex.save(path)
    back = Explainer.load(path)
    assert back.config == ex.config and back.preprocess == ex.preprocess
    np.testing.assert_array_equal(back.masks(faces[:3]), ex.masks(faces[:3]))
    by_path = explainer(net, faces[0], explainer=path)
    np.testing.assert_array_equal(by_path.map, explainer(net, faces[0], explainer=ex).map)
    (tmp_path / "junk").write_bytes(b"not a torch file")
    with pytest.raises(ModelFileError):
        Explainer.load(str(tmp_path / "junk"))
    with pytest.raises(ModelFileError):
        Explainer.load(str(tmp_path / "missing"))


def test_saliency_calling_convention(gender):
    net, pre, faces, ex = gender
    model = TorchModel(net, preprocess=pre)
    top = int(np.argmax(model(faces[:1])[0]))
    m = explainer(model, faces[0], explainer=ex)
    assert m.method == "explainer" and m.target == top and m.evaluations == 1
    assert m.map.shape == (32, 32) and np.isfinite(m.score)
    # A numpy callable (a black box) picks the class the same way, through the evaluation loop.
    m2 = explainer(lambda x: model(x), faces[0], explainer=ex)
    assert m2.target == top
    # No model: an explicit target needs none; None does.
    assert explainer(None, faces[0], target=0, explainer=ex).evaluations == 0
    with pytest.raises(ArgumentError):
        explainer(None, faces[0], explainer=ex)
    maps = explainer(model, faces[:3], target=[0, 1, 0], explainer=ex)
    assert [mm.target for mm in maps] == [0, 1, 0]


def test_training_needs_a_torch_classifier():
    with pytest.raises(GradientError):
        train_explainer(lambda x: x, lfw_faces(32, 4))


def test_trains_on_the_age_network():
    net, pre = age_gender_net("age")
    faces = lfw_faces(64, 32)
    # 81 classes and a hard argmax target learn slowly: without augmentation the loss falls
    # steadily (benchmarks/compare_concepts.py trains it longer).
    ex = train_explainer(net, faces, preprocess=pre, epochs=4, batch_size=16, seed=0, width=8,
                         augment=False)
    assert ex.masks(faces[:2]).shape == (2, 81, 64, 64)
    totals = [h["total"] for h in ex.history]
    assert all(b < a for a, b in zip(totals, totals[1:]))


def test_train_explainer_command_writes_a_loadable_file(tmp_path, capsys):
    import cv2

    from minplus.cli import main

    for i, face in enumerate(lfw_faces(32, 6)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), face)
    out = tmp_path / "gender.explainer"
    status = main(["train-explainer", "--model", "gender", "--images", str(tmp_path),
                   "--out", str(out), "--epochs", "1", "--quiet"])
    assert status == 0
    assert str(out) in capsys.readouterr().out
    ex = Explainer.load(str(out))
    assert ex.config["classes"] == 2 and ex.config["size"] == [32, 32]
    # A verifier is no classifier: a usage error (exit status 2), one line.
    assert main(["train-explainer", "--model", "dlib-verify", "--out", str(out), "--quiet"]) == 2
    assert "dlib-verify is a verifier" in capsys.readouterr().err


def test_explain_command_runs_a_trained_explainer_on_the_models_chip(gender, tmp_path, capsys):
    import json

    from minplus.cli import main
    from minplus.cli_specs import image_from_spec
    from minplus.models import GenderClassifier
    from minplus.saliency.on_chip import explainer_on_chip

    net, pre, held_out, ex = gender
    path = tmp_path / "gender.explainer"
    ex.save(str(path))
    out = tmp_path / "report"
    args = ["explain", "sample:hopper", "--model", "gender", "--out", str(out), "--quiet"]
    assert main(args + ["--methods", "explainer,region-occlusion", "--explainer", str(path),
                        "--metrics", "deletion"]) == 0
    result = json.loads((out / "result.json").read_text())
    sal = result["explanations"][0]["saliency"]
    assert [s["method"] for s in sal] == ["explainer", "region_occlusion"]
    assert sal[0]["evaluations"] == 0  # the mask needs no model call
    assert (out / "saliency_explainer.png").is_file()
    assert "deletion AUC" in result["explanations"][0]["metrics"]["explainer"]
    # the map is the Explainer's mask on the gender network's 32 px chip, carried back
    image = image_from_spec("sample:hopper")
    model = GenderClassifier()
    scores = model.run(model.prepare(model.bind(image).warp(image)[None]))[0]
    cls = int(np.argmax(scores))
    m = explainer_on_chip(ex, model, image, cls, scores[cls])
    assert m.map.shape == image.shape[:2] and m.extra["chip_size"] == [32, 32]
    assert m.extra["masks"].shape == (2, 32, 32)
    chip = model.bind(image).warp(image)
    np.testing.assert_array_equal(m.extra["masks"], ex.masks(chip))
    assert m.score == pytest.approx(scores[cls])
    capsys.readouterr()
    # usage errors before any work (exit status 2): no file, a file without the method, a
    # decision that is not a class, an Explainer of another classifier
    assert main(args + ["--methods", "explainer"]) == 2
    assert "needs --explainer FILE" in capsys.readouterr().err
    assert main(args + ["--explainer", str(path)]) == 2
    assert "add it to --methods" in capsys.readouterr().err
    assert main(args + ["--methods", "explainer", "--explainer", str(tmp_path / "none")]) == 2
    assert "no Explainer file" in capsys.readouterr().err
    age = ["explain", "sample:hopper", "--model", "age", "--out", str(out), "--quiet",
           "--methods", "explainer", "--explainer", str(path)]
    assert main(age) == 2
    assert "class decision" in capsys.readouterr().err
    assert main(age + ["--decision", "class"]) == 2
    assert "masks for 2 classes" in capsys.readouterr().err
