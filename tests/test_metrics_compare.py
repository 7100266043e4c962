"""compare_methods ranks saliency methods; explanation_metrics is the one call behind
``minplus explain --metrics``."""

import json

import numpy as np
import pytest

from minplus import explain, metrics
from minplus.errors import ArgumentError
from minplus.models import Threshold
from minplus.models.base import Model
from minplus.saliency import occlusion, rise


class Quadrant(Model):
    """A planted model: the score is the brightness of the top-left quadrant."""

    def __init__(self):
        super().__init__(None)
        self.calls = 0

    def run(self, batch):
        self.calls += 1
        return np.asarray(batch, np.float64)[:, :8, :8].mean(axis=(1, 2, 3))[:, None]


@pytest.fixture(scope="module")
def image():
    rng = np.random.default_rng(0)
    return (rng.random((16, 16, 3)) * 255).astype(np.uint8)


def test_true_attribution_ranks_first(image):
    model = Quadrant()
    truth = np.zeros((16, 16))
    truth[:8, :8] = image[:8, :8].mean(axis=2)
    maps = {"truth": truth, "occlusion": occlusion(model, image, window=4, stride=4,
                                                   progress=False),
            "rise": rise(model, image, n_masks=200, progress=False),
            "reversed": truth[::-1, ::-1]}
    mask = np.zeros((16, 16), bool)
    mask[:8, :8] = True
    calls = model.calls
    c = metrics.compare_methods(model, image, maps,
                                metrics=("deletion", "insertion", "faithfulness_correlation",
                                         "pointing_game", "relevance_mass_accuracy",
                                         "sparseness"),
                                mask=mask, options={"deletion": {"steps": 16},
                                                    "insertion": {"steps": 16,
                                                                  "baseline": "black"}})
    assert set(c.table) == set(maps) and all(len(v) == 6 for v in c.table.values())
    for m in ("deletion", "insertion", "faithfulness_correlation"):
        assert c.ranking[m][0] == "truth"
    for m in ("deletion", "faithfulness_correlation"):
        assert c.ranking[m][1] == "occlusion" and c.ranking[m][-1] == "reversed"
    assert c.table["truth"]["relevance_mass_accuracy"] == pytest.approx(1.0)
    assert c.table["reversed"]["pointing_game"] == 0.0
    assert min(c.mean_rank, key=c.mean_rank.get) == "truth"
    # one binding for everything: the unmasked image scored once, each metric batched
    per_method = 1 + 1 + 2  # deletion, insertion (16 images each), correlation (100 in 2)
    assert model.calls - calls == 1 + len(maps) * per_method
    md = c.to_markdown()
    assert md.splitlines()[0].startswith("| method | deletion ↓ | insertion ↑")
    json.dumps(c.to_dict())


def test_compare_errors(image):
    with pytest.raises(ArgumentError):
        metrics.compare_methods(Quadrant(), image, {"a": np.ones((16, 16))}, metrics=("auc",))
    with pytest.raises(ArgumentError):
        metrics.compare_methods(Quadrant(), image, {"a": np.ones((16, 16))},
                                metrics=("pointing_game",))
    with pytest.raises(ArgumentError):
        metrics.compare_methods(Quadrant(), image, {})


def test_explanation_metrics_by_name():
    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4] = 200
    f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]  # noqa: E731
    e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black", progress=False)
    out = metrics.explanation_metrics(e, f, "deletion,insertion,pointing,robustness",
                                      point_at="r0c0", shifts=(), jpeg=())
    assert list(out) == ["deletion", "insertion", "pointing", "robustness"]
    # the claims name the left half: removing it first drops the score to 0 at once
    assert out["deletion"].curve.y.tolist() == [200.0, 0.0, 0.0]
    assert out["deletion"].extra["order_of_regions"] == ["r0c0", "r0c1"]
    assert out["pointing"].value == 1.0
    assert out["robustness"].claims[0].regions == ["r0c0"]
    json.dumps({k: v.to_dict() for k, v in out.items()})
    sal = np.zeros((8, 8))
    sal[:, 4:] = 1.0  # a map pointing at the wrong half
    wrong = metrics.explanation_metrics(e, f, ["deletion", "pointing"], saliency=sal,
                                        point_at="r0c0", steps=4)
    assert wrong["pointing"].value == 0.0 and wrong["deletion"].value > out["deletion"].value
    with pytest.raises(ArgumentError):
        metrics.explanation_metrics(e, f, "pointing")
    with pytest.raises(ArgumentError):
        metrics.explanation_metrics(e, f, "deletion,auc")


def test_report_takes_the_metrics_in_one_call(image, tmp_path):
    from minplus.report import build_report
    from minplus.report.schema import validate_result

    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4] = 200
    f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]  # noqa: E731
    e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black", progress=False)
    sal = np.zeros((8, 8))
    sal[:, :4] = 1.0
    comparison = metrics.compare_methods(f, img, {"left": sal, "right": sal[:, ::-1]},
                                         metrics=("deletion", "insertion", "sparseness"),
                                         options={"deletion": {"steps": 4},
                                                  "insertion": {"steps": 4}})
    claims = metrics.explanation_metrics(e, f, "deletion,robustness", baselines=["gray"],
                                         shifts=(), brightness=(), jpeg=())
    rows = metrics.report_metrics([comparison, claims])
    report = build_report(e, metrics=rows)
    validate_result(report.result)
    table = report.result["explanations"][0]["metrics"]
    assert table["left"]["deletion AUC"] < table["right"]["deletion AUC"]
    assert table["Min- r0c0"] == {"holds": 1.0, "of": 2.0, "margin": 50.0, "fragile": 1.0}
    assert "curves.png" in report.pngs  # the deletion and insertion curves are drawn
    # each set carries its claim's robustness, and its panel says fragile or robust
    (minus,) = report.result["explanations"][0]["min_minus"]
    (plus,) = report.result["explanations"][0]["min_plus"]
    assert minus["robustness"] == {"holds": 1, "of": 2, "margin": 50.0, "fragile": True}
    r = claims["robustness"].claims
    want = next(c for c in r if c.kind == "min_plus")
    assert plus["robustness"]["fragile"] is want.fragile
    assert "fragile: holds in 1 of 2 checks" in report.html
    assert build_report(e).result["explanations"][0]["min_minus"][0].get("robustness") is None


def test_explanation_report_metrics_judges_claims_and_maps():
    from minplus.report import build_report
    from minplus.report.schema import validate_result
    from minplus.saliency import region_occlusion

    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4] = 200
    f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]  # noqa: E731
    e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black", progress=False)
    occ = region_occlusion(f, e.image, 0, regions=e.region_map, baseline="black",
                           progress=False)
    rows = metrics.explanation_report_metrics(
        e, f, "deletion,insertion,pointing,robustness", saliency_maps=[occ], point_at="r0c0",
        steps=4, shifts=(), jpeg=())
    assert set(rows) == {"region_occlusion", "Min+/Min- claims", "Min+ r0c0", "Min- r0c0"}
    assert rows["region_occlusion"]["pointing_game"] == 1.0
    assert len(rows["region_occlusion"]["deletion"]) == 5  # its curve, on the maps' x axis
    assert "deletion" not in rows["Min+/Min- claims"]        # the region curve has another
    assert rows["Min+/Min- claims"]["deletion AUC"] == 50.0
    validate_result(build_report(e, saliency_maps=[occ], metrics=rows).result)
