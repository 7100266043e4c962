"""Regression tests for the reliability issue: no native crash, no silent coercion, bounded
work, typed errors naming the argument, and CLI statuses as documented.

Each test names the defect it pins down. (The fuzz suite, test_fuzz.py, looks for new ones.)
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from needs import need

import minplus
from minplus import Masker, _core, cli, core
from minplus.baselines import MAX_SIGMA, gaussian_blur, gaussian_kernel, make_baseline
from minplus.errors import (ArgumentError, ArgumentTypeError, DTypeError, ImageReadError,
                            ImageTooLargeError, MinplusError, MissingDependencyError, ModelError,
                            ShapeError)
from minplus.regions.image_file import MAX_PIXELS, image_size, read_image
from minplus.saliency.indexed_maskers import AlphaMasker
from minplus.saliency.rise import rise, rise_masks

PYTHON_DIR = Path(minplus.__file__).resolve().parents[1]


def _masker(soft=False, C=3, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    img = (rng.integers(0, 256, (12, 10, C)).astype(dtype) if dtype == np.uint8
           else rng.random((12, 10, C)).astype(dtype))
    lab = (np.arange(10)[None, :] // 3 + 4 * (np.arange(12)[:, None] // 6)).astype(np.int32)
    return Masker(img, lab, baseline="black", feather=1.0 if soft else None), img, lab


# ---- native crashes ---------------------------------------------------------------------------

@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("threads", [100000, 2**45])
def test_a_huge_thread_count_is_capped_not_a_segfault(soft, threads):
    m, _, _ = _masker(soft)
    masks = core.level(m.n, 2)
    np.testing.assert_array_equal(m.render(masks, num_threads=threads),
                                  m.render(masks, num_threads=1))


def test_blend_kernels_cap_the_thread_count_too():
    img = np.random.default_rng(1).random((8, 9, 3)).astype(np.float32)
    alphas = np.random.default_rng(2).random((3, 8, 9)).astype(np.float32)
    m = AlphaMasker(img, alphas, baseline="black")
    np.testing.assert_array_equal(m.render([0, 2], num_threads=100000),
                                  m.render([0, 2], num_threads=1))
    np.testing.assert_array_equal(m.render([1], num_threads=2**45), m.render([1]))


@pytest.mark.parametrize("value, error", [(-1, ArgumentError), (2.5, ArgumentTypeError),
                                          ("4", ArgumentTypeError)])
def test_num_threads_is_checked_before_openmp(value, error):
    m, _, _ = _masker()
    with pytest.raises(error, match="num_threads"):
        m.render([1], num_threads=value)


def test_rise_grid_is_bounded_by_the_image_and_never_aborts():
    img = np.zeros((32, 32, 3), np.float32)
    with pytest.raises(ArgumentError, match=r"s must be in \[1, 32\], got 50000"):
        rise(lambda x: x.mean(axis=(1, 2, 3)), img, s=50000, n_masks=4, progress=False)
    with pytest.raises(ArgumentError, match="s must be"):
        rise_masks(0, (32, 32), s=10000)
    # the binding refuses it as well, as a ValueError, instead of std::bad_alloc in OpenMP
    with pytest.raises(ValueError, match=r"s <= max\(H, W\)"):
        _core.rise_masks(0, 32, 32, 50000, 0.5, 0, np.empty((0, 32, 32), np.float32))
    assert rise_masks(2, (32, 32), s=32).shape == (2, 32, 32)


@pytest.mark.parametrize("call", [
    lambda: _core.fill_level(100, 3, 0, np.empty(2, np.uint64)),
    lambda: _core.fill_level(5, 7, 0, np.empty(2, np.uint64)),
    lambda: _core.fill_level(5, 2, 9, np.empty(5, np.uint64)),
    lambda: _core.colex_unrank(70, 2, np.zeros(1, np.uint64)),
    lambda: _core.colex_unrank(5, 2, np.array([10], np.uint64)),
    lambda: _core.next_same_popcount(0),
    lambda: _core.RegionSpans(np.full((2, 2), 64, np.int32)),
    lambda: _core.SoftWeights(np.zeros((65, 2, 2), np.float32)),
])
def test_subset_and_masking_bindings_refuse_what_would_corrupt_memory(call):
    with pytest.raises(ValueError):
        call()


# ---- silent coercions -------------------------------------------------------------------------

@pytest.mark.parametrize("masks, error", [([1.5], DTypeError), ("3", DTypeError),
                                          ([True], DTypeError), (np.array([1.0]), DTypeError),
                                          ([[1, 2]], ShapeError), ([[1], [2]], ShapeError),
                                          (np.array([[1, 2]], np.uint64), ShapeError)])
def test_float_string_and_nested_masks_are_refused(masks, error):
    m, _, _ = _masker()
    with pytest.raises(error, match="masks"):
        m.render(masks)


@pytest.mark.parametrize("kwargs, error", [({"count": 2.5}, ArgumentTypeError),
                                           ({"count": "2"}, ArgumentTypeError),
                                           ({"start": 1.0}, ArgumentTypeError),
                                           ({"count": -1}, ArgumentError)])
def test_level_refuses_non_integer_counts(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        core.level(12, 3, **kwargs)


def test_core_errors_are_typed_and_name_the_argument():
    with pytest.raises(ArgumentError, match="k must be"):
        core.count(5, -1)
    with pytest.raises(ArgumentTypeError, match="n must be an int"):
        core.count(5.0, 2)
    with pytest.raises(ArgumentError, match="ranks"):
        core.unrank(4, 2, [6])
    with pytest.raises(DTypeError, match="ranks"):
        core.unrank(4, 2, [0.5])


# ---- the Masker owns its inputs ---------------------------------------------------------------

def test_changing_the_callers_arrays_later_changes_no_output_in_either_layout():
    m, img, lab = _masker()
    before_hwc = m.render([5, 9])
    before_nchw = m.render([5, 9], layout="nchw")
    img[:] = 7
    lab[:] = 0
    np.testing.assert_array_equal(m.render([5, 9]), before_hwc)
    np.testing.assert_array_equal(m.render([5, 9], layout="nchw"), before_nchw)
    np.testing.assert_array_equal(before_nchw.transpose(0, 2, 3, 1),
                                  before_hwc.astype(np.float32))


def test_out_aliasing_the_maskers_own_arrays_is_refused():
    m, img, lab = _masker(dtype=np.float32)
    with pytest.raises(ArgumentError, match="overlaps the Masker's image"):
        m.render([1], out=m.image[None])
    m.render([1], layout="nchw")  # caches the nchw frames
    frame = next(iter(m._frames.values()))[0]
    with pytest.raises(ArgumentError, match="overlaps the Masker's a cached frame"):
        m.render([1], out=frame[None], layout="nchw")
    np.testing.assert_array_equal(m.image, img)  # nothing was written


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_baseline_is_refused_like_a_non_finite_image(bad):
    img = np.zeros((4, 4, 3), np.float32)
    base = np.zeros_like(img)
    base[1, 2, 0] = bad
    with pytest.raises(ArgumentError, match="baseline contains NaN or inf"):
        Masker(img, np.zeros((4, 4), np.int32), baseline=base)
    with pytest.raises(ArgumentError, match="image contains NaN or inf"):
        Masker(base, np.zeros((4, 4), np.int32))


@pytest.mark.parametrize("kwargs, error, word", [
    ({"mean": [0.1, 0.2]}, ShapeError, "mean"), ({"std": [1, 2, 3, 4]}, ShapeError, "std"),
    ({"std": [[1, 2, 3]]}, ShapeError, "std"), ({"mean": "abc"}, DTypeError, "mean"),
    ({"std": float("nan")}, ArgumentError, "std"), ({"std": 0}, ArgumentError, "std"),
    ({"scale": float("inf")}, ArgumentError, "scale"), ({"layout": "chw"}, ArgumentError, "layout"),
    ({"dtype": "no-such-dtype"}, DTypeError, "dtype"), ({"device": "tpu"}, ArgumentError, "device"),
])
def test_render_options_are_checked_with_typed_errors(kwargs, error, word):
    m, _, _ = _masker()
    kwargs = {"layout": "nchw", **kwargs}
    with pytest.raises(error, match=word):
        m.render([1], **kwargs)


# ---- bounded work -----------------------------------------------------------------------------

def test_blur_is_the_gaussian_for_small_sigma_and_bounded_for_large():
    ndimage = need("scipy.ndimage")
    rng = np.random.default_rng(3)
    a = rng.random((41, 57)).astype(np.float32)
    r = len(gaussian_kernel(2.0)) // 2
    want = ndimage.gaussian_filter(a, 2.0, mode="mirror", truncate=r / 2.0)
    np.testing.assert_allclose(gaussian_blur(a, 2.0), want, atol=1e-5)
    # sigma far above the kernel bound: blurred at a coarser scale, still a smooth Gaussian
    smooth = np.add.outer(np.linspace(0, 1, 300), np.linspace(0, 1, 200)).astype(np.float32)
    np.testing.assert_allclose(gaussian_blur(smooth, 30.0),
                               ndimage.gaussian_filter(smooth, 30.0, mode="mirror"), atol=0.02)
    flat = gaussian_blur(np.full((64, 48, 3), 5.0, np.float32), MAX_SIGMA)
    np.testing.assert_allclose(flat, 5.0, atol=1e-4)


def test_a_2000x1500_blur_baseline_is_built():
    img = np.random.default_rng(4).integers(0, 256, (2000, 1500, 3), dtype=np.uint8)
    b = make_baseline(img, "blur")  # sigma = 125: 20 s with the old O(H W max(H, W)) filter
    assert b.shape == img.shape and b.dtype == np.uint8 and b.std() < img.std()


@pytest.mark.parametrize("sigma, error", [(1e7, ArgumentError), (float("nan"), ArgumentError),
                                          (-1.0, ArgumentError), ("2", ArgumentTypeError)])
def test_blur_sigma_is_validated(sigma, error):
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(error, match="sigma"):
        Masker(img, np.zeros((8, 8), np.int32), baseline="blur", sigma=sigma)
    with pytest.raises(ArgumentError, match="feather"):
        Masker(img, np.zeros((8, 8), np.int32), feather=float("nan"))


def test_without_opencv_and_scipy_blur_is_a_typed_error_and_the_rest_works(monkeypatch):
    for name in ("cv2", "scipy", "scipy.ndimage"):
        monkeypatch.setitem(sys.modules, name, None)
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(MissingDependencyError, match="opencv-python-headless or scipy"):
        Masker(img, np.zeros((8, 8), np.int32), baseline="blur")
    assert isinstance(MissingDependencyError("x"), ImportError)
    assert Masker(img, np.zeros((8, 8), np.int32)).render([1]).shape == (1, 8, 8, 3)


# ---- image files ------------------------------------------------------------------------------

def _png_header(path, width, height):
    """A PNG that declares width x height pixels and holds no image data (a few dozen bytes)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(
        ">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    from PIL import Image

    d = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(5)
    files = {"ok": d / "ok.png", "jpeg": d / "ok.jpg", "truncated": d / "truncated.jpg",
             "header": _png_header(d / "header.png", 50000, 50000), "huge": d / "huge.png",
             "junk": d / "junk.png"}
    pic = np.zeros((48, 40, 3), np.uint8)
    pic[:24] = 220
    pic[:, :20, 1] = 90
    Image.fromarray(pic).save(files["ok"])
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(files["jpeg"])
    data = files["jpeg"].read_bytes()
    files["truncated"].write_bytes(data[:len(data) // 2])
    # a real, valid 12000 x 12000 PNG: 1-bit, so writing it costs little
    Image.new("1", (12000, 12000)).save(files["huge"])
    files["junk"].write_bytes(b"not an image")
    return files


def test_pixel_limit_is_checked_from_the_header_before_decoding(image_files):
    assert image_size(str(image_files["huge"])) == (12000, 12000)
    assert 12000 * 12000 > MAX_PIXELS
    with pytest.raises(ImageTooLargeError, match="12000 x 12000"):
        read_image(str(image_files["huge"]))
    with pytest.raises(ImageTooLargeError):
        read_image(str(image_files["header"]))
    assert read_image(str(image_files["ok"])).shape == (48, 40, 3)


@pytest.mark.parametrize("name", ["truncated", "junk"])
def test_a_truncated_or_foreign_file_is_refused(image_files, name):
    with pytest.raises(ImageReadError, match="cannot"):
        read_image(str(image_files[name]))


# ---- the command line -------------------------------------------------------------------------

MODELS = textwrap.dedent('''
    """Model factories for the CLI tests: a 2-class brightness model, and ones that fail."""
    import numpy as np

    def _two_class(x):
        m = x.reshape(len(x), -1).mean(axis=1)
        return np.stack([m, 120.0 - m], axis=1)

    def build():
        return _two_class

    def _after(calls, bad):
        count = [0]

        def fn(x):
            count[0] += 1
            return bad(x) if count[0] > calls else _two_class(x)
        return fn

    def raising():
        def bad(x):
            raise RuntimeError("sensor unplugged")
        return _after(2, bad)

    def nan_scores():
        return _after(2, lambda x: np.full((len(x), 2), np.nan))

    def recorded():
        open("factory-was-called", "w").close()
        return _two_class

    def widening():
        return _after(2, lambda x: np.concatenate([_two_class(x), np.zeros((len(x), 1))], 1))
''')


@pytest.fixture()
def workdir(tmp_path, image_files, monkeypatch):
    """A folder holding mymodels.py and a picture, as the cwd (the README's setting)."""
    (tmp_path / "mymodels.py").write_text(MODELS)
    (tmp_path / "broken_models.py").write_text("import no_such_package_minplus\n")
    (tmp_path / "pic.png").write_bytes(image_files["ok"].read_bytes())
    monkeypatch.chdir(tmp_path)
    for name in ("mymodels", "broken_models"):
        sys.modules.pop(name, None)
    yield tmp_path
    for name in ("mymodels", "broken_models"):
        sys.modules.pop(name, None)


def _explain(*extra, model="mymodels:build", image="pic.png", out="out"):
    return cli.main(["explain", str(image), "--model", model, "--regions", "grid:2x2",
                     "--baseline", "black", "--out", str(out), "--quiet", *extra])


def test_the_readme_model_example_runs_from_its_folder_without_pythonpath(workdir):
    # -P: no script folder on sys.path, as with the installed `minplus` entry point
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    done = subprocess.run([sys.executable, "-P", "-m", "minplus.cli", "explain", "pic.png",
                           "--model", "mymodels:build", "--decision", "class",
                           "--regions", "grid:2x2", "--baseline", "black", "--out", "out",
                           "--quiet"], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert (workdir / "out" / "result.json").is_file()


@pytest.mark.parametrize("regions", ["grid:0x3", "slic:100", "grid:65x1", "slic:0",
                                     "grid:60x1"])
def test_bad_region_specs_are_usage_errors(workdir, capsys, regions):
    status = cli.main(["explain", "pic.png", "--model", "mymodels:build", "--regions", regions,
                       "--out", "out", "--quiet"])
    err = capsys.readouterr().err
    assert status == cli.EXIT_USAGE, err
    assert "--regions" in err and regions in err


def test_a_class_index_the_model_does_not_have_is_a_usage_error(workdir, capsys):
    assert _explain("--decision", "class:99") == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "--decision class:99" in err and "out of range" in err


def test_a_factory_module_that_cannot_be_imported_exits_4(workdir, capsys):
    assert _explain(model="broken_models:build") == cli.EXIT_MISSING
    assert "no_such_package_minplus" in capsys.readouterr().err
    assert _explain(model="mymodels:no_such_factory") == cli.EXIT_USAGE


def test_an_unwritable_out_is_found_before_any_work(workdir, capsys):
    (workdir / "a-file").write_text("")
    assert _explain(model="mymodels:recorded", out=workdir / "a-file" / "out") == \
        cli.EXIT_USAGE
    assert "--out" in capsys.readouterr().err
    assert not (workdir / "factory-was-called").exists()


@pytest.mark.parametrize("factory, message", [("mymodels:raising", "sensor unplugged"),
                                              ("mymodels:nan_scores", "NaN"),
                                              ("mymodels:widening", "output width changed")])
def test_a_model_failing_mid_search_exits_1_with_its_message(workdir, capsys, factory, message):
    status = _explain(model=factory)
    err = capsys.readouterr().err
    assert status == cli.EXIT_FAILED, err
    assert message in err and "interrupted" not in err


def test_only_ctrl_c_is_an_interruption():
    from minplus.search import SearchInterrupted

    assert cli.exit_status(KeyboardInterrupt()) == cli.EXIT_INTERRUPTED
    assert cli.exit_status(SearchInterrupted("the model raised", partial=None)) == \
        cli.EXIT_FAILED


@pytest.mark.parametrize("name", ["huge", "header", "truncated", "junk"])
def test_oversized_and_truncated_image_files_are_usage_errors(workdir, capsys, image_files,
                                                              name):
    assert _explain(image=image_files[name]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert ("pixels" if name in ("huge", "header") else "cannot") in err


def test_bench_never_runs_a_compare_py_found_from_the_cwd(tmp_path, monkeypatch):
    planted = tmp_path / "benchmarks" / "compare.py"
    planted.parent.mkdir()
    planted.write_text("raise SystemExit('planted file ran')\n")
    (tmp_path / "deeper").mkdir()
    monkeypatch.chdir(tmp_path / "deeper")
    home = Path(cli.__file__).resolve().parents[2]
    if (home / "benchmarks" / "compare.py").is_file():  # minplus imported from a checkout
        assert cli.find_benchmarks() == home
    else:  # an installed minplus: no checkout of its own, and the cwd's file is not taken
        with pytest.raises(cli.MissingError, match="--repo"):
            cli.find_benchmarks()
    assert cli.find_benchmarks(str(tmp_path)) == tmp_path.resolve()  # only when named


def test_cli_errors_are_minplus_errors():
    from minplus.cli_specs import SpecError

    assert issubclass(SpecError, MinplusError) and issubclass(SpecError, ValueError)
    assert issubclass(ImageTooLargeError, ValueError) and issubclass(ModelError, RuntimeError)


@pytest.mark.parametrize("decision, message", [("class:1.5", "not an integer"),
                                               ("threshold:nan", "finite"),
                                               ("threshold:0:2.0", "not an integer")])
def test_decision_specs_are_never_truncated_or_nan(decision, message):
    from minplus.cli_specs import SpecError, decision_from_spec

    with pytest.raises(SpecError, match=message):
        decision_from_spec(decision, None)


def test_a_masker_refuses_an_array_over_the_pixel_limit():
    from minplus.arguments import MAX_PIXELS

    wide = np.zeros((1, MAX_PIXELS + 1), np.uint8)
    with pytest.raises(ImageTooLargeError, match="MAX_PIXELS"):
        Masker(wide, np.zeros(wide.shape, np.int32))


def test_defects_the_fuzz_suite_found_stay_fixed():
    from minplus.regions.image_input import as_rgb_uint8

    assert core.count(31, 2**63) == 0  # was pybind's "incompatible function arguments"
    with pytest.raises(ShapeError, match="empty"):
        as_rgb_uint8(np.zeros((0, 5, 3), np.float32), min_size=0)
    with pytest.raises(ArgumentTypeError, match="min_size"):
        as_rgb_uint8(np.zeros((40, 40, 3), np.uint8), min_size="32")
    img = np.zeros((4, 4, 3), np.uint8)
    from minplus.saliency.indexed_maskers import WindowMasker

    with pytest.raises(ArgumentTypeError, match="ops"):
        WindowMasker(img, [[0, 0]], np.ones(3, np.float32), ops=None)
    with pytest.raises(DTypeError, match="centres"):
        WindowMasker(img, None, np.ones(3, np.float32))
