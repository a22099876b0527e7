"""Stills and broken media for tests: the inputs a redaction tool must open or refuse cleanly.

Import them from `tests.clips`, which re-exports everything here.
"""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import cv2
import numpy as np

from tests.clips import (ClipTruth, MovingBox, Tone, _write_tone, default_boxes, make_clip,
                         render_display_frame, stamp_block_size)


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
                     boxes=(drawn,), audio=(), bframes=0, stamp_block=stamp_block_size(width, height),
                     duration=1.0)


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


def make_unsupported_codec(path: str | Path) -> Path:
    """An MKV whose video track names a codec FFmpeg does not know (the id is overwritten)."""
    path = Path(path)
    if path.suffix.lower() != ".mkv":
        raise ValueError("the unsupported-codec recipe patches a Matroska codec id")
    tmp = path.with_name(path.stem + ".src.mkv")
    make_clip(tmp, frames=5, bframes=0)
    data = tmp.read_bytes()
    tmp.unlink()
    if data.count(b"V_MPEG4/ISO/AVC") != 1:
        raise RuntimeError("Matroska codec id not found")
    path.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_QUUX/ISO/ABCD"))
    return path


