"""`minplus demo`: both explanations written in the documented layout, in one run."""

import contextlib
import io
import json

import pytest

from minplus.cli import build_parser, main

FILES = {"explanation.png", "original.png", "regions.png", "explanation.json"}


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--out", str(out), "--quiet"]) == 0
    assert printed.getvalue() == f"report: {out / 'report.html'}\n"  # says where the report is
    return out


def test_layout(demo_out):
    # the three tasks of the MinPlus paper: verification, gender and age
    cases = {"match", "non_match", "gender_hopper", "gender_astronaut", "age_hopper",
             "age_astronaut"}
    assert {p.name for p in demo_out.iterdir()} == {"summary.txt", "report.html"} | cases
    for case in cases:
        assert FILES <= {p.name for p in (demo_out / case).iterdir()}


def test_gender_and_age_are_explained(demo_out):
    hopper = json.loads((demo_out / "gender_hopper" / "explanation.json").read_text())
    collins = json.loads((demo_out / "gender_astronaut" / "explanation.json").read_text())
    # the network calls Grace Hopper male and Eileen Collins female: the audit the seeds ask for
    assert hopper["decision"]["outcome"] == "the answer 'male'"
    assert collins["decision"]["outcome"] == "the answer 'female'"
    age = json.loads((demo_out / "age_hopper" / "explanation.json").read_text())
    assert age["decision"]["outcome"] == "the age estimate"
    assert age["min_plus"] and age["min_minus"]
    report = (demo_out / "report.html").read_text()
    assert report.count("grad_cam") >= 4  # Grad-CAM on the torch age and gender networks


def test_match_is_explained_by_non_trivial_sets(demo_out):
    r = json.loads((demo_out / "match" / "explanation.json").read_text())
    assert r["decision"]["outcome"] == "the match"
    assert r["regions"] == ["forehead", "eyebrows", "eyes", "nose", "cheeks", "mouth", "chin"]
    assert all(0 < len(s) < 7 for s in r["min_plus"] + r["min_minus"]) and r["min_minus"]
    assert {"min_plus.png", "min_minus.png"} <= {p.name for p in (demo_out / "match").iterdir()}


def test_non_match_and_summary(demo_out):
    r = json.loads((demo_out / "non_match" / "explanation.json").read_text())
    assert r["decision"]["outcome"] == "the non-match"
    said = r["decision"]["original"]
    assert said.startswith("distance ") and "> 0.6" in said
    text = (demo_out / "summary.txt").read_text()
    assert text.startswith("match: The match (distance") and "\n\nnon_match: The non-match" in text


def test_command_line_help():
    parser = build_parser()
    assert "demo" in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args([])  # a subcommand is required


def test_report_shows_both_decisions_in_a_browser(demo_out, tmp_path):
    from browser import probe_page

    seen = probe_page(demo_out / "report.html", tmp_path, width=390, height=844)
    assert seen["errors"] == [] and seen["scripts"] == [] and seen["overflow"] <= 0
    assert seen["images"] and all(i["naturalWidth"] > 0 for i in seen["images"])
    text = seen["text"]
    assert "grace_hopper vs a shifted copy of herself" in text
    assert "grace_hopper vs astronaut (Eileen Collins)" in text
    assert "keeps the match (distance " in text and "the non-match (distance " in text
    alts = [i["alt"] for i in seen["images"]]
    # a region-occlusion panel per decision (6: verification x 2, gender x 2, age x 2), and
    # Grad-CAM on each model's torch network
    assert alts.count("region_occlusion saliency") == 6
    assert alts.count("grad_cam saliency") == 6
