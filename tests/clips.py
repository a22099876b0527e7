"""Test media generated with PyAV: clips whose every fact is known in advance.

Every frame shows a smooth gradient (little detail), textured boxes that move on a known path
(much detail) and the frame index as a row of black/white blocks in the top-left corner, so a
test can tell which frame a decoder returned (`read_frame_number`) and whether a region lost
its detail (`detail`). Everything is described in DISPLAY orientation: for a rotated clip the
encoder gets the coded (un-rotated) image, and the display matrix turns it back.

Sizes: libx264 cannot encode yuv420p with an odd width or height (4:2:0 needs even sizes), so
`make_clip` refuses that combination; use pix_fmt="yuv444p" with .mp4/.mkv, or a .webm (VP9)
or .avi (MPEG-4 Part 2) clip, which take odd sizes in yuv420p.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Sequence

import av
import cv2
import numpy as np

STAMP_BITS = 14  # frame indices up to 16383
STAMP_BLACK, STAMP_WHITE = 16, 235

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class MovingBox:
    """A textured rectangle that moves `vx, vy` pixels per frame and bounces off the edges.

    Positions are display pixels. `texture` is "checker" (cells of `cell` px) or "noise".
    """

    x: int
    y: int
    w: int
    h: int
    vx: int = 0
    vy: int = 0
    texture: str = "checker"
    cell: int = 3
    seed: int = 0

    def position(self, frame: int, bounds: tuple[int, int, int, int]) -> tuple[int, int]:
        left, top, right, bottom = bounds
        return (_bounce(self.x + self.vx * frame, left, right - self.w),
                _bounce(self.y + self.vy * frame, top, bottom - self.h))

    def pattern(self) -> np.ndarray:
        if self.texture == "noise":
            rng = np.random.default_rng(self.seed)
            return rng.integers(0, 256, size=(self.h, self.w, 3), dtype=np.uint8)
        if self.texture != "checker":
            raise ValueError(f"unknown texture {self.texture!r}")
        yy, xx = np.mgrid[0:self.h, 0:self.w]
        on = ((yy // self.cell + xx // self.cell) % 2).astype(bool)
        img = np.empty((self.h, self.w, 3), np.uint8)
        img[on] = (230, 240, 250)
        img[~on] = (20, 10, 40 + 20 * (self.seed % 5))
        return img


@dataclass(frozen=True)
class Tone:
    """A signal on every channel of one audio stream: a sine tone at `freq` (the default), a
    "chirp" (200 Hz to 4 kHz over the clip) or "speech" (vowel bursts, tests/audio_signals.py)."""

    freq: float = 440.0
    channels: int = 1
    sample_rate: int = 48000
    language: str | None = "eng"
    wave: str = "sine"


@dataclass(frozen=True)
class ClipTruth:
    """What a generated clip holds; `boxes[i]` are the display-pixel boxes of frame i."""

    path: Path
    container: str
    codec: str
    pix_fmt: str
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    frames: int
    fps: float
    vfr: bool
    time_base: Fraction
    pts: tuple[int, ...]
    times: tuple[float, ...]
    boxes: tuple[tuple[Box, ...], ...]
    audio: tuple[Tone, ...]
    tags: dict[str, str] = field(default_factory=dict)
    bframes: int = 0
    stamp_block: int = 8
    duration: float = 0.0  # seconds from the first frame to the end of the last one



_CODEC_BY_SUFFIX = {".mp4": "libx264", ".mov": "libx264", ".mkv": "libx264",
                    ".avi": "mpeg4", ".webm": "libvpx-vp9"}
_AUDIO_BY_SUFFIX = {".mp4": "aac", ".mov": "aac", ".mkv": "aac", ".avi": "mp2", ".webm": "libopus"}
_SUBTITLE_BY_SUFFIX = {".mp4": "mov_text", ".mov": "mov_text", ".mkv": "subrip", ".webm": "webvtt"}
_ASS_HEADER = (b"[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, "
               b"Name, MarginL, MarginR, MarginV, Effect, Text\n")
_VFR_TICKS = (3, 5)  # durations in 1/75 s: 1/25 s and 1/15 s, alternating
_VFR_RATE = Fraction(1, 75)


def stamp_block_size(width: int, height: int) -> int:
    """Side of one stamp block: 8 px, 16 px for HD and larger."""
    return 16 if min(width, height) >= 600 else 8


def stamp_area(width: int, height: int) -> tuple[int, int, int, int]:
    """The (x1, y1, x2, y2) strip that holds the frame number; boxes never enter it."""
    b = stamp_block_size(width, height)
    return (0, 0, b * (STAMP_BITS + 1), 2 * b)


def default_boxes(width: int, height: int) -> tuple[MovingBox, ...]:
    """Two boxes of different size and texture moving in different directions."""
    s = min(width, height)
    return (
        MovingBox(x=int(0.10 * width), y=int(0.35 * height), w=max(12, int(0.22 * s)),
                  h=max(12, int(0.22 * s)), vx=max(1, width // 80), vy=max(1, height // 120),
                  texture="checker", cell=3, seed=1),
        MovingBox(x=int(0.60 * width), y=int(0.55 * height), w=max(12, int(0.18 * width)),
                  h=max(12, int(0.25 * height)), vx=-max(1, width // 100), vy=-max(1, height // 150),
                  texture="noise", seed=2),
    )


def render_display_frame(index: int, width: int, height: int,
                         boxes: Sequence[MovingBox], background: np.ndarray | None = None
                         ) -> tuple[np.ndarray, tuple[Box, ...]]:
    """BGR display image of frame `index` and the boxes drawn in it."""
    img = (background if background is not None else gradient(width, height)).copy()
    bounds = (0, stamp_area(width, height)[3] + 2, width, height)
    drawn = []
    for box in boxes:
        x, y = box.position(index, bounds)
        img[y:y + box.h, x:x + box.w] = box.pattern()
        drawn.append((float(x), float(y), float(x + box.w), float(y + box.h)))
    _draw_stamp(img, index)
    return img, tuple(drawn)


def gradient(width: int, height: int) -> np.ndarray:
    """A smooth colour gradient: almost no detail, so textured boxes stand out."""
    xs = np.linspace(60, 180, width, dtype=np.float32)[None, :]
    ys = np.linspace(50, 170, height, dtype=np.float32)[:, None]
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = np.broadcast_to(xs, (height, width)).astype(np.uint8)
    img[..., 1] = np.broadcast_to(ys, (height, width)).astype(np.uint8)
    img[..., 2] = ((xs + ys) / 2).astype(np.uint8)
    return img


def _draw_stamp(img: np.ndarray, index: int) -> None:
    h, w = img.shape[:2]
    b = stamp_block_size(w, h)
    x1, y1, x2, y2 = stamp_area(w, h)
    img[y1:y2, x1:x2] = STAMP_BLACK
    img[0:b, 0:b] = STAMP_WHITE  # marker: proves the stamp is where we expect (orientation)
    for bit in range(STAMP_BITS):
        if (index >> bit) & 1:
            x = b * (bit + 1)
            img[0:b, x:x + b] = STAMP_WHITE


def read_frame_number(img: np.ndarray) -> int | None:
    """Frame index stamped into a display-orientation BGR image; None if no clean stamp is there."""
    h, w = img.shape[:2]
    b = stamp_block_size(w, h)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    q = max(1, b // 4)  # read the centre of each block: edges blur under compression

    def level(x: int, y: int) -> float:
        return float(gray[y + q:y + b - q, x + q:x + b - q].mean())

    if level(0, 0) < 170 or level(0, b) > 80:
        return None
    value = 0
    for bit in range(STAMP_BITS):
        v = level(b * (bit + 1), 0)
        if 80 < v < 170:
            return None
        if v >= 170:
            value |= 1 << bit
    return value


def detail(img: np.ndarray, box: Box) -> float:
    """Mean absolute Laplacian of the grey image inside `box` (clipped to the image)."""
    h, w = img.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
    if x2 - x1 < 3 or y2 - y1 < 3:
        return 0.0
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    lap = cv2.Laplacian(gray[y1:y2, x1:x2].astype(np.float32), cv2.CV_32F)
    return float(np.abs(lap[1:-1, 1:-1]).mean())


def make_clip(path: str | Path, *, width: int = 320, height: int = 240, frames: int = 30,
              fps: float = 25, codec: str | None = None, pix_fmt: str = "yuv420p",
              boxes: Sequence[MovingBox] | None = None, audio: Iterable[Tone] = (),
              vfr: bool = False, rotation: int = 0, bframes: int = 2, gop: int = 12,
              open_gop: bool = False, crf: int = 18, preset: str = "veryfast",
              tags: dict[str, str] | None = None, faststart: bool = False,
              subtitles: Sequence[str] = (), data: bool = False) -> ClipTruth:
    """Write a clip and return its truth. `width`/`height` are the DISPLAY size.

    `rotation` (0/90/180/270, clockwise for display) is written as a display matrix (MP4, MOV,
    MKV, WebM; not AVI). `vfr` alternates frame durations of 1/25 s and 1/15 s. `tags` become
    container metadata; in MOV, keys with dots such as com.apple.quicktime.location.ISO6709 are
    written as QuickTime metadata keys. `faststart` puts the MP4 index first, which is what a
    truncated-download test needs. `subtitles` adds one text subtitle stream per language
    (SubRip in MKV, mov_text in MP4/MOV, WebVTT in WebM). `data` adds a data stream (MP4) or an
    attachment (MKV), the kind of side channel that may hold GPS tracks or names.
    """
    from anonymizer_gui.core.media.rotation import set_display_rotation

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _CODEC_BY_SUFFIX:
        raise ValueError(f"unsupported clip suffix {suffix!r}")
    codec = codec or _CODEC_BY_SUFFIX[suffix]
    rotation %= 360
    if rotation not in (0, 90, 180, 270):
        raise ValueError("rotation must be a multiple of 90")
    if rotation and suffix == ".avi":
        raise ValueError("AVI cannot carry a display rotation")
    if codec == "libx264" and pix_fmt == "yuv420p" and (width % 2 or height % 2):
        raise ValueError("libx264 needs even sizes for yuv420p: use pix_fmt='yuv444p' or .webm/.avi")
    boxes = default_boxes(width, height) if boxes is None else tuple(boxes)
    audio = tuple(audio)
    coded_w, coded_h = (height, width) if rotation in (90, 270) else (width, height)

    if vfr:
        codec_tb = _VFR_RATE
        ticks = [sum(_VFR_TICKS[i % 2] for i in range(k)) for k in range(frames)]
        rate = Fraction(len(_VFR_TICKS), sum(_VFR_TICKS)) / _VFR_RATE
    else:
        rate = Fraction(fps).limit_denominator(1001)
        codec_tb = 1 / rate
        ticks = list(range(frames))

    options: dict[str, str] = {}
    if codec == "libx264":
        options = {"crf": str(crf), "preset": preset}
        if open_gop:
            options["x264-params"] = "open-gop=1"
    elif codec == "libvpx-vp9":
        options = {"crf": str(max(crf, 10)), "b": "0", "deadline": "realtime", "cpu-used": "8"}
    elif codec == "mpeg4":
        options = {"qscale": "2"}

    container_options = {}
    if suffix in (".mp4", ".mov"):
        flags = ["+faststart"] if faststart else []
        if suffix == ".mov" and tags and any("." in k for k in tags):
            flags.append("+use_metadata_tags")
        if flags:
            container_options["movflags"] = "".join(flags)

    background = gradient(width, height)
    all_boxes = []
    with av.open(str(path), "w", options=container_options) as out:
        for key, value in (tags or {}).items():
            out.metadata[key] = value
        vs = out.add_stream(codec, rate=rate, options=options)
        vs.width, vs.height, vs.pix_fmt = coded_w, coded_h, pix_fmt
        vs.codec_context.time_base = codec_tb
        vs.time_base = codec_tb
        vs.gop_size = gop
        vs.max_b_frames = bframes
        if rotation:
            set_display_rotation(vs, rotation)
        audio_streams = []
        for tone in audio:
            a_codec = _AUDIO_BY_SUFFIX[suffix]
            a = out.add_stream(a_codec, rate=tone.sample_rate)
            a.layout = "mono" if tone.channels == 1 else "stereo"
            if tone.language:
                a.metadata["language"] = tone.language
            audio_streams.append((a, tone))
        subtitle_streams = []
        for language in subtitles:
            sub = out.add_stream(_SUBTITLE_BY_SUFFIX[suffix])
            sub.codec_context.subtitle_header = _ASS_HEADER
            sub.metadata["language"] = language
            subtitle_streams.append(sub)
        data_stream = None
        if data:
            if suffix == ".mkv":
                out.add_attachment("notes.txt", "text/plain", b"recorded by Jane Doe")
            elif suffix == ".mp4":
                data_stream = out.add_data_stream("bin_data")
            else:
                raise ValueError(f"no data stream recipe for {suffix}")

        for i in range(frames):
            img, drawn = render_display_frame(i, width, height, boxes, background)
            all_boxes.append(drawn)
            coded = np.ascontiguousarray(np.rot90(img, k=rotation // 90)) if rotation else img
            frame = av.VideoFrame.from_ndarray(coded, format="bgr24").reformat(format=pix_fmt)
            frame.pts = ticks[i]
            frame.time_base = codec_tb
            frame.duration = _VFR_TICKS[i % 2] if vfr else 1
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)

        seconds = float(sum(_VFR_TICKS[i % 2] for i in range(frames)) * _VFR_RATE) if vfr \
            else frames / float(rate)
        for a, tone in audio_streams:
            _write_tone(out, a, tone, seconds)
        for sub in subtitle_streams:
            text = b"Hello" if suffix in (".mkv", ".webm") else b"\x00\x05Hello"  # mov_text: length first
            _mux_raw(out, sub, text, seconds)
        if data_stream is not None:
            _mux_raw(out, data_stream, b"GPS +48.8577+002.2950", seconds)
        stream_tb = vs.time_base

    if suffix == ".avi" and bframes > 0:
        # AVI stores no presentation time stamps; FFmpeg rebuilds them from decode order, which
        # puts every frame one tick late when B-frames delay the MPEG-4 decoder by one frame.
        ticks = [t + 1 for t in ticks]
    pts = tuple(_rescale(t, codec_tb, stream_tb) for t in ticks)
    return ClipTruth(
        path=path, container=suffix[1:], codec=codec, pix_fmt=pix_fmt, width=width, height=height,
        coded_width=coded_w, coded_height=coded_h, rotation=rotation, frames=frames,
        fps=float(rate), vfr=vfr, time_base=stream_tb, pts=pts,
        times=tuple(float(t * codec_tb) for t in ticks), boxes=tuple(all_boxes), audio=audio,
        tags=dict(tags or {}), bframes=bframes, stamp_block=stamp_block_size(width, height),
        duration=seconds)


def _mux_raw(out, stream, payload: bytes, seconds: float) -> None:
    packet = av.Packet(payload)
    packet.stream = stream
    packet.pts = packet.dts = 0
    if stream.time_base:
        packet.duration = int(min(seconds, 0.5) / stream.time_base)
    out.mux(packet)


def _write_tone(out, stream, tone: Tone, seconds: float) -> None:
    from tests.audio_signals import signal_for

    n = int(round(seconds * tone.sample_rate))
    wave = signal_for(tone.wave, n, tone.sample_rate, tone.freq).astype(np.float32)
    chunk = 1024
    for start in range(0, n, chunk):
        part = np.repeat(wave[None, start:start + chunk], tone.channels, axis=0)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(part), format="fltp",
                                           layout=stream.layout.name)
        frame.sample_rate = tone.sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, tone.sample_rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def _rescale(value: int, src: Fraction, dst: Fraction) -> int:
    """av_rescale_q with FFmpeg's default rounding (nearest, halves away from zero)."""
    exact = Fraction(value) * src / dst
    floor = exact.numerator // exact.denominator
    return floor + 1 if exact - floor >= Fraction(1, 2) else floor


def _bounce(pos: int, lo: int, hi: int) -> int:
    """Reflect `pos` into [lo, hi] like a ball between two walls."""
    if hi <= lo:
        return lo
    span = hi - lo
    p = (pos - lo) % (2 * span)
    return lo + (p if p <= span else 2 * span - p)


# Stills and broken files live in tests/broken_media.py; `from tests.clips import make_still`
# works too. Loaded on first use, because broken_media itself builds on this module.
_BROKEN_MEDIA = {"make_audio_only", "make_random_bytes", "make_still", "make_text_file",
                 "make_truncated", "make_unsupported_codec", "make_zero_bytes"}


def __getattr__(name: str):
    if name in _BROKEN_MEDIA:
        from tests import broken_media
        return getattr(broken_media, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
