"""`anonymizer-gui tracks export|import`: a project's tracks to and from CVAT (video 1.1 XML) and
MOTChallenge CSV, so boxes can be corrected in CVAT and brought back."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import add_force
from ..core.foundation import AnonymizerError, ProjectFormatError, check_output, write_bytes_atomic
from ..core.project import TRACK_FORMATS as FORMATS
from ..core.project import load_project, read_tracks, save_project, write_tracks

MAX_IMPORT_BYTES = 512 * 1024 * 1024


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("tracks", help="export or import a project's tracks (CVAT XML, MOT CSV)",
                              description="Exchange tracks with CVAT (CVAT for video 1.1 XML) and MOT tools.")
    sub = p.add_subparsers(dest="tracks_command", metavar="ACTION", required=True)
    ex = sub.add_parser("export", help="write the project's tracks to a CVAT or MOT file",
                        description="Write every track as per-frame boxes: CVAT for video 1.1 XML (with "
                                    "keyframe, outside and occluded flags) or MOTChallenge CSV.")
    ex.add_argument("project", metavar="PROJECT.json")
    ex.add_argument("-f", "--format", choices=FORMATS, required=True, help="cvat (XML) or mot (CSV)")
    ex.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    add_force(ex)
    ex.set_defaults(func=run_export)
    im = sub.add_parser("import", help="replace the project's tracks with those of a CVAT or MOT file",
                        description="Replace the project's tracks with those in FILE (a CVAT for video 1.1 "
                                    "XML or a MOTChallenge CSV). Imported tracks are enabled and use the "
                                    "project's default style. The project file is rewritten atomically.")
    im.add_argument("project", metavar="PROJECT.json")
    im.add_argument("file", metavar="FILE", help="CVAT .xml or MOT .txt/.csv")
    im.add_argument("-f", "--format", choices=FORMATS, default=None, help="default: from the file's content")
    im.add_argument("--label", default="face", help="label for MOT tracks, which carry none (default face)")
    im.add_argument("-o", "--output", metavar="OUT.json", help="write the result here instead of PROJECT.json")
    add_force(im)
    im.set_defaults(func=run_import)


def run_export(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    out = check_output(args.output, "track file", force=args.force,
                       reads=[("project file", args.project), ("project's video", project.media.path)])
    write_bytes_atomic(out, write_tracks(project, args.format))
    keyframes = sum(len(t.keyframes) for t in project.tracks)
    print(f"wrote {len(project.tracks)} tracks ({keyframes} keyframes) to {out}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    source = Path(args.file)
    if not source.is_file():
        raise AnonymizerError(f"{source} does not exist" if not source.exists() else f"{source} is not a file")
    if source.stat().st_size > MAX_IMPORT_BYTES:
        raise ProjectFormatError(f"{source.name} is larger than {MAX_IMPORT_BYTES >> 20} MiB")
    out = Path(args.project)  # rewritten in place (atomically) unless -o names another file
    if args.output:
        out = check_output(args.output, "project", suffixes=(".json",), force=args.force,
                           reads=[("track file", source), ("project's video", project.media.path)])
    # read_tracks refuses a file with no tracks, and save_project one that could not be loaded again,
    # so the project file is rewritten only with tracks that mask something
    tracks = read_tracks(source.read_bytes(), project, args.format, args.label)
    replaced, project.tracks = len(project.tracks), tracks
    save_project(project, out)
    keyframes = sum(len(t.keyframes) for t in project.tracks)
    print(f"imported {len(project.tracks)} tracks ({keyframes} keyframes) from {source.name}, replacing the "
          f"project's {replaced} tracks; wrote {out}")
    return 0
