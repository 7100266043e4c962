"""minplus.report: the record (result.json) and its schema, the HTML page, and escaping."""

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape

from minplus.errors import ArgumentError, RegionError
from minplus.report import build_report, explanation_record, validate_result, write_report
from report_example import explain_by_brute_force

EVIL_FILE = 'grace"<script>alert(1)</script>.jpg'


@pytest.fixture(scope="module")
def example():
    return explain_by_brute_force()


@pytest.fixture(scope="module")
def page(example):
    exp, maps = example
    x = np.linspace(0, 1, 6)
    metrics = {"occlusion": {"deletion_auc": 0.25, "fractions": x, "deletion": 1 - x},
               "region Shapley": {"deletion_auc": 0.2, "pointing_game": 1.0}}
    return build_report(exp, saliency_maps=maps, metrics=metrics,
                        meta={"image": EVIL_FILE, "model": "dlib HOG detector",
                              "regions": "grid:2x3"},
                        titles=["grace_hopper: <b>face</b>"])


def test_min_plus_and_min_minus_are_the_brute_force_minima(example):
    exp, _ = example
    kept = exp.decision  # bound to the unmasked image by the example
    assert exp.min_plus and exp.min_minus
    for m, s in zip(exp.min_plus, exp.min_plus_scores):
        assert kept(s[None])[0]
    for m, s in zip(exp.min_minus, exp.min_minus_scores):
        assert not kept(s[None])[0]


def test_record_has_a_sentence_per_set_with_the_evidence(example):
    exp, maps = example
    rec = explanation_record(exp, "t", maps, {"occlusion": {"auc": np.float32(0.5),
                                                            "curve": np.arange(3)}})
    names = exp.region_map.names
    first = [names[r] for r in range(len(names)) if exp.min_plus[0] >> r & 1]
    assert rec["min_plus"][0]["regions"] == first
    assert rec["min_plus"][0]["sentence"] == (
        f"Keeping only {' + '.join(first)} keeps the face detection "
        f"({exp.decision.describe(exp.min_plus_scores[0])}).")
    assert rec["min_minus"][0]["sentence"].startswith("Removing ")
    assert rec["summary"] == [s["sentence"] for s in rec["min_plus"] + rec["min_minus"]]
    assert rec["metrics"] == {"occlusion": {"auc": 0.5}}          # arrays are curves, not table
    assert [s["method"] for s in rec["saliency"]] == ["region Shapley", "occlusion"]
    assert rec["queries"] == 2 ** len(names)


def test_sets_not_searched_or_not_found_are_said_so(example):
    exp, _ = example
    other = copy.copy(exp)
    other.min_plus, other.min_minus = None, []
    rec = explanation_record(other, meta={"model": "m", "regions": "grid:2x3"})
    assert rec["summary"] == [
        "Min+ (what keeps the face detection) was not searched.",
        "The search found no set of regions that changes the face detection (see what it "
        "proved below)."]
    assert (rec["model"], rec["regions"]["parser"]) == ("m", "grid:2x3")
    assert rec["proven"] == "All 64 subsets of the 6 regions were evaluated"
    assert rec["seconds"] == exp.seconds["total"] and set(rec["timings"]) == set(exp.seconds)


def test_sets_naming_unknown_regions_are_refused(example):
    exp, _ = example
    bad = copy.copy(exp)
    bad.min_plus = [["nose"]]
    with pytest.raises(RegionError, match="nose"):
        explanation_record(bad)
    bad.min_plus = [1 << 40]
    with pytest.raises(RegionError, match="outside"):
        explanation_record(bad)


def test_result_matches_its_schema_and_the_validator_catches_drift(page):
    _, result, _ = page
    data = validate_result(json.loads(json.dumps(result)))
    assert data["meta"]["image"] == EVIL_FILE
    broken = copy.deepcopy(data)
    broken["explanations"][0]["queries"] = "64"
    with pytest.raises(ValueError, match=r"result\.explanations\[0\]\.queries: expected an int"):
        validate_result(broken)
    broken = copy.deepcopy(data)
    broken["explanations"][0]["min_plus"][0]["extra"] = 1
    with pytest.raises(ValueError, match=r"min_plus\[0\]: .*unexpected keys \['extra'\]"):
        validate_result(broken)
    broken = copy.deepcopy(data)
    broken["explanations"][0]["image_shape"] = [1, 2, 3]
    with pytest.raises(ValueError, match="expected 2 items"):
        validate_result(broken)


def test_page_is_self_contained_and_mobile_ready(page):
    html, result, _ = page
    rec = result["explanations"][0]
    urls = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert urls and all(u.startswith("data:image/png;base64,") for u in urls)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert not re.search(r"https?:|//|@import|url\(", text, re.I)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # image, region map, one per Min+/Min- set, one per saliency map, the curves
    assert len(urls) == 2 + len(rec["min_plus"]) + len(rec["min_minus"]) + 2 + 1
    for heading in ("Min+", "Min-", "Saliency maps", "Metrics", "Queries and timings",
                    "Methodology", "What was proved", "Limitations", "Baseline",
                    "Region parser", "Decision rule"):
        assert heading in html
    for line in rec["summary"]:
        assert str(escape(line)) in html
    assert "pointing_game" in html and "deletion_auc" in html


def test_user_text_is_escaped(page):
    html = page.html
    assert "<script>alert" not in html and "<b>face" not in html
    assert "grace&#34;&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in html
    assert "grace_hopper: &lt;b&gt;face&lt;/b&gt;" in html


def test_a_saliency_method_shows_up_once_given(example, tmp_path):
    exp, maps = example
    without = write_report(tmp_path / "a" / "report.html", exp)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["report.html"]
    html = (tmp_path / "a" / "report.html").read_text()
    assert without["explanations"][0]["saliency"] == [] and "<h3>Saliency maps" not in html
    html2, _, _ = build_report([exp, exp], saliency_maps=[maps[:1], None], titles=["x", "y"])
    assert html2.count("region Shapley saliency") == 1
    with pytest.raises(ValueError, match="1 entries for 2 explanations"):
        build_report([exp, exp], saliency_maps=[maps])


def test_files_beside_the_page_are_the_record_and_its_pictures(example, tmp_path):
    import cv2

    exp, maps = example
    record = write_report(tmp_path / "report.html", exp, saliency_maps=maps, files=True)
    assert json.loads((tmp_path / "result.json").read_text()) == json.loads(json.dumps(record))
    names = {p.name for p in tmp_path.glob("*.png")}
    rec = record["explanations"][0]
    assert names == {"original.png", "regions.png", "saliency_region_shapley.png",
                     "saliency_occlusion.png",
                     *(f"min_plus_{i + 1}.png" for i in range(len(rec["min_plus"]))),
                     *(f"min_minus_{i + 1}.png" for i in range(len(rec["min_minus"])))}
    original = cv2.imread(str(tmp_path / "original.png"))[:, :, ::-1]
    assert original.shape == exp.image.shape
    two = build_report([exp, exp], titles=["a", "b"])
    assert {"1_original.png", "2_regions.png"} <= set(two.pngs)


def test_many_tied_sets_are_drawn_up_to_a_limit_and_listed_beyond(example):
    from minplus.report.pictures import MAX_SETS

    exp, _ = example
    many = copy.copy(exp)
    many.min_plus = list(range(1, MAX_SETS + 3))       # bitmasks; ties of any size render alike
    many.min_plus_scores = None
    report = build_report(many)
    assert len(report.pngs) == 2 + MAX_SETS + len(exp.min_minus)
    assert report.result["explanations"][0]["min_plus"][-1]["mask"] == MAX_SETS + 2
    assert "2 more tied sets: " in report.html


def test_the_schema_is_a_json_schema_file_shipped_in_the_package(page):
    """Other tools validate result.json with the file alone, through any jsonschema."""
    import jsonschema

    import minplus.report

    path = Path(minplus.report.__file__).with_name("result.schema.json")
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    _, result, _ = page
    jsonschema.validate(json.loads(json.dumps(result)), schema)
    broken = json.loads(json.dumps(result))
    broken["explanations"][0]["min_plus"][0]["mask"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    with pytest.raises(ArgumentError, match=r"min_plus\[0\]\.mask: expected an integer"):
        validate_result(broken)
