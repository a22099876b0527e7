"""Command line: the GUI launcher and the headless subcommands.

Each subcommand lives in its own module `cli/<name>.py` exposing `add_parser(subparsers)`;
the parser it adds sets `func=run(args) -> int`.
Exit codes: 0 success, 1 a user error (one line, no traceback), 2 an internal error, 3 verify found
leaks (verify, and export/redact, which verify what they write).
A usage error (an unknown flag, `--detect-every 0`) is a user error too: one `error:` line, then the
usage hint, exit 1 (argparse's own default is 2, which the README reserves for internal errors).

Every subcommand that writes a file calls core.foundation.check_output (or core.export.check_export)
for it before any work, and takes `--force` to replace an existing output (FORCE_HELP).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from .. import __version__
from ..core.foundation import AnonymizerError, Cancelled

SUBCOMMAND_MODULES = ("probe", "export", "analyze", "verify", "models", "tracks", "batch", "serve")
USAGE_ERROR = 1
FORCE_HELP = "replace an existing output file (atomically; an input is never replaced)"


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the README's exit code for usage errors: 1, one `error:` line, the usage hint."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"error: {message}\n{self.format_usage()}"
                               f"(see `{self.prog} --help`)\n")


def add_force(parser: argparse.ArgumentParser) -> None:
    """The one `--force` flag of every subcommand that writes a file."""
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


HARDWARE_ENCODER_CHOICES = ("auto", "nvenc", "off")  # core.export.hardware_encoder.MODES, without importing PyAV


def add_hardware_encoder(parser: argparse.ArgumentParser, default: str | None) -> None:
    """`--hardware-encoder` of every subcommand that encodes video."""
    parser.add_argument("--hardware-encoder", choices=HARDWARE_ENCODER_CHOICES, default=default,
                        help="auto: the GPU's encoder (NVENC) in place of x264/x265 where it works on this "
                             "machine, else the CPU's; nvenc: the GPU's or an error; off: the CPU's"
                             + (f" (default {default})" if default else " (default: the project's, auto)"))


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="anonymizer-gui",
        description="Review-and-redact video editor. Without a subcommand, opens the editor.",
        epilog="editor: anonymizer-gui [FILE] [--demo] [--reset-settings]  (FILE: a video, still or "
               "project .json)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"anonymizer_gui.cli.{name}").add_parser(sub)
    parser.subcommands = sub.choices
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in _subcommand_names():
        try:
            return _run_gui(argv)
        except SystemExit as stop:  # the editor's own --help (0) or a usage error (1), already printed
            return stop.code if isinstance(stop.code, int) else USAGE_ERROR
    try:
        parser = build_parser()
        args, extras = parser.parse_known_args(argv)
        if extras:  # argparse would blame the top-level parser; the hint belongs to the subcommand
            parser.subcommands[args.command].error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as stop:  # --help, --version (0) or a usage error (1), already printed
        return stop.code if isinstance(stop.code, int) else USAGE_ERROR
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
    return {"probe", "export", "analyze", "redact", "verify", "models", "tracks", "batch", "serve", "-h", "--help", "--version"}


def _run_gui(argv: list[str]) -> int:
    from ..ui.app.launch import launch_gui  # Qt is imported only when the GUI is asked for

    return launch_gui(argv)
