"""The ``minplus run`` subcommand: ``add_run(subparsers, common)`` registers it in
:func:`minplus.cli.build_parser`; ``run_run_command(args)`` runs it.

``minplus run INPUT --model SPEC --out DIR`` explains every image of INPUT into the Parquet run
folder DIR (see :mod:`minplus.run`), resuming it when DIR holds a run of the same arguments.
Error rows do not fail the command: it exits 0 and says how many rows are errors. Arguments
that differ from the folder's run, or an input that cannot be listed, are usage errors (2).
"""

from __future__ import annotations


def add_run(subparsers, common) -> None:
    """Register ``run`` on ``subparsers`` (with the ``common`` --quiet/--debug parent)."""
    from ..baselines import BASELINES
    from ..cli_specs import PREPROCESS, SALIENCY_METHODS

    p = subparsers.add_parser(
        "run", parents=[common], help="explain a whole dataset into resumable Parquet",
        description="Explain every image of INPUT (a folder, a glob, a .txt list of paths, or "
                    "a .csv/.parquet table of paths or image bytes with metadata columns) into "
                    "DIR: one Parquet row per image, committed in parts. Run the same command "
                    "again after an interruption and it continues; other arguments into the "
                    "same DIR are refused. Failed images become error rows.")
    p.add_argument("input", metavar="INPUT", help="folder, glob, .txt list, .csv or .parquet")
    p.add_argument("--out", required=True, metavar="DIR", help="the run folder")
    p.add_argument("--model", required=True,
                   help="dlib-verify[:torch], age, gender, PATH.onnx, or module:factory "
                        "(as minplus explain takes it; loaded once per worker)")
    p.add_argument("--reference", metavar="IMAGE",
                   help="reference face for verification (file or sample:NAME)")
    p.add_argument("--decision", help="verify[:T[:euclidean|cosine]], class[:INDEX], "
                                      "threshold:T[:INDEX], regression:TOL[:INDEX]")
    p.add_argument("--regions", default="face68",
                   help="face68 (7 regions), fine (11), grid:RxC, slic:N (default face68)")
    p.add_argument("--face-box", default="detect", choices=("detect", "full", "auto"),
                   help="face regions: detect the face, or take the whole image as one "
                        "(already cropped faces), or fall back to it (default detect)")
    p.add_argument("--baseline", default="blur", choices=BASELINES,
                   help="what masked regions show (default blur)")
    p.add_argument("--mode", default="exact", choices=("exact", "minimal", "monotone", "greedy"),
                   help="search mode (default exact)")
    p.add_argument("--budget", type=int, help="most model queries per image")
    p.add_argument("--methods", default="",
                   help=f"comma-separated saliency methods: {', '.join(SALIENCY_METHODS)}")
    p.add_argument("--metrics", default="",
                   help="comma-separated metrics: deletion, insertion, robustness, and with "
                        "--point-at pointing, energy_pointing, relevance_mass")
    p.add_argument("--point-at", help="comma-separated region names for the localisation "
                                      "metrics")
    p.add_argument("--save-maps", action="store_true", help="keep pixel maps in the rows")
    p.add_argument("--preprocess", default="unit", choices=sorted(PREPROCESS),
                   help="input normalisation of ONNX/torch models (default unit: x/255)")
    p.add_argument("--engine", default="local", choices=("local", "ray"),
                   help="local (default: this machine, --workers processes) or ray")
    p.add_argument("--workers", type=int, help="processes (local) or actors (ray; default 2)")
    p.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--num-gpus", type=float, help="GPUs per Ray actor")
    p.add_argument("--part-rows", type=int, default=32, help="rows per committed part file")
    p.add_argument("--image-column", help="table inputs: the column of paths or image bytes")
    p.add_argument("--id-column", default="id", help="table inputs: the column of ids")
    p.set_defaults(func=run_run_command)


def run_run_command(args) -> int:
    """Run ``minplus run`` with the parsed ``args``; returns the exit status."""
    from ..cli_specs import SpecError, check_regions_spec
    from ..errors import ArgumentError
    from .errors import RunInputError, RunMismatchError

    check_regions_spec(args.regions)
    if args.model.startswith("dlib-verify") and args.reference is None:
        raise SpecError(f"--model {args.model} needs --reference IMAGE (the face to verify "
                        "against)")
    if args.budget is not None and args.budget < 1:
        raise SpecError(f"--budget must be >= 1, got {args.budget}")
    if args.workers is not None and args.workers < 1:
        raise SpecError(f"--workers must be >= 1, got {args.workers}")
    if args.part_rows < 1:
        raise SpecError(f"--part-rows must be >= 1, got {args.part_rows}")
    point_at = None if args.point_at is None else \
        [name.strip() for name in args.point_at.split(",") if name.strip()]
    try:
        done = _run(args, point_at)
    except (RunMismatchError, RunInputError, ArgumentError) as e:  # the command line's doing
        raise SpecError(str(e)) from e
    if not args.quiet:
        print(f"{done.written} rows written ({done.errors} errors), {done.skipped} already "
              f"done, {done.rows} in the run, in {done.seconds:.1f} s")
    print(f"run: {done.path}")
    return 0


def _run(args, point_at):
    """:func:`minplus.run.runner.run` with the command line's arguments."""
    from ..cli_specs import methods_from_spec
    from .runner import run

    return run(args.input, args.model, args.decision, out=args.out, reference=args.reference,
               regions=args.regions, face_box=args.face_box, baseline=args.baseline,
               mode=args.mode, budget=args.budget, methods=methods_from_spec(args.methods),
               metrics=args.metrics, point_at=point_at, save_maps=args.save_maps,
               preprocess=args.preprocess,
               engine=args.engine, workers=args.workers, address=args.address,
               num_gpus=args.num_gpus, part_rows=args.part_rows,
               image_column=args.image_column, id_column=args.id_column,
               progress=not args.quiet)
