"""The ``minplus`` command: ``demo``, ``explain`` and ``bench``.

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
import re
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_FACE, EXIT_MISSING, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

REGION_SPECS = re.compile(r"(face68(:coarse|:fine)?|coarse|fine|mediapipe(:fine)?|grid:\d+(x\d+)?"
                          r"|slic(:\d+)?)")


class MissingError(RuntimeError):
    """Something the command needs is not installed or not found (exit status 4)."""


def exit_status(error: BaseException) -> int:
    """The documented exit status for an error raised by a subcommand."""
    from .cli_specs import SpecError
    from .errors import FaceNotFoundError

    if isinstance(error, KeyboardInterrupt) or type(error).__name__ == "SearchInterrupted":
        return EXIT_INTERRUPTED
    if isinstance(error, SpecError):
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
        help="explain a face-verification match and non-match on sample photos",
        description="Explain why dlib's face verifier matches Grace Hopper with a shifted copy "
                    "of herself and not with the astronaut Eileen Collins: the smallest sets of "
                    "face regions that keep each decision (Min+) and that break it (Min-). "
                    "Writes DIR/report.html, plus figures and JSON per case (see minplus.demo).")
    p.add_argument("--out", default="minplus-demo",
                   help="output folder (default: ./minplus-demo)")
    p.set_defaults(func=run_demo_command)


def run_demo_command(args) -> int:
    from .cli_specs import available_methods, run_saliency
    from .demo import run_demo
    from .models import DlibFaceRecognizer
    from .report import write_report

    results = run_demo(args.out, progress=not args.quiet)
    cases = [("match", "grace_hopper vs a shifted copy of herself"),
             ("non_match", "grace_hopper vs astronaut (Eileen Collins)")]
    model = DlibFaceRecognizer()
    # One cheap map per decision (n + 1 queries), once the method is part of minplus.
    methods = [m for m in ("region-occlusion",) if m in available_methods()]
    maps = [run_saliency(methods, model, None, results[name], progress=not args.quiet)
            for name, _ in cases]
    report = os.path.abspath(os.path.join(args.out, "report.html"))
    write_report(report, [results[name] for name, _ in cases], saliency_maps=maps,
                 titles=[title for _, title in cases], page_title="demo",
                 meta={"command": "minplus demo", "model": "dlib-verify (dlib ResNet face "
                       "descriptor, euclidean distance, match <= 0.6)", "regions": "face68",
                       "images": "grace_hopper (matplotlib), astronaut (scikit-image)"})
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
                   help="dlib-verify, PATH.onnx, or module:factory (factory() returns a "
                        "minplus Model, a torch.nn.Module or a numpy callable)")
    p.add_argument("--decision", help="verify[:T[:euclidean|cosine]] (default with --reference, "
                                      "T=0.6), class[:INDEX] (default otherwise: top class), "
                                      "threshold:T[:INDEX], regression:TOL[:INDEX]")
    p.add_argument("--regions", default="face68",
                   help="face68 (7 regions), fine (11), grid:RxC, slic:N (default face68)")
    p.add_argument("--baseline", default="blur", choices=BASELINES,
                   help="what masked regions show (default blur)")
    p.add_argument("--mode", default="exact", choices=("exact", "minimal", "monotone", "greedy"),
                   help="search mode (default exact: every minimum-size set, proven)")
    p.add_argument("--budget", type=int, help="most model queries for the search")
    p.add_argument("--methods", default="",
                   help=f"comma-separated saliency methods: {', '.join(SALIENCY_METHODS)}")
    p.add_argument("--preprocess", default="unit", choices=sorted(PREPROCESS),
                   help="input normalisation of ONNX/torch models (default unit: x/255)")
    p.set_defaults(func=run_explain_command)


def run_explain_command(args) -> int:
    from .cli_specs import (SpecError, check_white_box, decision_from_spec, image_from_spec,
                            methods_from_spec, model_from_spec, run_saliency)
    from .errors import FaceNotFoundError
    from .explain import explain
    from .report import write_report

    # Every option is checked before the long work starts.
    if not REGION_SPECS.fullmatch(args.regions):
        raise SpecError(f"--regions must be face68, fine, grid:RxC or slic:N, got {args.regions!r}")
    if args.model == "dlib-verify" and args.reference is None:
        raise SpecError("--model dlib-verify needs --reference IMAGE (the face to verify against)")
    if args.budget is not None and args.budget < 1:
        raise SpecError(f"--budget must be >= 1, got {args.budget}")
    methods = methods_from_spec(args.methods)
    image = image_from_spec(args.image)
    reference = None if args.reference is None else image_from_spec(args.reference)
    decision = decision_from_spec(args.decision, reference)
    model, module = model_from_spec(args.model, args.preprocess)
    check_white_box(methods, module)

    try:
        exp = explain(image, model, decision, regions=args.regions, baseline=args.baseline,
                      mode=args.mode, budget=args.budget, progress=not args.quiet)
    except FaceNotFoundError as e:  # say which files were looked at
        files = args.image + ("" if args.reference is None else f", reference {args.reference}")
        raise FaceNotFoundError(f"{e} (image {files})") from e
    maps = run_saliency(methods, model, module, exp, args.preprocess, progress=not args.quiet)
    name = os.path.basename(args.image)
    title = name if args.reference is None else f"{name} vs {os.path.basename(args.reference)}"
    meta = {"command": shlex.join(["minplus", *args.argv]), "image": args.image,
            "reference": args.reference or "", "model": args.model,
            "decision": args.decision or type(decision).__name__, "regions": args.regions,
            "baseline": args.baseline, "mode": args.mode, "methods": ",".join(methods)}
    report = os.path.abspath(os.path.join(args.out, "report.html"))
    write_report(report, exp, saliency_maps=maps, meta=meta, titles=[title], files=True)
    if not args.quiet:
        print(exp.summary())
    print(f"report: {report}")
    return EXIT_OK


# ---- bench ------------------------------------------------------------------------------------

def add_bench(subparsers, common) -> None:
    p = subparsers.add_parser(
        "bench", parents=[common], help="run the comparison benchmarks and print the table",
        description="Run the repository's benchmarks/compare.py (core throughput as ratios "
                    "measured in one run) with this minplus, and print its table. The "
                    "benchmarks live in the source checkout, not in the installed package: "
                    "run from the checkout or give --repo.")
    p.add_argument("--repo", metavar="DIR", help="source checkout holding benchmarks/compare.py "
                   "(default: the checkout minplus was imported from, else the current folder "
                   "or a parent)")
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--batch", type=int, help="masks per rendered batch (compare.py's default)")
    p.set_defaults(func=run_bench_command)


def find_benchmarks(repo: str | None = None) -> Path:
    """The source checkout whose benchmarks/compare.py ``minplus bench`` runs."""
    if repo is not None:
        candidates = [Path(repo)]
    else:
        here = Path(__file__).resolve().parents[2]  # python/minplus/cli.py in a checkout
        cwd = Path.cwd().resolve()
        candidates = [here, cwd, *cwd.parents]
    for root in candidates:
        if (root / "benchmarks" / "compare.py").is_file():
            return root
    where = repo if repo is not None else "this installation, the current folder or its parents"
    raise MissingError(f"no benchmarks/compare.py in {where}: minplus bench runs the benchmarks "
                       "of a source checkout (git clone the repository, then run it there or "
                       "pass --repo DIR)")


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
    for add in (add_demo, add_explain, add_bench):
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
