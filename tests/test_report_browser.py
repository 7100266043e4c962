"""The report in a real browser: headless Chromium from Debian's package.

Checks that every image decodes, that nothing is logged as an error, that user text with
<script> stays text, and that a phone-width window needs no horizontal scrolling; saves desktop
and phone screenshots under artifacts/ (printed)."""

from pathlib import Path

import pytest

from browser import probe_page, screenshot
from minplus.report import write_report
from report_example import explain_by_brute_force

EVIL = "<script>alert(1)</script>"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    exp, maps = explain_by_brute_force(
        names=["forehead", f"eyes {EVIL}", "temple", "cheek", "nose & mouth", "jaw"])
    path = tmp_path_factory.mktemp("report") / "report.html"
    record = write_report(path, exp, saliency_maps=maps,
                          meta={"image": f"grace{EVIL}.jpg", "model": "dlib HOG detector",
                                "regions": "grid:2x3"})
    return path, record


def test_every_image_decodes_without_errors_and_script_text_stays_text(report, tmp_path):
    path, record = report
    rec = record["explanations"][0]
    seen = probe_page(path, tmp_path)
    assert seen["errors"] == []
    assert seen["scripts"] == []               # no <script> element came from user text
    expected = 2 + len(rec["min_plus"]) + len(rec["min_minus"]) + len(rec["saliency"])
    assert len(seen["images"]) == expected
    bad = [i for i in seen["images"] if not (i["naturalWidth"] > 0 and i["naturalHeight"] > 0)]
    assert bad == []
    assert f"grace{EVIL}.jpg" in seen["text"]  # shown literally, as text
    assert f"eyes {EVIL}" in seen["text"]


def test_readable_on_a_phone_and_screenshots_saved(report, tmp_path, capsys):
    path, _ = report
    phone = probe_page(path, tmp_path, width=390, height=844)
    assert phone["errors"] == [] and phone["overflow"] <= 0
    shots = [screenshot(path, ARTIFACTS / "report-desktop.png", tmp_path, 1200, 2400),
             screenshot(path, ARTIFACTS / "report-phone.png", tmp_path, 390, 2400)]
    with capsys.disabled():
        print("\nreport screenshots:", *map(str, shots))
    assert all(p.stat().st_size > 10_000 for p in shots)


def test_missing_chromium_fails_in_ci_and_skips_only_locally(monkeypatch):
    import browser

    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        browser.chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="headless Chromium is missing"):
        browser.chromium()
