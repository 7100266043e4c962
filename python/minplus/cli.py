"""The ``minplus`` command. Subcommands: ``demo``.

Each subcommand is one ``add_<name>(subparsers)`` that registers its arguments and sets
``func`` to the function run with the parsed namespace.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_demo(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="explain a face-verification match and non-match on sample photos",
        description="Explain why dlib's face verifier matches Grace Hopper with a shifted copy "
                    "of herself and not with the astronaut Eileen Collins: the smallest sets of "
                    "face regions that keep each decision (Min+) and that break it (Min-). "
                    "Writes figures and JSON (layout: see minplus.demo).")
    p.add_argument("--out", default="minplus-demo",
                   help="output folder (default: ./minplus-demo)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summaries")
    p.set_defaults(func=run_demo_command)


def run_demo_command(args) -> int:
    from .demo import run_demo

    results = run_demo(args.out, progress=not args.quiet)
    where = os.path.abspath(args.out)
    if not args.quiet:
        for name, e in results.items():
            print(f"{name}: {e.summary()}\n")
    print(f"wrote {where}/summary.txt and, per case, result.json + PNGs in "
          f"{where}/match and {where}/non_match")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minplus", description="Exact Min+/Min- region explanations of face and vision "
                                    "models.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_demo(subparsers)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``minplus`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
