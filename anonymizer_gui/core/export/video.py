"""Export: the project's masks burnt into a new video, plus its audit report.

    export_video(project, "out.mp4") -> ExportResult

Before any work: the project must fit its video (no keyframe past the last frame), and the video
must be the one the project was made from (same size, frame count, dimensions and SHA-256;
a mismatch is refused, since masks on another cut of a video would hide the wrong places).
First of all check_export: the output must not be the input, by any path, its folder must exist and
be writable, and its suffix and encoder settings must be valid.

Fail closed: every frame from a track's first to its last keyframe is masked unless a keyframe
says `outside` (interpolate.masks_at). The output keeps the exact frame count, every frame's
time stamp, the display rotation and all audio; see streams.py for the container, codec,
stream and metadata decisions. Written to a hidden temporary file beside the target and renamed
into place only when complete and verified (frame count of the written file), together with the
report; on cancel, error or a full disk the temporary files are removed and nothing else changes.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import av
import cv2

from ..foundation import ExportError, MediaError, check_output
from .pipeline import Transcoder
from .streams import (add_other_streams, add_video_stream, apply_metadata, container_options,
                             plan_output)
from ..project import MaskSchedule, masks_at
from ..foundation import CancelFn, ProgressFn, ProgressMeter
from ..media import STILL_SUFFIXES, FrameReader, MediaInfo, probe
from ..media import open_input
from ..project import ExportSettings, Project
from ..render import Mask, render_bgr, shape_to_coded
from ..foundation import file_sha256
from ..project import audio_edits
from .audio_streams import AudioEdits
from .hardware_encoder import HardwareEncoderUnavailable, on_the_cpu, open_or_explain
from .preflight import check_export
from .report import (analysis_state, audio_entries, build_report, exemption_rows, exemptions_csv, exemptions_path,
                     report_bytes, unreviewed_tracks, unreviewed_warning)
from .safe_output import TempFile, write_error


OutputCheck = Callable[[Path, MediaInfo], dict]


@dataclass
class ExportResult:
    output: Path
    report_path: Path
    report: dict
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    exemptions_path: Path | None = None  # <output>.exemptions.csv


def export_video(project: Project, output: str | os.PathLike, settings: ExportSettings | None = None,
                 progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                 report_path: str | os.PathLike | None = None, *, force: bool = True,
                 reads: list[tuple[str, str | os.PathLike]] = (), allow_incomplete: bool = False,
                 check: OutputCheck | None = None,
                 masks_source: Callable[[int], list[Mask]] | None = None) -> ExportResult:
    """Write `project`'s video with every mask burnt in to `output`, and its audit report.

    check_export runs first, before the video is even probed. `force` (default True: the editor
    has asked already) lets an existing output and report be replaced, atomically; the CLI passes
    its --force. `reads`: other files the caller read (the project file), never written over.
    allow_incomplete: export even though the analysis was cancelled or stopped short (frames it
    never read may show faces); the report says so. Without it such a project is refused.
    check: called with the written file (still under its temporary name) and its MediaInfo
    before anything is renamed into place; what it returns is the report's "verify" entry
    (the leak check of core/verify, injected so that export stays below it).
    masks_source: a frame's masks (display pixels) by index, instead of the project's tracks: for
    `redact`'s pipeline, which learns the tracks while the export runs. It is called in frame order
    on the decoding thread and may block until the frame's masks are known; by the time the last
    frame's masks are returned, `project` must hold the final tracks and analysis (the report and
    `check` read them).
    """
    started = time.monotonic()
    settings = settings or project.export
    project.check_frames()
    unreviewed = unreviewed_tracks(project)
    if settings.require_review and unreviewed:
        raise ExportError(f"{unreviewed_warning(project)}; review them first (the export requires a review "
                          "of every track)")
    media = Path(project.media.path)
    out, report_at = check_export(media, output, settings, report_path, reads=reads, force=force)
    info = probe(media)
    _check_tracks_fit(project, info)
    audio_edits.check_streams(project.audio_ranges, len(info.audio))
    exemptions_at = check_output(exemptions_path(out), "exemption log", reads=[("input video", media), *reads],
                                 writes=[("output", out), ("report", report_at)], force=force, error=ExportError)
    state = analysis_state(project, info.frame_count)
    incomplete_warning = _check_complete(state, allow_incomplete)
    meter = ProgressMeter("export", info.frame_count, progress, cancel)
    warnings: list[str] = [w for w in (incomplete_warning, unreviewed_warning(project)) if w]
    t0 = time.monotonic()
    input_sha = _check_same_media(project, info, media, warnings, meter)
    timings = {"verify_input_s": round(time.monotonic() - t0, 3)}
    if info.is_still:
        job = _export_still(project, info, out, meter, timings)
    else:
        job = _export_movie(project, info, out, settings, meter, timings, masks_source)
    with job["temp"] as tmp:
        t0 = time.monotonic()
        output_sha = file_sha256(tmp.path, cancel=meter.is_cancelled)
        out_info = _verify_output(tmp.path, out, info)
        timings["verify_output_s"] = round(time.monotonic() - t0, 3)
        verdict = None
        if check is not None:
            t0 = time.monotonic()
            verdict = check(tmp.path, out_info)
            timings["leak_check_s"] = round(time.monotonic() - t0, 3)
        timings["total_s"] = round(time.monotonic() - started, 3)
        warnings += job["warnings"]
        report = build_report(
            project=project, input_info=info, input_size=media.stat().st_size, input_sha256=input_sha,
            output=out, output_info=out_info, output_size=tmp.path.stat().st_size, output_sha256=output_sha,
            settings=settings, encoding=job["encoding"], streams=job["streams"],
            metadata_stripped=job["stripped"], metadata_kept=job["kept"], notices=job["notices"],
            warnings=warnings, timings=timings, audio=audio_entries(project, len(info.audio)))
        report["analysis"]["exported_incomplete"] = not state["complete"]
        if verdict is not None:
            report["verify"] = verdict
        rows = exemption_rows(project, info)
        with TempFile(report_at) as report_tmp, TempFile(exemptions_at) as csv_tmp:
            report_tmp.write_bytes(report_bytes(report))
            csv_tmp.write_bytes(exemptions_csv(rows))
            meter.check_cancel()
            # Renames back to back: the video never appears without its report and exemption log.
            tmp.commit()
            report_tmp.commit()
            csv_tmp.commit()
    meter.advance(0, force=True)
    return ExportResult(out, report_at, report, warnings, job["notices"], exemptions_at)


# -- checks ---------------------------------------------------------------------------------------
def _check_complete(state: dict, allow_incomplete: bool) -> str | None:
    """Refuse a cancelled or partial analysis unless allowed; the warning the report carries if allowed."""
    if state["complete"]:
        return None
    done, total = state["frames_analyzed"], state["frame_count"]
    what = "was cancelled" if state["cancelled"] else "stopped short"
    seen = f" after {done} of {total} frames" if isinstance(done, int) else ""
    if not allow_incomplete:
        raise ExportError(f"the analysis of this project {what}{seen}: faces on the frames it never read "
                          "would go out unmasked. Analyse the video again, or export anyway with "
                          "--allow-incomplete (the report will say so)")
    return f"exported an incomplete analysis: it {what}{seen}; later frames were never searched"


def _check_tracks_fit(project: Project, info: MediaInfo) -> None:
    """check_frames() against the video itself, for projects that do not record a frame count."""
    if project.media.frame_count <= 0:
        media = dataclasses.replace(project.media, frame_count=info.frame_count)
        dataclasses.replace(project, media=media).check_frames()


def _check_same_media(project: Project, info: MediaInfo, media: Path, warnings: list[str],
                      meter: ProgressMeter) -> str:
    """The input's SHA-256, after refusing a video that is not the project's."""
    ref = project.media
    name = media.name
    size = media.stat().st_size
    if ref.size and ref.size != size:
        raise ExportError(f"{name} is not the video this project was made from: it has {size} bytes, "
                          f"the project expects {ref.size}")
    if ref.frame_count and ref.frame_count != info.frame_count:
        raise ExportError(f"{name} has {info.frame_count} frames but the project expects {ref.frame_count}; "
                          "it is not the video this project was made from")
    if ref.width and ref.height and (ref.width, ref.height) != (info.width, info.height):
        raise ExportError(f"{name} is {info.width}x{info.height} but the project expects "
                          f"{ref.width}x{ref.height}; it is not the video this project was made from")
    sha = file_sha256(media, cancel=meter.is_cancelled)
    if ref.sha256 and ref.sha256.lower() != sha:
        raise ExportError(f"{name} is not the video this project was made from (its SHA-256 differs); "
                          "masks would land in the wrong places")
    if not ref.sha256:
        warnings.append("the project records no SHA-256 of its video, so the input could not be verified")
    return sha


def _verify_output(path: Path, out: Path, info: MediaInfo) -> MediaInfo:
    """Probe what was written; refuse to deliver a file that lost frames."""
    try:
        written = probe(path)
    except MediaError as exc:
        raise ExportError(f"the exported file cannot be read back ({exc}); nothing was written") from None
    if written.frame_count != info.frame_count:
        raise ExportError(f"the exported file has {written.frame_count} frames instead of {info.frame_count}; "
                          "nothing was written")
    return dataclasses.replace(written, path=str(out))


def _masks_for(project: Project, info: MediaInfo, coded: bool,
               source: Callable[[int], list[Mask]] | None = None) -> Callable[[int], list[Mask]]:
    if source is None:
        schedule = MaskSchedule(project)
        source = lambda index: [(shape, style) for _, shape, style in schedule(index)]  # noqa: E731

    def masks(index: int) -> list[Mask]:
        found = source(index)
        if not coded or not info.rotation:
            return found
        return [(shape_to_coded(shape, info.rotation, info.coded_width, info.coded_height), style)
                for shape, style in found]

    return masks


# -- a video --------------------------------------------------------------------------------------
def _export_movie(project: Project, info: MediaInfo, out: Path, settings: ExportSettings,
                  meter: ProgressMeter, timings: dict, masks_source=None) -> dict:
    plan = plan_output(info, out, settings)
    try:
        return _write_movie(project, info, out, settings, plan, meter, timings, masks_source)
    except HardwareEncoderUnavailable as exc:  # found before any frame was read: start again on the CPU
        plan = plan_output(info, out, settings, hardware=False)
        plan.notices.append(on_the_cpu(settings.hardware_encoder, plan.video.codec, str(exc)))
        return _write_movie(project, info, out, settings, plan, meter, timings, masks_source)


def _write_movie(project: Project, info: MediaInfo, out: Path, settings: ExportSettings, plan,
                 meter: ProgressMeter, timings: dict, masks_source=None) -> dict:
    tmp = TempFile(out)
    try:
        with open_input(info.path) as inp:
            options = container_options(plan, settings, inp)
            try:
                container = av.open(str(tmp.path), "w", format=plan.format_name, options=options)
            except OSError as exc:
                raise write_error(exc, out) from None
            with container as output:
                video_out = add_video_stream(output, plan, info, inp.streams[info.video_stream_index])
                if plan.video.hardware:
                    open_or_explain(video_out)
                pts_offset = -info.pts[0] if plan.format_name == "avi" else 0
                # Audio ranges count from the first frame as the OUTPUT shows it: AVI restarts the
                # video's clock at 0 (pts_offset) while the audio keeps its own.
                origin = info.start_time + float(pts_offset * info.time_base)
                audio = AudioEdits(list(project.audio_ranges), project.remove_audio, info.path, origin)
                kept = add_other_streams(output, inp, plan, info, settings, audio)
                stripped, kept_keys = apply_metadata(output, inp, info, settings, kept, video_out)
                t0 = time.monotonic()
                stats = Transcoder(inp, output, info, video_out, kept,
                                   plan.video.pix_fmt if plan.video.convert_from else None,
                                   _masks_for(project, info, coded=True, source=masks_source), meter,
                                   pts_offset=pts_offset, audio_processors=audio.processors,
                                   audio_origin_s=origin).run()
            timings.update(encode_s=round(time.monotonic() - t0, 3), render_s=round(stats.render_s, 3),
                           render_cpu_s=round(stats.render_cpu_s, 3),
                           fps=round(stats.frames_written / max(stats.wall_s, 1e-9), 2))
    except BaseException as exc:
        tmp.discard()
        if isinstance(exc, OSError):  # FFmpeg's I/O errors are OSErrors too, with their errno
            raise write_error(exc, out) from None
        if isinstance(exc, av.FFmpegError):
            raise ExportError(f"the export to {out.name} failed: {exc.strerror or exc}") from None
        raise
    if stats.frames_resized:
        plan.warnings.append(f"{stats.frames_resized} frames are stored at another size than the first; they were "
                             f"scaled to {info.coded_width}x{info.coded_height}, the video's size where it starts")
    encoding = {"codec": plan.video.codec, "hardware": plan.video.hardware, "container": plan.format_name,
                "pix_fmt": plan.video.pix_fmt,
                "converted_from": plan.video.convert_from, "encoder_options": dict(plan.video.options),
                "frames_masked": stats.frames_masked, "masks_drawn": stats.masks_drawn}
    return {"temp": tmp, "encoding": encoding, "streams": [d.to_json() for d in plan.streams],
            "stripped": stripped, "kept": kept_keys, "notices": plan.notices, "warnings": plan.warnings}


# -- a still image --------------------------------------------------------------------------------
def _export_still(project: Project, info: MediaInfo, out: Path, meter: ProgressMeter, timings: dict) -> dict:
    suffix = out.suffix.lower()
    if suffix not in STILL_SUFFIXES:
        raise ExportError(f"the input is a still image; name the output with one of {', '.join(STILL_SUFFIXES)}")
    t0 = time.monotonic()
    with FrameReader(info.path, info) as reader:
        image = render_bgr(reader.read(0), _masks_for(project, info, coded=False)(0))
    # Fixed encoder settings: the same masks on the same image give the same bytes (batch re-runs).
    params = {".jpg": [cv2.IMWRITE_JPEG_QUALITY, 95], ".jpeg": [cv2.IMWRITE_JPEG_QUALITY, 95],
              ".webp": [cv2.IMWRITE_WEBP_QUALITY, 95]}.get(suffix, [])
    ok, data = cv2.imencode(suffix, image, params)
    if not ok:
        raise ExportError(f"cannot encode {out.name}")
    tmp = TempFile(out)
    try:
        tmp.write_bytes(data.tobytes())
    except BaseException:
        tmp.discard()
        raise
    meter.advance()
    timings["encode_s"] = round(time.monotonic() - t0, 3)
    encoding = {"codec": {".png": "png", ".webp": "webp"}.get(suffix, "mjpeg"), "container": suffix[1:],
                "pix_fmt": "bgr24", "converted_from": None, "encoder_options": {},
                "frames_masked": 1 if masks_at(project, 0) else 0, "masks_drawn": len(masks_at(project, 0))}
    # A re-encoded image carries no EXIF: orientation is applied, location and device are gone.
    return {"temp": tmp, "encoding": encoding, "streams": [], "stripped": [], "kept": [],
            "notices": ["the image is written upright without EXIF data"], "warnings": []}
