"""Command line: the GUI launcher and the headless subcommands.

Each subcommand lives in its own module `cli/<name>.py` exposing `add_parser(subparsers)`;
the parser it adds sets `func=run(args) -> int`.
Exit codes: 0 success, 1 a user error (one line, no traceback), 2 an internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from .. import __version__
from ..core.foundation import AnonymizerError, Cancelled

SUBCOMMAND_MODULES = ("probe", "export", "analyze", "models")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anonymizer-gui",
        description="Review-and-redact video editor. Without a subcommand, opens the editor.",
        epilog="editor: anonymizer-gui [FILE] [--demo] [--reset-settings]  (FILE: a video, still or "
               "project .json)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"anonymizer_gui.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in _subcommand_names():
        return _run_gui(argv)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AnonymizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Cancelled:
        print("cancelled", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `probe --json | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except Exception:  # noqa: BLE001 - last line of defence: report, do not crash silently
        traceback.print_exc()
        print("internal error: please report this with the trace above", file=sys.stderr)
        return 2


def _subcommand_names() -> set[str]:
    return {"probe", "export", "analyze", "redact", "models", "-h", "--help", "--version"}


def _run_gui(argv: list[str]) -> int:
    from ..ui.app.launch import launch_gui  # Qt is imported only when the GUI is asked for

    return launch_gui(argv)
