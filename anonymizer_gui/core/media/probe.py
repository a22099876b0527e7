"""probe(): the facts of a media file, and the one place that turns bad input into MediaError."""

from __future__ import annotations

import os
import statistics
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ..foundation import MediaError
from .frame_index import Deadline, FrameIndex, build_frame_index, decode_frames, recall, remember
from .info import AudioStreamInfo, MediaInfo, StreamInfo
from .rotation import display_size, display_transform_of_frame, rotate_to_display

STILL_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
_STILL_CODECS = {".jpg": "mjpeg", ".jpeg": "mjpeg", ".png": "png", ".webp": "webp"}
# FFmpeg opens almost anything: a .txt file becomes ANSI art through the "tty" demuxer.
_NOT_VIDEO_FORMATS = {"tty"}
_NOT_VIDEO_CODECS = {"ansi", "bintext", "xbin", "idf"}
_ISO_BMFF_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
PROBE_TIME_LIMIT_S = 300.0
# Local files only: a playlist or concat list inside a "video" must not make FFmpeg fetch URLs
# (a tracking beacon, or a way to exfiltrate what is being redacted) or read devices and pipes.
INPUT_OPTIONS = {"protocol_whitelist": "file"}


def check_readable_file(path: str | os.PathLike) -> Path:
    """The path as a Path, or MediaError naming what is wrong with it."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise MediaError(f"File not found: {name}.")
    if p.is_dir():
        raise MediaError(f"{name} is a folder, not a media file.")
    if not p.is_file():
        raise MediaError(f"{name} is not a regular file.")
    if not os.access(p, os.R_OK):
        raise MediaError(f"Cannot read {name}: permission denied.")
    if p.stat().st_size == 0:
        raise MediaError(f"{name} is empty (0 bytes).")
    return p


def open_input(path: str | os.PathLike):
    """av.open() for reading, with every failure turned into one clear MediaError."""
    p = check_readable_file(path)
    name = str(path)
    try:
        container = av.open(str(p), "r", options=INPUT_OPTIONS)
    except PermissionError:
        raise MediaError(f"Cannot read {name}: permission denied.") from None
    except av.InvalidDataError:
        if _looks_like_iso_bmff(p):
            raise MediaError(f"{name} is not a complete video: its index (moov box) is missing, "
                             "as after an interrupted copy or download.") from None
        raise MediaError(f"{name} is not a video file that can be read (unknown or damaged format).") from None
    except av.FFmpegError as exc:
        raise MediaError(f"Cannot open {name}: {exc.strerror or exc}.") from None
    if container.format.name in _NOT_VIDEO_FORMATS:
        container.close()
        raise MediaError(f"{name} is not a video file that can be read (it looks like text).")
    return container


def video_stream_of(container, name: str):
    """The main video stream: the default one if marked, never cover art."""
    candidates = [s for s in container.streams.video
                  if not s.disposition & av.stream.Disposition.attached_pic]
    if not candidates:
        kinds = sorted({s.type for s in container.streams})
        held = f" (it holds only {', '.join(kinds)})" if kinds else ""
        raise MediaError(f"{name} has no video stream{held}.")
    default = [s for s in candidates if s.disposition & av.stream.Disposition.default]
    stream = (default or candidates)[0]
    if stream.codec_context is None or stream.codec_context.name in _NOT_VIDEO_CODECS:
        raise MediaError(f"{name} uses a video codec that this program cannot decode.")
    return stream


def probe(path: str | os.PathLike, *, time_limit: float = PROBE_TIME_LIMIT_S) -> MediaInfo:
    """Facts of a video or still image; MediaError with a clear message for bad input."""
    p = check_readable_file(path)
    if p.suffix.lower() in STILL_SUFFIXES:
        return _probe_still(p, str(path))
    name = str(path)
    try:
        return _probe_video(p, name, time_limit)
    except MediaError:
        if _looks_like_iso_bmff(p) and _cut_short_box(p) == b"moov":
            # FFmpeg reads what it can of a cut index, then says "no video stream", "only data" or
            # "no frame can be decoded", as the cut fell: all misleading. (A cut that leaves it
            # enough to read every frame is read.)
            raise MediaError(f"{name} is not a complete video: its index (moov box) is cut short, "
                             "as after an interrupted copy or download.") from None
        raise


def _probe_video(p: Path, name: str, time_limit: float) -> MediaInfo:
    with open_input(p) as container:
        stream = video_stream_of(container, name)
        for other in container.streams:
            if other.index != stream.index:
                other.discard = av.stream.Discard.all  # the demuxer skips their bytes
        stream.thread_type = "AUTO"
        first = _first_frame(container, stream, name, time_limit)
        rotation, mirrored = display_transform_of_frame(first)
        # The index of an unchanged file (same path, size and mtime) is known from an earlier probe
        # in this process: `redact` probes its source four times (analysis, export, check), and
        # indexing decodes the last GOP, which is the whole clip when it is one GOP.
        index = recall(str(p), stream.index)
        if index is None:
            try:
                container.seek(_stream_start(stream), stream=stream, backward=True)
            except av.FFmpegError:
                # Raw elementary streams (.h264, .hevc from DVRs) cannot be sought: no frame could
                # be found again by its index, so they are refused with the fix, not half-read.
                raise MediaError(f"{name} cannot be searched frame by frame (a raw "
                                 f"{stream.codec_context.name} stream without a container?); put it into "
                                 f"an MP4 or MKV file first, which changes no picture (ffmpeg -i \"{p.name}\" "
                                 f"-c copy \"{p.stem}.mp4\").") from None
            index = build_frame_index(container, stream, name, time_limit)
            remember(str(p), stream.index, index)
        for other in container.streams:
            other.discard = av.stream.Discard.default
        return _video_info(p, container, stream, first, rotation, index, mirrored)


def _first_frame(container, stream, name: str, time_limit: float):
    try:
        for frame in decode_frames(container, stream, Deadline(name, time_limit)):
            return frame
    except av.FFmpegError as exc:
        raise MediaError(f"{name} cannot be decoded: {exc.strerror or exc}.") from None
    raise MediaError(f"{name} has a video stream but no frame in it can be decoded.")


def _stream_start(stream) -> int:
    return min(stream.start_time, 0) if stream.start_time is not None else 0


def _video_info(p: Path, container, stream, first, rotation: int, index: FrameIndex,
                mirrored: bool = False) -> MediaInfo:
    tb = stream.time_base or Fraction(1, 1)
    keys = index.keys
    durations = [b - a for a, b in zip(keys, keys[1:])]
    typical = statistics.median(durations) if durations else None
    last = index.last_duration or typical or (1 / (stream.average_rate or 25)) / tb
    duration = float((keys[-1] - keys[0] + last) * tb)
    fps = _average_fps(stream, len(keys), duration)
    coded_w, coded_h = first.width, first.height
    width, height = display_size(coded_w, coded_h, rotation)
    return MediaInfo(
        path=str(p), container=_container_name(container, p), video_codec=stream.codec_context.name,
        pix_fmt=first.format.name, width=width, height=height, coded_width=coded_w,
        coded_height=coded_h, rotation=rotation, mirrored=mirrored, fps=fps, time_base=Fraction(tb),
        frame_count=len(keys), duration=duration, vfr=_is_vfr(durations, typical),
        pts=tuple(keys), video_stream_index=stream.index,
        audio=tuple(_audio_info(s) for s in container.streams.audio),
        subtitles=tuple(_stream_info(s) for s in container.streams.subtitles),
        data=tuple(_stream_info(s) for s in container.streams
                   if s.type in ("data", "attachment")
                   or (s.type == "video" and s.index != stream.index)),
        tags=_tags(container), is_still=False)


def _average_fps(stream, frame_count: int, duration: float) -> float:
    """Frames per second of presentation time, as MP4's and FFmpeg's average rate count it."""
    declared = stream.average_rate
    if frame_count < 2 or duration <= 0:
        rate = declared or stream.guessed_rate
        return float(rate) if rate else 0.0
    measured = frame_count / duration
    # Prefer the declared rate (29.97 is 30000/1001, not 29.9700012) when it agrees.
    if declared and abs(float(declared) - measured) <= 0.002 * measured:
        return float(declared)
    return measured


def _is_vfr(durations: list[int], typical) -> bool:
    """Frame durations differ by more than time-base rounding (1 tick) plus 0.5 %."""
    if not durations or not typical:
        return False
    tolerance = 1 + 0.005 * typical
    return any(abs(d - typical) > tolerance for d in durations)


def _container_name(container, p: Path) -> str:
    names = container.format.name.split(",")
    if "mov" in names:
        brand = container.metadata.get("major_brand", "").strip()
        return "mov" if brand == "qt" or (not brand and p.suffix.lower() == ".mov") else "mp4"
    if "matroska" in names:
        return "webm" if p.suffix.lower() == ".webm" else "matroska"
    return names[0]


def _language(stream) -> str | None:
    lang = stream.language or stream.metadata.get("language")
    return None if not lang or lang == "und" else lang


def _audio_info(stream) -> AudioStreamInfo:
    cc = stream.codec_context
    return AudioStreamInfo(
        index=stream.index, codec=cc.name if cc else "unknown",
        channels=int(cc.channels) if cc else 0, sample_rate=int(cc.sample_rate) if cc else 0,
        language=_language(stream), bit_rate=(cc.bit_rate or None) if cc else None)


def _stream_info(stream) -> StreamInfo:
    codec = None
    try:
        codec = stream.codec_context.name if stream.codec_context else stream.codec.name
    except (AttributeError, av.FFmpegError):
        pass
    cover_art = stream.type == "video" and stream.disposition & av.stream.Disposition.attached_pic
    kind = "attachment" if cover_art else stream.type
    return StreamInfo(index=stream.index, kind=kind, codec=codec, language=_language(stream))


def _tags(container) -> dict[str, str]:
    """Container tags as they are; stream tags as "stream<index>:<key>"."""
    tags = {str(k): str(v) for k, v in container.metadata.items()}
    for s in container.streams:
        for k, v in s.metadata.items():
            tags[f"stream{s.index}:{k}"] = str(v)
    return tags


# --- stills -------------------------------------------------------------------------------------

def read_still(path: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(display image with EXIF orientation applied, image as stored), both BGR."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)  # np.fromfile: non-ASCII paths on Windows
    except OSError as exc:
        raise MediaError(f"Cannot read {name}: {exc.strerror}.") from None
    try:
        shown = cv2.imdecode(data, cv2.IMREAD_COLOR)
        stored = None if shown is None else cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error as exc:  # OpenCV refuses a header declaring more than 2^30 pixels by raising
        if "MAX_IMAGE_PIXELS" in str(exc):
            raise MediaError(f"{name} declares a picture of more than {1 << 30:,} pixels, "
                             "too large to read.") from None
        shown = None
    if shown is None or stored is None:
        raise MediaError(f"{name} is not an image that can be read (damaged or not a JPEG, PNG or WebP).")
    return shown, stored


def _probe_still(p: Path, name: str) -> MediaInfo:
    shown, stored = read_still(p, name)
    rotation = next((r for r in (0, 90, 180, 270)
                     if np.array_equal(rotate_to_display(stored, r), shown)), 0)
    h, w = shown.shape[:2]
    sh, sw = stored.shape[:2]
    codec = _STILL_CODECS[p.suffix.lower()]
    return MediaInfo(
        path=str(p), container="jpeg" if codec == "mjpeg" else codec, video_codec=codec, pix_fmt="bgr24",
        width=w, height=h, coded_width=sw, coded_height=sh, rotation=rotation, fps=1.0,
        time_base=Fraction(1, 1), frame_count=1, duration=1.0, vfr=False, pts=(0,),
        video_stream_index=0, tags={}, is_still=True)


def _cut_short_box(p: Path) -> bytes | None:
    """The type of the first top-level box of an MP4/MOV that runs past the end of the file."""
    try:
        with open(p, "rb") as f:
            end = f.seek(0, os.SEEK_END)
            offset = 0
            while offset + 8 <= end:
                f.seek(offset)
                head = f.read(16)
                size, kind = int.from_bytes(head[:4], "big"), head[4:8]
                if size == 1 and len(head) == 16:
                    size = int.from_bytes(head[8:16], "big")
                if size == 0:
                    return None  # the box runs to the end of the file by definition
                if size < 8:
                    return None  # not a box structure we can judge: leave it to FFmpeg
                if offset + size > end:
                    return kind
                offset += size
    except OSError:
        return None
    return None


def _looks_like_iso_bmff(p: Path) -> bool:
    try:
        with open(p, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return len(head) >= 8 and head[4:8] in _ISO_BMFF_BOXES
