"""The ``minplus`` command end to end on real photos: explain (dlib verifier, module:factory
models), bench, exit statuses and one-line errors, and the report in headless Chromium. (The
demo runs once, in test_demo.py.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from browser import probe_page, screenshot
from minplus import cli
from minplus.cli_specs import available_methods
from minplus.demo import sample_faces
from minplus.report import validate_result

TESTS = Path(__file__).resolve().parent
ARTIFACTS = TESTS.parent / "artifacts"
FACE_NAME = "grace<script>alert(1)<.png"   # a file name that must stay text in the report


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Real photos written as files: Grace Hopper (under a hostile name), her shifted copy (and
    a small one), and a blank grey image with no face."""
    d = tmp_path_factory.mktemp("photos")
    faces = sample_faces()
    paths = {"face": d / FACE_NAME, "shifted": d / "shifted.jpg", "blank": d / "blank.png",
             "small": d / "small.png"}
    cv2.imwrite(str(paths["face"]), faces["hopper"][:, :, ::-1])
    cv2.imwrite(str(paths["shifted"]), faces["hopper_shifted"][:, :, ::-1])
    cv2.imwrite(str(paths["small"]), cv2.resize(faces["hopper_shifted"], (128, 150))[:, :, ::-1])
    cv2.imwrite(str(paths["blank"]), faces["hopper"][:, :, ::-1] * 0 + 128)
    return paths


def minplus_command(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run the installed entry point's module as a separate process, as a user would."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(cli.__file__).resolve().parents[1]), str(TESTS)]))
    return subprocess.run([sys.executable, "-m", "minplus.cli", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


# Saliency in the end-to-end run: region occlusion (n + 1 queries) once minplus has it.
METHODS = [m for m in ("region-occlusion",) if m in available_methods()]


@pytest.fixture(scope="module")
def explained(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain") / "out"
    proc = minplus_command("explain", photos["face"], "--reference", photos["shifted"],
                           "--model", "dlib-verify", "--mode", "greedy",
                           "--methods", ",".join(METHODS), "--out", out, "--quiet")
    return proc, out


def test_explain_writes_report_result_and_pngs(explained, photos):
    proc, out = explained
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"report: {out / 'report.html'}"   # --quiet: only where
    result = validate_result(json.loads((out / "result.json").read_text()))
    rec = result["explanations"][0]
    assert result["meta"]["image"] == str(photos["face"])
    assert rec["model"] == "dlib-verify" and rec["regions"]["parser"] == "face68"
    assert rec["mode"] == "greedy" and rec["decision"]["rule"] == "Verification"
    assert rec["min_plus"] and rec["min_minus"]
    assert rec["summary"][0].startswith("Keeping only ") and " the match (distance " in \
        rec["summary"][0]
    made = [m.replace("-", "_") for m in METHODS]
    assert [s["method"] for s in rec["saliency"]] == made
    pngs = {p.name for p in out.glob("*.png")}
    assert {"original.png", "regions.png", "min_plus_1.png", "min_minus_1.png",
            *(f"saliency_{m}.png" for m in made)} <= pngs
    for p in out.glob("*.png"):
        assert cv2.imread(str(p)) is not None, p


def test_explain_report_in_chromium(explained, tmp_path, capsys):
    _, out = explained
    seen = probe_page(out / "report.html", tmp_path, width=390, height=844)
    assert seen["errors"] == [] and seen["scripts"] == [] and seen["overflow"] <= 0
    assert seen["images"] and all(i["naturalWidth"] > 0 for i in seen["images"])
    assert FACE_NAME in seen["text"]
    shot = screenshot(out / "report.html", ARTIFACTS / "cli-explain-report.png", tmp_path,
                      1100, 2600)
    with capsys.disabled():
        print(f"\nminplus explain report screenshot: {shot}")


def test_module_factory_model_with_a_threshold_decision(photos, tmp_path, capsys):
    sys.path.insert(0, str(TESTS))
    status = cli.main(["explain", str(photos["face"]), "--model",
                       "report_example:hog_face_detector", "--decision", "threshold:0",
                       "--regions", "grid:2x2", "--out", str(tmp_path), "--quiet"])
    assert status == 0, capsys.readouterr().err
    rec = validate_result(json.loads((tmp_path / "result.json").read_text()))["explanations"][0]
    assert rec["decision"]["rule"] == "Threshold" and rec["regions"]["names"] == \
        ["r0c0", "r0c1", "r1c0", "r1c1"]
    assert rec["queries"] <= 16


def test_torch_module_factory_with_white_box_methods(photos, tmp_path, capsys):
    sys.path.insert(0, str(TESTS))
    status = cli.main(["explain", str(photos["small"]), "--model", "report_example:tiny_cnn",
                       "--decision", "class", "--regions", "grid:2x2",
                       "--methods", "gradcam,ig", "--out", str(tmp_path),
                       "--quiet"])
    assert status == 0, capsys.readouterr().err
    rec = validate_result(json.loads((tmp_path / "result.json").read_text()))["explanations"][0]
    assert rec["decision"]["rule"] == "Classification"
    assert len(rec["saliency"]) == 2 and all(s["evaluations"] > 0 for s in rec["saliency"])
    assert {"saliency_grad_cam.png", "saliency_integrated_gradients.png"} <= \
        {p.name for p in tmp_path.glob("*.png")}


@pytest.mark.filterwarnings("ignore:.*(legacy TorchScript|will be removed).*:DeprecationWarning")
def test_onnx_file_model(photos, tmp_path, capsys):
    import torch

    from report_example import tiny_cnn

    path = tmp_path / "tiny.onnx"
    torch.onnx.export(tiny_cnn(), torch.zeros(1, 3, 150, 128), str(path), dynamo=False,
                      input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    status = cli.main(["explain", str(photos["small"]), "--model", str(path), "--decision",
                       "class:0", "--regions", "grid:2x2", "--out", str(tmp_path / "out"),
                       "--quiet"])
    assert status == 0, capsys.readouterr().err
    rec = validate_result(json.loads((tmp_path / "out" / "result.json").read_text()))
    assert rec["explanations"][0]["decision"]["outcome"] == "class 0"


@pytest.mark.parametrize("argv, status, message", [
    (["explain", "{blank}", "--reference", "{shifted}", "--model", "dlib-verify"], 3,
     "no face found"),
    (["explain", "{missing}", "--reference", "{shifted}", "--model", "dlib-verify"], 2,
     "no image file at"),
    (["explain", "{face}", "--model", "dlib-verify"], 2, "needs --reference"),
    (["explain", "{face}", "--model", "nonsense"], 2, "--model must be"),
    (["explain", "{face}", "--model", "dlib-verify", "--reference", "{shifted}",
      "--regions", "grid:x"], 2, "--regions must be"),
    (["explain", "{face}", "--model", "dlib-verify", "--reference", "{shifted}",
      "--methods", "gradcam,bogus"], 2, "unknown saliency methods ['bogus']"),
    (["explain", "{face}", "--model", "dlib-verify", "--reference", "{shifted}",
      "--decision", "class:2"], 2, "--reference is only used by --decision verify"),
    (["bench", "--repo", "{tmp}"], 4, "no benchmarks/compare.py in"),
])
def test_errors_are_one_line_with_a_documented_status(argv, status, message, photos, tmp_path,
                                                      capsys):
    names = dict(photos, missing=tmp_path / "missing.png", tmp=tmp_path)
    argv = [a.format(**names) for a in argv]
    if argv[0] == "explain":
        argv += ["--out", str(tmp_path / "out"), "--quiet"]
    assert cli.main(argv) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert err.startswith(f"minplus {argv[0]}: error: ")


def test_debug_adds_the_traceback(photos, tmp_path, capsys):
    status = cli.main(["explain", str(photos["blank"]), "--reference", str(photos["shifted"]),
                       "--model", "dlib-verify", "--out", str(tmp_path), "--quiet", "--debug"])
    err = capsys.readouterr().err
    assert status == 3 and "Traceback (most recent call last)" in err
    assert "FaceNotFoundError" in err


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as e:
        cli.main(["explain", "x.png", "--model", "dlib-verify", "--mode", "fastest",
                  "--out", "o"])
    assert e.value.code == 2


def test_bench_prints_the_comparison_table():
    # The checkout named with --repo, as the README says (an installed minplus never looks for
    # benchmarks from the current folder).
    proc = minplus_command("bench", "--quick", "--batch", "8", "--quiet", "--repo",
                           str(TESTS.parent), cwd=TESTS.parent)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("machine: ")
    assert lines[1] == "| workload | what | GB/s or M masks/s | fraction of memcpy | note |"
    assert any("minplus hwc uint8" in line for line in lines)



def test_python_dash_m_minplus_is_the_command():
    import minplus

    done = subprocess.run([sys.executable, "-m", "minplus", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert minplus.__version__ in done.stdout + done.stderr
