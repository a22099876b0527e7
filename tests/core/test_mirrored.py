"""A display matrix that mirrors the picture (a "flip" edit, some front cameras) is shown mirrored,
as FFmpeg's own autorotation shows it, and the export keeps it so, with the masks where drawn.

av_display_rotation_get() reads a left-right mirror as a half turn: the picture was analysed and
shown upside down, and the export wrote a 180-degree rotation (found by an audit). The oracle
here is the rule table of FFmpeg's command line (fftools, autorotate), applied with numpy to the
picture as stored, from the display matrix the decoder hands out.
"""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest

from anonymizer_gui.core.export import export_video
from anonymizer_gui.core.media import FrameReader, iter_frames, probe
from anonymizer_gui.core.media.rotation import _display_matrix
from anonymizer_gui.core.project.model import ExportSettings, Keyframe, MaskStyle, Project, Shape, Track
from tests.clips import MovingBox, make_clip
from tests.core.export_fixtures import media_ref

_IDENTITY = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
# tkhd matrices (a, b, c, d): mirrors, then two plain turns that must stay as they were
MATRICES = {"left-right": (-1, 0, 0, 1), "top-bottom": (1, 0, 0, -1), "transpose": (0, 1, 1, 0),
            "anti-transpose": (0, -1, -1, 0), "quarter turn": (0, 1, -1, 0), "half turn": (-1, 0, 0, -1)}


def _with_matrix(src: Path, dst: Path, a: int, b: int, c: int, d: int) -> Path:
    data = bytearray(src.read_bytes())
    at = data.find(_IDENTITY, data.find(b"tkhd"))
    assert at > 0
    data[at:at + 36] = struct.pack(">9i", a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 0x40000000)
    dst.write_bytes(bytes(data))
    return dst


def _fftools_autorotate(img: np.ndarray, m: tuple[int, ...]) -> np.ndarray:
    """What `ffmpeg -autorotate` shows: its rule table on the display matrix m."""
    ccw = np.degrees(np.arctan2(m[1] / np.hypot(m[1], m[4]), m[0] / np.hypot(m[0], m[3])))
    theta = -round(-ccw)
    theta -= 360 * np.floor(theta / 360 + 0.9 / 360)
    transpose = np.swapaxes(img, 0, 1)
    if abs(theta - 90) < 1:
        return transpose if m[3] > 0 else np.rot90(img, -1)  # cclock_flip / clock
    if abs(theta - 180) < 1:
        out = img[:, ::-1] if m[0] < 0 else img
        return out[::-1] if m[4] < 0 else out
    if abs(theta - 270) < 1:
        return np.rot90(transpose, 2) if m[3] < 0 else np.rot90(img, 1)  # clock_flip / cclock
    return img[::-1] if m[4] < 0 else img


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    box = MovingBox(x=8, y=30, w=28, h=20, vx=1, vy=0, texture="noise", seed=4)
    return make_clip(tmp_path_factory.mktemp("mirror") / "src.mp4", width=96, height=64, frames=4, boxes=(box,))


@pytest.mark.parametrize("name", MATRICES)
def test_the_picture_is_shown_as_ffmpeg_shows_it(clip, tmp_path, name):
    path = _with_matrix(clip.path, tmp_path / "m.mp4", *MATRICES[name])
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        stored, matrix = frame.to_ndarray(format="bgr24"), _display_matrix(frame)
    info = probe(path)
    assert info.mirrored == (name not in ("quarter turn", "half turn"))
    with FrameReader(path) as reader:
        shown = reader.read(0)
    expected = _fftools_autorotate(stored, matrix)
    assert (info.width, info.height) == (expected.shape[1], expected.shape[0])
    assert np.array_equal(shown, expected)


@pytest.mark.parametrize("name", ["left-right", "transpose"])
def test_the_export_shows_what_the_input_showed_with_the_masks_where_drawn(clip, tmp_path, name):
    path = _with_matrix(clip.path, tmp_path / "m.mp4", *MATRICES[name])
    with av.open(str(path)) as c:  # the input as FFmpeg shows it, not as this program reads it
        source = {i: _fftools_autorotate(f.to_ndarray(format="bgr24"), _display_matrix(f))
                  for i, f in enumerate(c.decode(video=0))}
    h, w = source[0].shape[:2]
    box = [w * 0.55, h * 0.1, w * 0.9, h * 0.45]  # in the picture as shown
    track = Track(1, "face", style=MaskStyle("solid", color=(255, 255, 255)),
                  keyframes=[Keyframe(0, Shape("rect", box)), Keyframe(3, Shape("rect", box))])
    out = tmp_path / "out.mp4"
    export_video(Project(media=media_ref(clip_like(path)), tracks=[track]), out, ExportSettings(crf=0))
    assert not probe(out).mirrored
    written = dict(iter_frames(out))
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    for i, img in written.items():
        inside = img[y0 + 2:y1 - 2, x0 + 2:x1 - 2]
        assert inside.min() > 240, f"frame {i}: the mask is not where it was drawn"
        outside = np.ones(img.shape[:2], bool)
        outside[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3] = False
        diff = np.abs(img.astype(int) - source[i].astype(int))[outside]
        assert diff.mean() < 2, f"frame {i}: the output is not shown as the input was"


class clip_like:  # media_ref takes anything with a .path
    def __init__(self, path):
        self.path = path
