"""`minplus demo`: both explanations written in the documented layout, in one run."""

import contextlib
import io
import json

import pytest

import minplus.saliency
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
    assert {p.name for p in demo_out.iterdir()} == {"summary.txt", "match", "non_match",
                                                    "report.html"}
    for case in ("match", "non_match"):
        assert FILES <= {p.name for p in (demo_out / case).iterdir()}


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
    # a saliency panel per decision, once region occlusion is part of minplus
    shown = 2 if hasattr(minplus.saliency, "region_occlusion") else 0
    assert alts.count("region_occlusion saliency") == shown
