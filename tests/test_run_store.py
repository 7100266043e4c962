"""Dataset runs: the schema, the inputs, error rows, the store's commit log and recovery."""

import io
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from needs import need

import minplus
from minplus.errors import ArgumentError
from minplus.models import Threshold
from minplus.run import (RunInputError, RunMismatchError, RunSchemaError, RunStoreError,
                         read_log, read_run, run_schema, validate_table)
from minplus.run.schema import base_schema, description

PIL = need("PIL.Image")

GRID = dict(regions="grid:2x2", baseline="black", progress=False)


def brightness():
    """A cheap deterministic model factory: mean brightness (B, 1)."""
    return lambda x: x.reshape(len(x), -1).mean(axis=1, keepdims=True).astype(np.float64)


def picky():
    """Mean brightness that raises on bright images: the failing model of an error row."""
    def fn(x):
        if x.reshape(len(x), -1).mean(axis=1).max() > 200:
            raise RuntimeError("model refuses bright images")
        return x.reshape(len(x), -1).mean(axis=1, keepdims=True).astype(np.float64)
    return fn


def images(n, seed=0, size=16):
    rng = np.random.default_rng(seed)
    return [(f"img-{i:03d}", rng.integers(120, 255, (size, size, 3), dtype=np.uint8),
             {"group": "ab"[i % 2], "age": 20 + i}) for i in range(n)]


def comparable(table):
    """Rows without the timing columns: what equal runs must share."""
    return table.drop_columns(list(minplus.run.TIMING_COLUMNS)).to_pylist()


def test_schema_json_is_the_arrow_schema():
    schema = base_schema()
    doc = description()
    assert schema.names == [c["name"] for c in doc["columns"]]
    assert schema.metadata[b"minplus-run-schema"] == str(doc["version"]).encode()
    assert all(f.metadata[b"doc"] for f in schema)
    assert schema.field("min_plus_masks").type == pa.list_(pa.uint64())
    assert not schema.field("id").nullable
    meta = pa.schema([pa.field("group", pa.string())])
    assert run_schema(meta).names[-1] == "meta_group"


def test_rows_validate_and_read_back(tmp_path):
    done = minplus.run(images(6), brightness, Threshold(100.0), out=tmp_path / "r", **GRID)
    assert (done.rows, done.written, done.errors) == (6, 6, 0)
    table = read_run(tmp_path / "r")
    validate_table(table, pa.schema([pa.field("group", pa.string()), pa.field("age", pa.int64())]))
    assert table.column("index").to_pylist() == list(range(6))
    row = table.to_pylist()[0]
    assert row["status"] == "ok" and row["regions"] == ["r0c0", "r0c1", "r1c0", "r1c1"]
    assert row["min_plus"] and row["min_plus_masks"] and row["meta_group"] == "a"
    assert row["content_hash"] and len(row["content_hash"]) == 64
    assert all(m > 0 for m in row["min_plus_margins"])
    assert all(m < 0 for m in row["min_minus_margins"])
    assert row["model"].endswith(":brightness")
    # Readers that know nothing of minplus see the same rows.
    df = pq.read_table(tmp_path / "r" / "parts").to_pandas().sort_values("index")
    assert df["id"].tolist() == table.column("id").to_pylist()
    duckdb = need("duckdb")
    got = duckdb.sql(f"SELECT id, len(min_plus) AS k FROM "
                     f"read_parquet('{tmp_path}/r/parts/*.parquet') ORDER BY index").fetchall()
    assert [g[0] for g in got] == df["id"].tolist()


def test_validate_table_names_the_column():
    table = base_schema().empty_table()
    validate_table(table)
    with pytest.raises(RunSchemaError, match="columns"):
        validate_table(table.drop_columns(["queries"]))
    bad = table.set_column(table.schema.get_field_index("queries"), "queries",
                           pa.array([], pa.float64()))
    with pytest.raises(RunSchemaError, match="'queries' has type double"):
        validate_table(bad)
    row = {name: None for name in table.schema.names}
    row.update(schema_version=1, index=0, id="x", status="maybe", model="m", decision="d",
               regions_spec="grid:2x2", baseline="black", mode="exact", goal="both",
               minplus_version="0")
    with pytest.raises(RunSchemaError, match="status"):
        validate_table(pa.Table.from_pylist([row], schema=table.schema))


def test_corrupt_image_and_failing_model_become_error_rows(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i, level in enumerate((150, 250, 150)):
        PIL.fromarray(np.full((16, 16, 3), level, np.uint8)
                      + rng.integers(0, 3, (16, 16, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    good = (folder / "0.png").read_bytes()
    (folder / "3_truncated.png").write_bytes(good[: len(good) // 2])
    (folder / "4_not_an_image.jpg").write_bytes(b"hello")
    done = minplus.run(folder, picky, Threshold(100.0), out=tmp_path / "r", **GRID)
    assert (done.rows, done.errors) == (5, 3)
    rows = {r["id"]: r for r in read_run(tmp_path / "r").to_pylist()}
    assert rows["0.png"]["status"] == rows["2.png"]["status"] == "ok"
    assert rows["1.png"]["status"] == "error" and "bright" in rows["1.png"]["error"]
    assert rows["1.png"]["content_hash"] and rows["1.png"]["min_plus"] is None
    for name in ("3_truncated.png", "4_not_an_image.jpg"):
        assert rows[name]["error_type"] == "ImageReadError" and rows[name]["content_hash"] is None


def test_inputs_list_csv_parquet_glob(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    data = images(4)
    for id_, image, _ in data:
        PIL.fromarray(image).save(folder / f"{id_}.png")
    (tmp_path / "list.txt").write_text("".join(f"imgs/{i}.png\n" for i, _, _ in data[:3]))
    (tmp_path / "t.csv").write_text("path,group,score\n" + "".join(
        f"imgs/{i}.png,{m['group']},{m['age'] / 2}\n" for i, _, m in data))
    buf = [io.BytesIO() for _ in data]
    for b, (_, image, _) in zip(buf, data):
        PIL.fromarray(image).save(b, format="PNG")
    pq.write_table(pa.table({"id": [i for i, _, _ in data], "image": [b.getvalue() for b in buf],
                             "label": [1, 0, 1, 0]}), tmp_path / "t.parquet")
    runs = {name: minplus.run(src, brightness, Threshold(100.0), out=tmp_path / name, **GRID)
            for name, src in (("folder", folder), ("list", tmp_path / "list.txt"),
                              ("csv", tmp_path / "t.csv"), ("parquet", tmp_path / "t.parquet"),
                              ("glob", str(folder / "img-00[01].png")))}
    tables = {k: read_run(v.path) for k, v in runs.items()}
    assert tables["folder"].column("id").to_pylist() == [f"{i}.png" for i, _, _ in data]
    assert tables["list"].num_rows == 3 and tables["glob"].num_rows == 2
    assert tables["csv"].column("meta_score").type == pa.float64()
    assert tables["csv"].column("meta_group").to_pylist() == ["a", "b", "a", "b"]
    assert tables["parquet"].column("id").to_pylist() == [i for i, _, _ in data]
    assert tables["parquet"].column("meta_label").to_pylist() == [1, 0, 1, 0]
    assert set(tables["parquet"].column("source").to_pylist()) == {"bytes"}
    # The same pixels give the same answers whichever way they came in.
    key = ["min_plus", "min_minus", "original_scores", "content_hash"]
    assert tables["folder"].select(key).to_pylist()[:3] == tables["list"].select(key).to_pylist()
    assert tables["folder"].select(key[:3]).to_pylist() == \
        tables["parquet"].select(key[:3]).to_pylist()


def test_input_errors(tmp_path):
    with pytest.raises(RunInputError, match="no folder"):
        minplus.run(tmp_path / "missing", brightness, out=tmp_path / "r", **GRID)
    (tmp_path / "t.csv").write_text("name,group\na,b\n")
    with pytest.raises(RunInputError, match="no image column"):
        minplus.run(tmp_path / "t.csv", brightness, out=tmp_path / "r", **GRID)
    twice = images(2) + images(1)
    with pytest.raises(RunInputError, match="twice"):
        minplus.run(twice, brightness, Threshold(100.0), out=tmp_path / "r2", **GRID)


def test_other_arguments_are_refused(tmp_path):
    out = tmp_path / "r"
    minplus.run(images(3), brightness, Threshold(100.0), out=out, **GRID)
    again = minplus.run(images(3), brightness, Threshold(100.0), out=out, **GRID)
    assert (again.written, again.skipped) == (0, 3)
    with pytest.raises(RunMismatchError, match="decision: .*t=100.0.* then, .*t=90.0.* now"):
        minplus.run(images(3), brightness, Threshold(90.0), out=out, **GRID)
    with pytest.raises(RunMismatchError, match="regions"):
        minplus.run(images(3), brightness, Threshold(100.0), out=out,
                    **dict(GRID, regions="grid:3x3"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(RunStoreError, match="not a minplus run"):
        minplus.run(images(3), brightness, Threshold(100.0), out=tmp_path / "other", **GRID)


def test_kill_windows_recover_without_loss_or_duplicates(tmp_path):
    """The store's kill windows, made by hand: a part renamed but not logged, a torn log line,
    a temporary part file. Resuming logs the first, drops the others, and equals a clean run."""
    data = images(9)
    clean = minplus.run(data, brightness, Threshold(100.0), out=tmp_path / "clean",
                        part_rows=2, **GRID)
    out = tmp_path / "r"
    minplus.run(data, brightness, Threshold(100.0), out=out, part_rows=2, **GRID)
    log = (out / "commits.jsonl").read_text().splitlines(keepends=True)
    parts = sorted(os.listdir(out / "parts"))
    assert len(log) == len(parts) == 5
    # Killed after part 3's rename, before its log line; part 4 never renamed; half a line.
    (out / "commits.jsonl").write_text("".join(log[:3]) + log[3][:20])
    os.rename(out / "parts" / parts[4], out / "parts" / f".{parts[4]}.tmp-99")
    resumed = minplus.run(data, brightness, Threshold(100.0), out=out, part_rows=2, **GRID)
    assert (resumed.skipped, resumed.written) == (8, 1)
    entries = read_log(out)
    assert [e["part"] for e in entries] == parts
    assert entries[3].get("recovered")
    assert not any(n.startswith(".") for n in os.listdir(out / "parts"))
    assert comparable(read_run(out)) == comparable(clean.read())
    assert json.loads((out / "run.json").read_text())["meta_types"] == {"group": "string",
                                                                         "age": "int64"}


def test_gone_part_is_a_store_error(tmp_path):
    out = tmp_path / "r"
    minplus.run(images(4), brightness, Threshold(100.0), out=out, part_rows=2, **GRID)
    os.remove(out / "parts" / "part-000000.parquet")
    with pytest.raises(RunStoreError, match="gone"):
        minplus.run(images(4), brightness, Threshold(100.0), out=out, part_rows=2, **GRID)


def test_metrics_and_saliency_columns_are_deterministic(tmp_path):
    """Saliency region values, pixel maps and metric figures land in their columns, and a
    second run of the same arguments gives the same rows (timings aside)."""
    kw = dict(GRID, methods=["region-occlusion", "occlusion"], metrics=["deletion"],
              save_maps=True)
    a = minplus.run(images(2), brightness, Threshold(100.0), out=tmp_path / "a", **kw)
    b = minplus.run(images(2), brightness, Threshold(100.0), out=tmp_path / "b", **kw)
    rows = read_run(a.path).to_pylist()
    assert comparable(read_run(a.path)) == comparable(read_run(b.path))
    first = rows[0]
    assert [s["method"] for s in first["saliency"]] == ["region-occlusion", "occlusion"]
    pixel = first["saliency"][1]
    picture = np.frombuffer(pixel["map"], "<f4").reshape(pixel["map_height"],
                                                         pixel["map_width"])
    assert picture.shape == (16, 16) and len(pixel["region_values"]) == 4
    (metric,) = first["metrics"]
    assert metric["name"] == "deletion" and np.isfinite(metric["value"])
    assert json.loads(metric["details"])["metric"] == "deletion"
    assert {"saliency:occlusion", "metric:deletion", "total"} <= dict(first["seconds"]).keys()
    with pytest.raises(ArgumentError, match="unknown metrics"):
        minplus.run(images(2), brightness, Threshold(100.0), out=tmp_path / "c",
                    **dict(GRID, metrics=["nope"]))


def test_two_onnx_models_of_different_weights_are_told_apart(tmp_path):
    # a model object is fingerprinted by its weights, not its repr: two OnnxModels of different
    # graphs (same repr) make different runs, and the same graph resumes
    import torch

    from minplus.models import OnnxModel, TorchModel

    def graph(seed):
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16 * 16 * 3, 1))
        f = io.BytesIO()
        torch.onnx.export(net, torch.zeros(1, 3, 16, 16), f, dynamo=False,
                          dynamic_axes={"input": {0: "b"}}, input_names=["input"])
        return net, f.getvalue()

    (net_a, a), (net_b, b) = graph(0), graph(1)
    assert repr(OnnxModel(a)) == repr(OnnxModel(b))
    out = tmp_path / "r"
    first = minplus.run(images(2), OnnxModel(a), Threshold(-1e9), out=out, **GRID)
    assert first.written == 2
    assert minplus.run(images(2), OnnxModel(a), Threshold(-1e9), out=out, **GRID).skipped == 2
    with pytest.raises(RunMismatchError, match="model"):
        minplus.run(images(2), OnnxModel(b), Threshold(-1e9), out=out, **GRID)
    assert TorchModel(net_a).fingerprint() != TorchModel(net_b).fingerprint()
    assert TorchModel(net_a).fingerprint() == TorchModel(net_a).fingerprint()
