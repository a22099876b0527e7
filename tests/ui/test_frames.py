"""FrameSource: off-thread decoding that serves the newest request, a bounded cache, thumbnails."""

from __future__ import annotations

import numpy as np
import pytest

from anonymizer_gui.core.media import probe
from anonymizer_gui.ui.media.frames import FrameCache, FrameSource, make_thumbnail
from tests.clips import make_clip, read_frame_number


@pytest.fixture
def source(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", width=320, height=240, frames=40, gop=40)
    fs = FrameSource()
    fs.set_media(str(clip.path), probe(clip.path))
    yield fs
    fs.close()


def test_a_burst_of_requests_shows_the_newest_frame_only(source, qtbot):
    shown = []
    source.frameReady.connect(lambda i, img: shown.append((i, read_frame_number(img))))
    for i in range(5, 36):  # a scrub: one request per mouse move, faster than decoding
        source.request(i)
    qtbot.waitUntil(lambda: bool(shown) and shown[-1][0] == 35, timeout=5000)
    qtbot.wait(50)
    assert shown[-1] == (35, 35)  # the right picture for the index
    assert len(shown) < 31  # stale requests were dropped, not queued
    assert all(i == n for i, n in shown)
    assert not source.is_pending()
    # a cached frame comes back at once, without the decoder
    shown.clear()
    source.request(35)
    assert shown == [(35, 35)]
    assert source.last_latency_ms is not None


def test_readahead_fills_the_cache_in_the_playing_direction(source, qtbot):
    source.set_readahead(6, 1)
    with qtbot.waitSignal(source.frameReady, timeout=5000):
        source.request(10)
    qtbot.waitUntil(lambda: all(source.frame(i) is not None for i in range(11, 17)), timeout=5000)
    assert source.frame(17) is None


def test_cache_is_bounded_by_count_and_bytes():
    cache = FrameCache(max_frames=3, max_bytes=10_000)
    for i in range(5):
        cache.put(i, np.zeros((10, 10, 3), np.uint8))  # 300 bytes each
    assert [i for i in range(5) if cache.get(i) is not None] == [2, 3, 4]
    cache.get(2)  # used: kept over 3
    cache.put(5, np.zeros((50, 50, 3), np.uint8))  # 7500 bytes: only room for one more small frame
    assert cache.get(5) is not None and cache.get(2) is not None and cache.get(3) is None
    assert cache.nbytes <= 10_000


def test_thumbnails_are_cropped_and_small(source, qtbot):
    with qtbot.waitSignal(source.thumbnailReady, timeout=5000):
        assert source.thumbnail(3, (100, 50, 180, 110), 30) is None  # queued
    thumb = source.thumbnail(3, (100, 50, 180, 110), 30)
    assert thumb.shape == (30, 40, 3)
    img = np.zeros((100, 200, 3), np.uint8)
    assert make_thumbnail(img, (-20, -20, 400, 50), 10).shape == (10, 40, 3)  # crop clipped to the frame
