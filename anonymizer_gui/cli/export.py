"""`anonymizer-gui export PROJECT.json -o OUT`: burn a project's masks into a new video."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from . import add_force, add_hardware_encoder
from .progress import TerminalProgress
from .verify import ExportCheck, add_verify_options
from ..core.project import load_project


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="write the video with every mask of a project burnt in, plus an audit report",
        description="Write the project's video with every mask burnt in. The input is never modified; "
                    "the output appears only when complete, with its audit report beside it "
                    "(OUT.audit.json). Metadata and subtitles are stripped unless asked to keep them.")
    p.add_argument("project", metavar="PROJECT.json", help="project file (from `analyze` or the editor)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output video: .mp4, .m4v, .mov, .mkv, .webm or .avi (.png/.jpg for a still image)")
    p.add_argument("--codec", help="video encoder (default: libx264; libvpx-vp9 for .webm, mpeg4 for .avi)")
    p.add_argument("--crf", type=int, help="constant rate factor, lower is better quality (default 18)")
    p.add_argument("--preset", help="encoder speed preset, ultrafast .. veryslow (default medium)")
    add_hardware_encoder(p, None)
    p.add_argument("--keep-metadata", action="store_true", default=None,
                   help="keep container and stream tags (location, device, creation time ...)")
    p.add_argument("--keep-subtitles", action="store_true", default=None,
                   help="copy subtitle streams where the container can hold them")
    p.add_argument("--remove-audio", action="store_true",
                   help="drop every audio stream, whatever the project's audio ranges say")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="export even though the analysis was cancelled or stopped short (frames it never "
                        "read may show faces; the report says so)")
    p.add_argument("--require-review", action="store_true", default=None,
                   help="refuse to export while any track is unreviewed (default: export with a warning)")
    p.add_argument("--report", metavar="PATH", help="where to write the audit report (default OUT.audit.json)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the leak check of the written file (`anonymizer-gui verify`, run by default)")
    add_verify_options(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.export import export_video  # checks every path and setting before any work

    project = load_project(args.project)
    if args.remove_audio:
        project.remove_audio = True
    overrides = {"codec": args.codec, "crf": args.crf, "preset": args.preset,
                 "keep_metadata": args.keep_metadata, "keep_subtitles": args.keep_subtitles,
                 "require_review": args.require_review, "hardware_encoder": args.hardware_encoder}
    settings = dataclasses.replace(project.export, **{k: v for k, v in overrides.items() if v is not None})
    reads = [("project file", Path(args.project))]
    with TerminalProgress(enabled=not args.quiet) as bar:
        check = None if args.no_verify else ExportCheck(project, args, progress=bar)
        result = export_video(project, Path(args.output), settings, progress=bar, report_path=args.report,
                              force=args.force, reads=reads, allow_incomplete=args.allow_incomplete,
                              check=check)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in result.notices:
        print(f"note: {line}", file=sys.stderr)
    frames = result.report["frames"]
    print(f"wrote {result.output} ({frames['total']} frames, {frames['with_mask']} with masks)")
    audio = result.report["audio"]
    if audio["removed"]:
        print("audio: every audio stream removed")
    elif audio["ranges"]:
        print(f"audio: {len(audio['ranges'])} range{'' if len(audio['ranges']) == 1 else 's'} muted, bleeped or "
              "disguised")
    print(f"audit report: {result.report_path}")
    print(f"exemption log: {result.exemptions_path}")
    return 0 if check is None else check.finish()
