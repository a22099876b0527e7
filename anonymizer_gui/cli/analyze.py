"""`anonymizer-gui analyze` (video -> project) and `anonymizer-gui redact` (video -> redacted video, one step).

Both print which device runs the detectors and why, show a progress bar on stderr, and exit 0 on
success, 1 on a user error or cancel (Ctrl-C), 2 on an internal error (see cli.py). Every setting and
every output path is checked before the models load (an existing file only with --force).
Ctrl-C during `analyze` stops after the current batch and still writes the project with the tracks
found so far (marked cancelled); a second Ctrl-C aborts at once.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from .progress import TerminalProgress
from .verify import ExportCheck, add_verify_options
from ..core.analysis import CLOSE_LOOK_MODES, AnalysisCancelled, AnalysisSettings, analyze, load_detectors
from . import add_force, add_hardware_encoder
from ..core.detect import resolve_spec
from ..core.foundation import AnonymizerError, MediaError, check_output
from ..core.project import STYLE_KINDS, ExportSettings, MaskStyle, Project
from ..core.project import save_project

FULL_EVERY, REDUCED_SIZE = AnalysisSettings.full_every, AnalysisSettings.reduced_size

DEVICES = ("auto", "cpu", "cuda")
PROJECT_SUFFIXES = (".json",)


def add_parser(subparsers) -> None:
    analyze_parser = subparsers.add_parser(
        "analyze", help="detect and track faces and plates; write a project to review",
        description="Detect faces and licence plates on every frame, link them into tracks and write a "
                    "project file that the editor opens for review (or `export` renders).")
    analyze_parser.add_argument("video", metavar="VIDEO", help="video or image file")
    analyze_parser.add_argument("-o", "--output", required=True, metavar="PROJECT.json", help="project file to write")
    _add_analysis_options(analyze_parser)
    add_force(analyze_parser)
    analyze_parser.set_defaults(func=run_analyze)

    redact = subparsers.add_parser(
        "redact", help="analyse and export in one step: VIDEO -> redacted video (or image)",
        description="Detect, track and mask faces and licence plates, then write the redacted file, keeping "
                    "the audio (or none with --remove-audio). For review before export, use `analyze` and the "
                    "editor instead.")
    redact.add_argument("video", metavar="VIDEO", help="video or image file")
    redact.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="redacted file to write (.mp4, .mov, .mkv, .webm; .jpg/.png for an image)")
    redact.add_argument("--style", choices=STYLE_KINDS, default="blur", help="how masks look (default: blur)")
    redact.add_argument("--remove-audio", action="store_true",
                        help="drop every audio stream from the output (the report says so)")
    redact.add_argument("--project", metavar="PROJECT.json",
                        help="also save the analysed project here (refused if the file exists, unless --force)")
    redact.add_argument("--no-verify", action="store_true",
                        help="skip the leak check of the written file (`anonymizer-gui verify`, run by default)")
    add_hardware_encoder(redact, "auto")
    add_verify_options(redact)
    _add_analysis_options(redact)
    add_force(redact)
    redact.set_defaults(func=run_redact)


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--classes", default="face,plate", metavar="LIST",
                        help="what to find, comma-separated (default: face,plate)")
    parser.add_argument("--threshold", metavar="T", default=None,
                        help="detector score that starts a track: one number for every class, or per class "
                             "as face=0.2,plate=0.4 (default: each model's own; lower finds more)")
    parser.add_argument("--device", choices=DEVICES, default="auto",
                        help="where the detectors run (default: auto, a GPU when one works)")
    parser.add_argument("--detect-every", type=_positive_int, default=1, metavar="K",
                        help="detect on every K-th frame only and track in between (faster, may miss "
                             "brief faces; default 1)")
    parser.add_argument("--full-every", type=_positive_int, default=FULL_EVERY, metavar="K",
                        help="multi-rate detection: the full-resolution pass on every K-th detected frame, "
                             "on the others a pass on the frame shrunk to --reduced-size, which finds the "
                             f"large and fast faces; the small ones are tracked in between (default {FULL_EVERY}; "
                             "1: the full pass on every frame)")
    parser.add_argument("--reduced-size", type=_positive_int, default=REDUCED_SIZE, metavar="PX",
                        help=f"longest side of the reduced pass in pixels (default {REDUCED_SIZE})")
    parser.add_argument("--close-look", choices=CLOSE_LOOK_MODES, default=AnalysisSettings.close_look,
                        help="weak face candidates that continue no known face are looked at again, cut out "
                             "and enlarged: 'verify' lets only the confirmed ones start a track (at night, "
                             "every one but those where nothing face-like shows), 'boost' only raises the "
                             f"confirmed ones, 'off' skips the look (default {AnalysisSettings.close_look})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def parse_classes(text: str) -> tuple[str, ...]:
    classes = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    if not classes:
        raise AnonymizerError("--classes is empty; give e.g. face,plate")
    return classes


def parse_thresholds(text: str | None, classes: tuple[str, ...]) -> dict[str, float]:
    if not text:
        return {}
    pairs = {}
    if "=" not in text:
        value = _threshold_value(text, "--threshold")
        return {c: value for c in classes}
    for part in text.split(","):
        label, sep, value = part.partition("=")
        label = label.strip()
        if not sep or not label:
            raise AnonymizerError(f"--threshold '{text}': write one number, or class=number pairs like face=0.2")
        if label not in classes:
            raise AnonymizerError(f"--threshold names '{label}', which is not in --classes ({', '.join(classes)})")
        pairs[label] = _threshold_value(value, f"--threshold {label}")
    return pairs


def _threshold_value(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AnonymizerError(f"{where}: '{text}' is not a number") from None
    if not 0.0 < value <= 1.0:
        raise AnonymizerError(f"{where}: {value} must lie between 0 and 1")
    return value


def settings_from(args: argparse.Namespace) -> AnalysisSettings:
    """The analysis settings, every one checked (classes against the model manifest) before any work."""
    classes = parse_classes(args.classes)
    for label in classes:
        resolve_spec(label)  # ModelError naming the known classes; reads the manifest only
    return AnalysisSettings(classes=classes, thresholds=parse_thresholds(args.threshold, classes),
                            device=args.device, detect_every=args.detect_every, full_every=args.full_every,
                            reduced_size=args.reduced_size, close_look=args.close_look)


def check_input(video: str) -> Path:
    path = Path(video)
    if not path.is_file():  # before loading models, so the message is about the file
        raise MediaError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
    return path


def run_analyze(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    video = check_input(args.video)
    output = check_output(args.output, "project", reads=[("input video", video)], suffixes=PROJECT_SUFFIXES,
                          force=args.force)
    _check_media(video)
    project = _analyse(args, settings, keep_partial_in=output)
    save_project(project, output)
    print(_summary(project) + f"; wrote {output}")
    return 0


def run_redact(args: argparse.Namespace) -> int:
    from ..core.batch import RedactParams, redact_file  # the encoder side loads only when needed
    from ..core.export import check_export

    settings = settings_from(args)
    video = check_input(args.video)
    project_path = None
    if args.project:
        project_path = check_output(args.project, "project", reads=[("input video", video)],
                                    suffixes=PROJECT_SUFFIXES, force=args.force)
    params = RedactParams(analysis=settings, style=MaskStyle(kind=args.style),
                          export=ExportSettings(hardware_encoder=args.hardware_encoder),
                          remove_audio=bool(args.remove_audio))
    check_export(video, args.output, params.export, writes=[("project", project_path)], force=args.force)
    _check_media(video)
    detectors = _load_detectors(settings)
    with TerminalProgress(enabled=not args.quiet) as bar, _ctrl_c_cancels() as cancelled:
        # The analysis' detectors serve the leak check too: their score floor is half the
        # threshold, the sensitivity verify asks for.
        check = None if args.no_verify else ExportCheck(None, args, detectors=detectors, progress=bar)
        done = redact_file(video, args.output, params, detectors=detectors, progress=bar, cancel=cancelled.is_set,
                           project_path=project_path, force=args.force, check=check)
    print(_summary(done.project) + (f"; project saved to {project_path}" if project_path else ""))
    for warning in done.export.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {done.export.output} and its report {done.export.report_path}")
    return 0 if check is None else check.finish()


def _check_media(video: Path) -> None:
    """MediaError for a file that cannot be read, before the models load (the analysis then reuses
    this probe's frame index)."""
    from ..core.media import probe

    probe(video)


def _load_detectors(settings: AnalysisSettings) -> dict:
    detectors = load_detectors(settings.classes, settings)
    for label, det in detectors.items():
        print(f"{label}: {det.name} on {det.provider.reason}", file=sys.stderr)
    return detectors


def _analyse(args: argparse.Namespace, settings: AnalysisSettings, keep_partial_in: Path | None) -> Project:
    detectors = _load_detectors(settings)
    with TerminalProgress(enabled=not args.quiet) as bar, _ctrl_c_cancels() as cancelled:
        try:
            return analyze(args.video, settings=settings, progress=bar, cancel=cancelled.is_set,
                           detectors=detectors)
        except AnalysisCancelled as stop:
            bar.close()
            if keep_partial_in is not None:
                save_project(stop.partial, keep_partial_in)
                done = stop.partial.analysis.get("frames_analyzed", 0)
                print(f"cancelled after {done} of {stop.partial.media.frame_count} frames; "
                      f"{_summary(stop.partial)}; wrote {keep_partial_in}", file=sys.stderr)
            raise


def _summary(project: Project) -> str:
    counts: dict[str, int] = {}
    for t in project.tracks:
        counts[t.label] = counts.get(t.label, 0) + 1
    found = ", ".join(f"{n} {label}{'' if n == 1 else 's'}" for label, n in counts.items()) or "nothing"
    review = sum(t.needs_review for t in project.tracks)
    fps = project.analysis.get("timings", {}).get("fps")
    return f"found {found}" + (f" ({review} to review)" if review else "") + (f" at {fps:.1f} fps" if fps else "")


@contextmanager
def _ctrl_c_cancels():
    """First Ctrl-C asks the job to stop cleanly; a second one interrupts at once."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def on_sigint(signum, frame):
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set()
        print("\nstopping after the current batch (Ctrl-C again to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
