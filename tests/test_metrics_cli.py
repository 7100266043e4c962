"""``minplus explain --metrics``: the metric table, curves and fragility marks in the report and
result.json."""

import json
import os
import sys

import cv2
import pytest

from minplus import cli
from minplus.demo import sample_faces
from minplus.report.schema import validate_result

TESTS = os.path.dirname(__file__)


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photo") / "small.png"
    cv2.imwrite(str(path), cv2.resize(sample_faces()["hopper_shifted"], (64, 64))[:, :, ::-1])
    return path


def test_explain_with_metrics(photo, tmp_path, capsys):
    sys.path.insert(0, TESTS)
    status = cli.main(["explain", str(photo), "--model", "report_example:tiny_cnn",
                       "--decision", "class", "--regions", "grid:2x2",
                       "--methods", "region-occlusion",
                       "--metrics", "deletion,insertion,pointing,robustness",
                       "--point-at", "r0c0,r0c1", "--out", str(tmp_path), "--quiet"])
    assert status == 0, capsys.readouterr().err
    result = validate_result(json.loads((tmp_path / "result.json").read_text()))
    rec = result["explanations"][0]
    assert result["meta"]["metrics"] == "deletion,insertion,pointing,robustness"
    table = rec["metrics"]
    assert {"deletion AUC", "insertion AUC", "pointing_game"} <= set(table["region_occlusion"])
    claims = [k for k in table if k.startswith(("Min+ ", "Min- "))]
    assert claims and all(set(table[k]) == {"holds", "of", "margin", "fragile"}
                          for k in claims)
    assert {"deletion AUC", "insertion AUC", "pointing", "robust claims"} <= \
        set(table["Min+/Min- claims"])
    assert (tmp_path / "curves.png").exists()
    assert "fragile" in (tmp_path / "report.html").read_text()


def test_metrics_are_checked_before_the_work(photo, tmp_path, capsys):
    sys.path.insert(0, TESTS)
    for extra, says in ((["--metrics", "auc"], "unknown metrics"),
                        (["--metrics", "pointing"], "--point-at")):
        status = cli.main(["explain", str(photo), "--model", "report_example:tiny_cnn",
                           "--regions", "grid:2x2", "--out", str(tmp_path), "--quiet", *extra])
        assert status != 0 and says in capsys.readouterr().err
