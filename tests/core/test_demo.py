"""The --demo clip: built from scikit-image's photographs, cached, with known face positions."""

from __future__ import annotations

from anonymizer_gui import demo
from anonymizer_gui.core.media import FrameReader, probe
from tests.clips import detail


def test_demo_clip_is_built_once_with_video_audio_and_moving_faces(tmp_path):
    path = demo.build_demo_clip(tmp_path / "demo.mp4", width=320, height=180, seconds=1.0, fps=25)
    info = probe(path)
    assert (info.width, info.height, info.frame_count, info.fps) == (320, 180, 25, 25.0)
    assert len(info.audio) == 1 and info.video_codec == "h264"
    mtime = path.stat().st_mtime_ns
    assert demo.build_demo_clip(path, width=320, height=180, seconds=1.0) == path
    assert path.stat().st_mtime_ns == mtime  # reused, not rebuilt

    truth = demo.demo_truth(320, 180, 1.0, 25)
    astronaut_first, astronaut_last = truth[0][0][0], truth[-1][0][0]
    assert astronaut_last[0] < astronaut_first[0] - 20  # the camera pans: the face moves left
    with FrameReader(path) as reader:
        first = reader.read(0)
    assert detail(first, astronaut_first) > 5.0  # a real face photo, not a flat wall
    assert detail(first, (0, 0, 40, 20)) < 3.0  # the wall around the photos is smooth


def test_default_location_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ANONYMIZER_GUI_CACHE_DIR", str(tmp_path))
    assert demo.default_demo_path() == tmp_path / "demo" / f"demo-v{demo.DEMO_VERSION}.mp4"
