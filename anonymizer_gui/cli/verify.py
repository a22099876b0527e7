"""`anonymizer-gui verify PROJECT.json OUTPUT [--json]`: prove that an export hides what its project says.

Exit status: 0 no leak and no possible leak, 3 any leak or possible leak, 1 a problem with the input.
`export` and `redact` run the same check at the end unless `--no-verify` (see `export_check`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .progress import TerminalProgress
from ..core.foundation import AnonymizerError
from ..core.project import load_project


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "verify", help="check an exported file against its project and source: leaks and possible leaks",
        description="Compare an exported file with the project's source video frame by frame: inside every "
                    "enabled mask the source's fine detail must be gone (else: leak); outside the masks the "
                    "detectors run at a higher sensitivity than the analysis (a face or plate there that "
                    "still carries the source's detail: possible leak). Tracks switched off are listed as "
                    "visible by decision. Exit status 0: clean; 3: leaks; 1: a problem with the input.")
    p.add_argument("project", metavar="PROJECT.json", help="the project the file was exported from")
    p.add_argument("output", metavar="OUTPUT", help="the exported video or image")
    add_verify_options(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def add_verify_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--verify-detect-every", type=int, default=None, metavar="K",
                   help="run the outside check's detectors on every K-th frame (default: once a second)")
    p.add_argument("--verify-device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the outside check's detectors run (default: auto)")


def run(args: argparse.Namespace) -> int:
    from ..core.verify import verify_export

    project = load_project(args.project)
    if not Path(args.output).exists():
        raise AnonymizerError(f"{args.output} does not exist")
    with TerminalProgress(enabled=not args.quiet) as bar:
        result = verify_export(project, Path(args.output), detect_every=args.verify_detect_every,
                               device=args.verify_device, progress=bar)
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
    print(result.verdict(), file=sys.stderr if args.json else sys.stdout)
    return result.exit_code


class ExportCheck:
    """The `check` callback export_video runs on the written file before it is put in place; it
    remembers the result for the exit status and the verdict line."""

    def __init__(self, project, args: argparse.Namespace, detectors=None, progress=None):
        self.project, self.args, self.detectors, self.progress = project, args, detectors, progress
        self.result = None
        self.error: str | None = None
        self._loading = None
        if detectors is None and project is not None:  # loaded while the export encodes
            from ..core.verify import preload_verify_detectors

            self._loading = preload_verify_detectors(project, args.verify_device)

    def __call__(self, path: Path, info, project=None) -> dict:
        """`project`: the one exported, when it was not known up front (redact analyses first)."""
        from ..core.verify import verify_export

        try:
            detectors = self.detectors if self._loading is None else self._loading.result()
            self.result = verify_export(project or self.project, path, detectors=detectors, check_source=False,
                                        output_info=info, detect_every=self.args.verify_detect_every,
                                        device=self.args.verify_device, progress=self.progress)
        except AnonymizerError as exc:  # e.g. no detector weights: the file is written, but unproven
            self.error = str(exc)
            return {"verdict": "not_run", "error": self.error}
        return self.result.to_json()

    def finish(self) -> int:
        """Print the one-line verdict; the exit status it calls for."""
        if self.error is not None:
            print(f"verify: not run ({self.error}); the export is unproven: fix this and run "
                  "`anonymizer-gui verify`", file=sys.stderr)
            return 1
        print(self.result.verdict())
        return self.result.exit_code
