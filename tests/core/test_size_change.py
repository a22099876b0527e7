"""A video stream that changes size mid-way (screen and WebRTC recordings do): every frame is seen
at the first frame's size, by the reader and by the export alike, so a box drawn or detected on
the picture masks the same place in every frame of the output.

Before, the reader handed the analysis 640x480 frames in a project of 320x240 (its boxes were cut
to 320x240: a face on the right half was never tracked), and the export drew the masks on the
large frames, which the encoder then scaled: a leak on every frame after the change.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from anonymizer_gui.core.export import export_video
from anonymizer_gui.core.media import iter_frames, probe
from anonymizer_gui.core.project.model import ExportSettings, Keyframe, Project, Shape, Track
from tests.clips import detail
from tests.core.export_fixtures import media_ref

SMALL, LARGE = (320, 240), (640, 480)
BEFORE, AFTER = 6, 10  # frames at each size
PATCH = (440, 200, 520, 280)  # where the detail is on the large frames; half of it on the small picture
SCALED = tuple(v // 2 for v in PATCH)


class _Clip:
    def __init__(self, path):
        self.path = path


def _picture(size, index: int) -> np.ndarray:
    w, h = size
    img = np.full((h, w, 3), 110, np.uint8)
    if size == LARGE:  # fine detail (4 px checks, 2 px on the small picture) that a mask must remove
        x0, y0, x1, y1 = PATCH
        yy, xx = np.mgrid[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = (((xx + 2 * index) // 4 + yy // 4) % 2 * 200 + 20)[..., None].astype(np.uint8)
    return img


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    packets = []
    for size, frames in ((SMALL, range(BEFORE)), (LARGE, range(BEFORE, BEFORE + AFTER))):
        cc = av.CodecContext.create("libvpx-vp9", "w")
        cc.width, cc.height, cc.pix_fmt = *size, "yuv420p"
        cc.time_base, cc.framerate = Fraction(1, 25), Fraction(25)
        cc.options = {"deadline": "realtime", "cpu-used": "8", "crf": "10", "b": "0", "lag-in-frames": "0"}
        for i in frames:
            frame = av.VideoFrame.from_ndarray(_picture(size, i), format="bgr24").reformat(format="yuv420p")
            frame.pts = i
            packets += cc.encode(frame)
        packets += cc.encode(None)
    path = tmp_path_factory.mktemp("size") / "size_change.webm"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libvpx-vp9", rate=25)
        stream.width, stream.height = SMALL
        for packet in packets:
            packet.stream, packet.time_base = stream, Fraction(1, 25)
            out.mux(packet)
    with av.open(str(path)) as c:  # the file really holds both sizes
        assert {(f.width, f.height) for f in c.decode(video=0)} == {SMALL, LARGE}
    return _Clip(path)


def test_the_reader_gives_every_frame_at_the_first_frames_size(clip):
    info = probe(clip.path)
    assert (info.width, info.height, info.frame_count) == (*SMALL, BEFORE + AFTER)
    frames = dict(iter_frames(clip.path))
    assert sorted(frames) == list(range(BEFORE + AFTER))
    assert {img.shape for img in frames.values()} == {(SMALL[1], SMALL[0], 3)}
    # The large frames' detail is where the scaled picture puts it, not cut off at 320x240.
    assert detail(frames[BEFORE], SCALED) > 20
    assert detail(frames[0], SCALED) < 3


def test_masks_land_on_the_same_place_in_frames_stored_at_another_size(clip, tmp_path):
    track = Track(1, "face", keyframes=[Keyframe(0, Shape("rect", list(SCALED))),
                                        Keyframe(BEFORE + AFTER - 1, Shape("rect", list(SCALED)))])
    project = Project(media=media_ref(clip), tracks=[track])
    out = tmp_path / "out.webm"
    result = export_video(project, out, ExportSettings(codec="libvpx-vp9", crf=10))
    source = dict(iter_frames(clip.path))
    written = dict(iter_frames(out))
    assert sorted(written) == sorted(source)
    for i in range(BEFORE, BEFORE + AFTER):
        assert detail(written[i], SCALED) < 0.2 * detail(source[i], SCALED), f"frame {i} is not masked"
    assert any(f"{AFTER} frames are stored at another size" in w for w in result.warnings)
