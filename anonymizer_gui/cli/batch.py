"""`anonymizer-gui batch INPUT_DIR -o OUTPUT_DIR`: every video and image of a folder redacted like
`redact` does it, on a pool of workers (or Ray tasks), resumable, with a manifest.json.

Exit 0 when every file is done (or was already), 1 when any failed (each named in the summary).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .analyze import _add_analysis_options, _ctrl_c_cancels, _positive_int, settings_from
from . import add_hardware_encoder
from .progress import BatchProgress
from ..core.foundation import AnonymizerError
from ..core.project import STYLE_KINDS, ExportSettings, MaskStyle

PARAMETER_OPTIONS = ("classes", "threshold", "device", "detect_every", "full_every", "reduced_size", "close_look", "style", "codec", "crf", "preset",
                     "hardware_encoder", "keep_metadata")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="redact every video and image in a folder (resumable, with a manifest)",
        description="Redact every video and image (JPEG, PNG, WebP) under INPUT_DIR into OUTPUT_DIR, mirroring "
                    "its folders, each with its audit report. A broken file is reported and skipped. A second "
                    "run skips files whose outputs still match OUTPUT_DIR/manifest.json; --manifest re-runs "
                    "with the exact parameters of an earlier manifest.")
    p.add_argument("input", metavar="INPUT_DIR", nargs="?",
                   help="folder to redact (default with --manifest: the folder it records)")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT_DIR", help="folder for the results")
    p.add_argument("--style", choices=STYLE_KINDS, default="blur", help="how masks look (default: blur)")
    p.add_argument("--codec", default=None, help="video encoder (default: by container, libx264 for .mp4)")
    p.add_argument("--crf", type=int, default=18, help="constant rate factor for videos (default 18)")
    p.add_argument("--preset", default="medium", help="encoder speed preset (default medium)")
    add_hardware_encoder(p, "auto")
    p.add_argument("--keep-metadata", action="store_true", help="keep container and stream tags")
    _add_analysis_options(p)
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="worker processes (default: one per two cores, at most 8)")
    p.add_argument("--force", action="store_true",
                   help="replace outputs that exist but were not written by a batch into OUTPUT_DIR")
    p.add_argument("--manifest", metavar="OLD.json", help="re-run with exactly the parameters of this manifest")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run one Ray task per file: on a local Ray started for the run, or on the cluster "
                        "at ADDRESS (needs `pip install anonymizer-gui[cluster]`)")
    p.set_defaults(func=run, _parser=p)


def params_from(args: argparse.Namespace):
    from ..core.batch import RedactParams, read_manifest

    if args.manifest:
        given = [f"--{name.replace('_', '-')}" for name in PARAMETER_OPTIONS
                 if getattr(args, name) != args._parser.get_default(name)]
        if given:
            raise AnonymizerError(f"--manifest fixes every parameter; drop {', '.join(given)}")
        old = read_manifest(Path(args.manifest))
        return RedactParams.from_json(old["parameters"]), old
    export = ExportSettings(codec=args.codec, crf=args.crf, preset=args.preset, keep_metadata=args.keep_metadata,
                            hardware_encoder=args.hardware_encoder)
    return RedactParams(analysis=settings_from(args), style=MaskStyle(kind=args.style), export=export), None


def backend_from(args: argparse.Namespace):
    from ..core.batch import ProcessBackend

    if args.ray is not None:
        from ..core.batch import RayBackend

        return RayBackend(None if args.ray == "local" else args.ray, workers=args.workers)
    return ProcessBackend(args.workers)


def run(args: argparse.Namespace) -> int:
    from ..core.batch import run_batch

    params, old = params_from(args)
    source = args.input or (old or {}).get("input_dir")
    if not source:
        raise AnonymizerError("name the INPUT_DIR to redact")
    backend = backend_from(args)
    with BatchProgress(enabled=not args.quiet) as bar, _ctrl_c_cancels() as cancelled:
        summary = run_batch(source, args.output, params, backend=backend, events=bar, cancel=cancelled.is_set,
                            force=args.force)
    parts = [f"{len(summary.done)} redacted"]
    if summary.skipped:
        parts.append(f"{len(summary.skipped)} already done")
    if summary.failed:
        parts.append(f"{len(summary.failed)} failed")
    if summary.ignored:
        parts.append(f"{len(summary.ignored)} other files left alone")
    print(f"{', '.join(parts)} in {summary.seconds:.1f} s; manifest: {summary.manifest_path}")
    for rel, reason in summary.failed.items():
        print(f"failed: {rel}: {reason}", file=sys.stderr)
    return 1 if summary.failed else 0
