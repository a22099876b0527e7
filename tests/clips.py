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

import struct
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
    """A sine tone on every channel of one audio stream."""

    freq: float = 440.0
    channels: int = 1
    sample_rate: int = 48000
    language: str | None = "eng"


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

    @property
    def duration(self) -> float:
        """End of the last frame, in seconds."""
        last = self.times[-1] if self.times else 0.0
        step = self.times[-1] - self.times[-2] if len(self.times) > 1 else 1.0 / self.fps
        return last + step


_CODEC_BY_SUFFIX = {".mp4": "libx264", ".mov": "libx264", ".mkv": "libx264",
                    ".avi": "mpeg4", ".webm": "libvpx-vp9"}
_AUDIO_BY_SUFFIX = {".mp4": "aac", ".mov": "aac", ".mkv": "aac", ".avi": "mp2", ".webm": "libopus"}
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
              tags: dict[str, str] | None = None, faststart: bool = False) -> ClipTruth:
    """Write a clip and return its truth. `width`/`height` are the DISPLAY size.

    `rotation` (0/90/180/270, clockwise for display) is written as a display matrix (MP4, MOV,
    MKV, WebM; not AVI). `vfr` alternates frame durations of 1/25 s and 1/15 s. `tags` become
    container metadata; in MOV, keys with dots such as com.apple.quicktime.location.ISO6709 are
    written as QuickTime metadata keys. `faststart` puts the MP4 index first, which is what a
    truncated-download test needs.
    """
    from anonymizer_gui.core.media_rotation import set_display_rotation

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

        for i in range(frames):
            img, drawn = render_display_frame(i, width, height, boxes, background)
            all_boxes.append(drawn)
            coded = np.ascontiguousarray(np.rot90(img, k=rotation // 90)) if rotation else img
            frame = av.VideoFrame.from_ndarray(coded, format="bgr24").reformat(format=pix_fmt)
            frame.pts = ticks[i]
            frame.time_base = codec_tb
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)

        seconds = float(sum(_VFR_TICKS[i % 2] for i in range(frames)) * _VFR_RATE) if vfr \
            else frames / float(rate)
        for a, tone in audio_streams:
            _write_tone(out, a, tone, seconds)
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
        tags=dict(tags or {}), bframes=bframes, stamp_block=stamp_block_size(width, height))


def _write_tone(out, stream, tone: Tone, seconds: float) -> None:
    n = int(round(seconds * tone.sample_rate))
    t = np.arange(n, dtype=np.float64) / tone.sample_rate
    wave = (0.3 * np.sin(2 * np.pi * tone.freq * t)).astype(np.float32)
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


# --- stills -------------------------------------------------------------------------------------

def make_still(path: str | Path, *, width: int = 320, height: int = 240, index: int = 0,
               boxes: Sequence[MovingBox] | None = None, exif_orientation: int | None = None
               ) -> ClipTruth:
    """Write a JPEG or PNG of frame `index`. `exif_orientation` (JPEG only: 1, 3, 6 or 8) stores
    the pixels un-rotated with an EXIF tag, so a correct reader shows the truth's display image."""
    path = Path(path)
    boxes = default_boxes(width, height) if boxes is None else tuple(boxes)
    img, drawn = render_display_frame(index, width, height, boxes)
    rotation = {None: 0, 1: 0, 3: 180, 6: 90, 8: 270}[exif_orientation]
    stored = np.ascontiguousarray(np.rot90(img, k=rotation // 90)) if rotation else img
    ok, data = cv2.imencode(path.suffix.lower(), stored,
                            [cv2.IMWRITE_JPEG_QUALITY, 95] if path.suffix.lower() in (".jpg", ".jpeg") else [])
    if not ok:
        raise ValueError(f"cannot encode {path.suffix}")
    data = data.tobytes()
    if exif_orientation is not None:
        if path.suffix.lower() not in (".jpg", ".jpeg"):
            raise ValueError("EXIF orientation is only written into JPEG files")
        data = _with_exif_orientation(data, exif_orientation)
    path.write_bytes(data)
    sh, sw = stored.shape[:2]
    return ClipTruth(path=path, container=path.suffix.lower()[1:], codec="", pix_fmt="",
                     width=width, height=height, coded_width=sw, coded_height=sh, rotation=rotation,
                     frames=1, fps=0.0, vfr=False, time_base=Fraction(1, 1), pts=(0,), times=(0.0,),
                     boxes=(drawn,), audio=(), bframes=0, stamp_block=stamp_block_size(width, height))


def _with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    # Smallest EXIF block: a big-endian TIFF header and one IFD entry, Orientation (0x0112).
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) \
        + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:]


# --- broken and odd inputs ----------------------------------------------------------------------

def make_zero_bytes(path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(b"")
    return path


def make_random_bytes(path: str | Path, size: int = 64 * 1024, seed: int = 0) -> Path:
    """Noise with a media suffix (for example "x.mp4"): no container can read it."""
    path = Path(path)
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def make_text_file(path: str | Path) -> Path:
    path = Path(path)
    path.write_text("This is a shopping list, not a video.\n" * 20, encoding="utf-8")
    return path


def make_audio_only(path: str | Path, seconds: float = 1.0, tone: Tone = Tone()) -> Path:
    """An audio file with no video stream (.m4a/.mp4 → AAC, .wav → PCM, .ogg/.webm → Opus)."""
    path = Path(path)
    codec = {".wav": "pcm_s16le", ".ogg": "libopus", ".webm": "libopus"}.get(path.suffix.lower(), "aac")
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=tone.sample_rate)
        stream.layout = "mono" if tone.channels == 1 else "stereo"
        _write_tone(out, stream, tone, seconds)
    return path


def make_truncated(src: str | Path, dst: str | Path, keep: float = 0.5) -> Path:
    """The first `keep` share of `src`'s bytes, like an interrupted download or copy.

    With a normal MP4 (index at the end) the index is lost; with `make_clip(faststart=True)`
    the index survives and frames at the end point past the end of the file.
    """
    data = Path(src).read_bytes()
    dst = Path(dst)
    dst.write_bytes(data[:max(1, int(len(data) * keep))])
    return dst


def _bounce(pos: int, lo: int, hi: int) -> int:
    """Reflect `pos` into [lo, hi] like a ball between two walls."""
    if hi <= lo:
        return lo
    span = hi - lo
    p = (pos - lo) % (2 * span)
    return lo + (p if p <= span else 2 * span - p)
