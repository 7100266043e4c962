"""The report's "Concepts and features" section: TCAV scores with their test (a planted model
whose concept is known to move class 1 and not class 0), a feature visualisation and an
inversion on the real gender network; result.json validates against the shipped schema, the
PNG files are written, and the page works in a real browser (every image decodes, user text
stays text, no horizontal scrolling on a phone)."""

import json

import pytest
import torch

from browser import probe_page
from face_nets import age_gender_net, lfw_faces
from minplus.concepts import invert, tcav, visualise
from minplus.errors import ArgumentError, ArgumentTypeError
from minplus.report import write_report
from minplus.report.schema import validate_result
from report_example import explain_by_brute_force
from test_concepts_tcav import Planted, noise

torch.set_num_threads(1)
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def concepts():
    planted = Planted().eval()
    reddish, pool, inputs = noise(20, 1, red=True), noise(80, 2), noise(12, 3)
    up = tcav(planted, "act", reddish, pool, 1, inputs=inputs, runs=5, concept=f"red {EVIL}")
    down = tcav(planted, "act", reddish, pool, 0, inputs=inputs, runs=5, concept="red")
    grey = tcav(planted, "act", noise(20, 4), pool, 1, inputs=inputs, runs=5, concept="noise")
    net, pre = age_gender_net("gender")
    vis = visualise(net, 1, size=(32, 32), steps=20, preprocess=pre, batch=2, seed=0)
    inv = invert(net, "layers.4_Conv", lfw_faces(32, 2), preprocess=pre, steps=30)
    return [up, down, grey, vis, inv]


@pytest.fixture(scope="module")
def report(concepts, tmp_path_factory):
    exp, maps = explain_by_brute_force()
    path = tmp_path_factory.mktemp("concepts") / "report.html"
    record = write_report(path, exp, saliency_maps=maps, concepts=concepts, files=True)
    return path, record


def test_the_record_holds_every_result_and_validates(concepts, report):
    path, record = report
    up, down, grey, vis, inv = concepts
    assert up.significant and up.mean == 1.0 and down.mean == 0.0 and not grey.significant
    c = record["concepts"]
    assert [t["target"] for t in c["tcav"]] == [str(r.target) for r in (up, down, grey)]
    assert [t["significant"] for t in c["tcav"]] == [True, True, False]
    assert c["tcav"][0]["mean"] == up.mean and c["tcav"][0]["p_value"] == up.p_value
    assert c["tcav"][0]["significant"] and c["tcav"][0]["scores"] == up.scores.tolist()
    assert c["visualisations"][0]["values"] == vis.values.tolist()
    assert c["inversions"][0]["distances"] == inv.distances.tolist()
    on_disk = json.loads((path.parent / "result.json").read_text())
    validate_result(on_disk)  # the shipped schema knows the section
    assert on_disk["concepts"] == json.loads(json.dumps(c))
    names = sorted(p.name for p in path.parent.glob("concepts_*.png"))
    assert names[0] == "concepts_inversion_1.png" and "concepts_tcav.png" in names
    assert any(n.startswith("concepts_visualisation_1_") for n in names)
    # an inversion shows its originals above the reconstructions
    assert inv.originals.shape == inv.images.shape == (2, 32, 32, 3)


def test_the_page_shows_the_section_in_a_browser(report, tmp_path):
    path, record = report
    html = path.read_text()
    assert "Concepts and features" in html and "significant at 0.05" in html
    assert "not significant at 0.05" in html  # a concept of plain noise moves nothing
    seen = probe_page(path, tmp_path)
    assert seen["errors"] == [] and seen["scripts"] == []
    rec = record["explanations"][0]
    explanation_images = 2 + len(rec["min_plus"]) + len(rec["min_minus"]) + len(rec["saliency"])
    assert len(seen["images"]) == explanation_images + 3  # TCAV bars, visualisation, inversion
    assert all(i["naturalWidth"] > 0 and i["naturalHeight"] > 0 for i in seen["images"])
    assert f"red {EVIL}" in seen["text"]  # the concept's name shown as text
    phone = probe_page(path, tmp_path, width=390, height=844)
    assert phone["errors"] == [] and phone["overflow"] <= 0


def test_bad_concepts_are_refused(concepts):
    exp, maps = explain_by_brute_force()
    from minplus.report import build_report

    with pytest.raises(ArgumentTypeError, match="TCAVResult, Visualisation or Inversion"):
        build_report(exp, maps, concepts=[concepts[0], "stripes"])
    with pytest.raises(ArgumentTypeError, match="sequence"):
        build_report(exp, maps, concepts=3)
    with pytest.raises(ArgumentError, match="empty"):
        build_report(exp, maps, concepts=[])
    # one result alone is accepted as is
    assert len(build_report(exp, maps, concepts=concepts[3]).result["concepts"][
        "visualisations"]) == 1
