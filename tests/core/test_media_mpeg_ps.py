"""MPEG-2 in MPEG-PS (.mpg, .vob) and MPEG-TS: every frame indexed, and each index shows its own picture.

After a seek by dts, FFmpeg's MPEG-PS demuxer labels the first decoded frame with a later frame's
time stamp. Believed, that lost a frame from the index (the tail check took it for a truncated
end, and the export dropped it without a word) and made read(15) show frame 12 (a box drawn on
what the editor showed at 15 was burnt into frame 15, which is another picture). Found by an audit.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import av
import pytest

from anonymizer_gui.core.media import FrameReader, iter_frames, probe
from anonymizer_gui.core.media.frame_index import SeekLandedBadly, landing_checked
from tests.clips import read_frame_number, render_display_frame


def _mpeg2(path, frames: int, container: str):
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("mpeg2video", rate=25, options={"qscale": "2"})
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.codec_context.gop_size, stream.codec_context.max_b_frames = 6, 2
        for i in range(frames):
            img, _ = render_display_frame(i, 320, 240, ())
            frame = av.VideoFrame.from_ndarray(img, format="bgr24").reformat(format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("name,frames,container", [("a.mpg", 20, "vob"), ("b.mpg", 48, "vob"),
                                                   ("c.ts", 48, "mpegts")])
def test_every_frame_is_indexed_and_read_at_its_own_index(tmp_path, name, frames, container):
    path = _mpeg2(tmp_path / name, frames, container)
    with av.open(str(path)) as c:
        assert [read_frame_number(f.to_ndarray(format="bgr24")) for f in c.decode(video=0)] == list(range(frames))
    assert probe(path).frame_count == frames
    assert [read_frame_number(img) for _, img in iter_frames(path)] == list(range(frames))
    order = list(range(frames))
    random.Random(1).shuffle(order)
    with FrameReader(path) as reader:
        assert {i: read_frame_number(reader.read(i)) for i in order} == {i: i for i in order}


def _frames(*keys):
    return iter([SimpleNamespace(pts=k, dts=None) for k in keys])


def test_a_landing_is_checked_at_the_keyframe():
    # Open-GOP leading frames (presented before the keyframe) may come first; then the keyframe.
    assert [f.pts for f in landing_checked(_frames(8, 9, 10, 11, 12), 10)] == [8, 9, 10, 11, 12]
    with pytest.raises(SeekLandedBadly):  # the first frame at or after the keyframe is another one
        list(landing_checked(_frames(15, 13, 14), 12))
    # Only the landing is checked on the way; to the end, every later frame must come later too.
    assert [f.pts for f in landing_checked(_frames(12, 14, 13), 12)] == [12, 14, 13]
    with pytest.raises(SeekLandedBadly):
        list(landing_checked(_frames(12, 14, 13), 12, to_the_end=True))
