"""``minplus report RUN [--compare RUN_B] [--by COLUMN]`` and ``minplus compare A B``."""

from __future__ import annotations

import json
import os


def add_report(subparsers, common) -> None:
    p = subparsers.add_parser(
        "report", parents=[common], help="write the dataset report of a run",
        description="Audit a dataset run (a minplus run folder): reliance per region with "
                    "intervals, canonical maps, group tests (--by), drift against another run "
                    "(--compare), surprising cases and a model card, as one self-contained "
                    "HTML page. Reads the run's rows; runs no model.")
    p.add_argument("run", metavar="RUN", help="the run folder (minplus run --out)")
    p.add_argument("--compare", metavar="RUN_B", help="a second run to report drift against")
    p.add_argument("--by", metavar="COLUMN", help="compare groups of a metadata column")
    p.add_argument("--out", metavar="FILE", help="where to write (default RUN/report.html)")
    p.set_defaults(func=run_report_command)


def run_report_command(args) -> int:
    from . import dataset_report

    path = args.out or os.path.join(args.run, "report.html")
    dataset_report(args.run, path=path, compare_to=args.compare, by=args.by)
    print(f"report: {os.path.abspath(path)}")
    return 0


def add_compare(subparsers, common) -> None:
    p = subparsers.add_parser(
        "compare", parents=[common], help="what drifted between two runs",
        description="Per region, the change in Min+/Min- frequency (two-proportion tests, "
                    "Holm-corrected), the shift of saliency region values (KS, Jensen-Shannon) "
                    "and the agreement of the global rankings (nDCG, Spearman), against "
                    "documented thresholds; prints a verdict (and --json the whole table).")
    p.add_argument("run_a", metavar="A")
    p.add_argument("run_b", metavar="B")
    p.add_argument("--json", action="store_true", help="print the drift table as JSON")
    p.set_defaults(func=run_compare_command)


def run_compare_command(args) -> int:
    from . import compare

    drift = compare(args.run_a, args.run_b)
    print(json.dumps(drift.to_dict(), indent=1) if args.json else drift.verdict())
    return 0
