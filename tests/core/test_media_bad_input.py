"""Bad input: every case raises MediaError with one clear sentence, quickly, also through the CLI."""

from __future__ import annotations

import os

import pytest

from anonymizer_gui.cli import main
from anonymizer_gui.core.foundation.errors import MediaError
from anonymizer_gui.core.media import FrameReader, iter_frames, probe
from tests.clips import (make_audio_only, make_clip, make_random_bytes, make_text_file, make_truncated,
                         make_unsupported_codec, make_zero_bytes)

pytestmark = pytest.mark.timeout(20)


def _missing(tmp_path):
    return tmp_path / "nowhere" / "missing.mp4"


def _folder(tmp_path):
    folder = tmp_path / "holiday.mp4"
    folder.mkdir()
    return folder


def _truncated_mp4(tmp_path):
    full = make_clip(tmp_path / "full.mp4", frames=20)  # index (moov) written at the end
    return make_truncated(full.path, tmp_path / "cut.mp4", keep=0.7)


def _raw_h264(tmp_path):
    """An Annex-B elementary stream, as DVRs export: no container, no time stamps, no seeking."""
    import av

    path = tmp_path / "camera 3.h264"
    with av.open(str(path), "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([16 + 40 * i]) * plane.buffer_size)
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _huge_png(tmp_path):
    """A PNG header declaring 100000 x 100000 pixels (OpenCV raised instead of returning None)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    path = tmp_path / "huge.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    return path


def _cut_in_moov(tmp_path, faststart: bool = False):
    """An MP4 cut a third of the way into its index (FFmpeg said "no video stream (it holds only data)")."""
    full = make_clip(tmp_path / "whole.mp4", frames=20, faststart=faststart).path.read_bytes()
    start = full.find(b"moov") - 4
    path = tmp_path / "cut in index.mp4"
    path.write_bytes(full[:start + int.from_bytes(full[start:start + 4], "big") // 3])
    return path


# (maker, words the message must contain)
CASES = {
    "missing file": (_missing, ["File not found", "missing.mp4"]),
    "directory": (_folder, ["holiday.mp4", "is a folder"]),
    "zero bytes": (lambda d: make_zero_bytes(d / "empty.mp4"), ["empty.mp4", "is empty (0 bytes)"]),
    "random bytes named .mp4": (lambda d: make_random_bytes(d / "noise.mp4"),
                                ["noise.mp4", "not a video file that can be read"]),
    "truncated mp4": (_truncated_mp4, ["cut.mp4", "not a complete video", "moov"]),
    "audio-only m4a": (lambda d: make_audio_only(d / "voice.m4a"),
                       ["voice.m4a", "has no video stream", "audio"]),
    "audio-only wav": (lambda d: make_audio_only(d / "voice.wav"), ["voice.wav", "has no video stream"]),
    "text file": (lambda d: make_text_file(d / "notes.txt"), ["notes.txt", "not a video file", "text"]),
    "text named .mp4": (lambda d: make_text_file(d / "notes.mp4"), ["notes.mp4", "not a video file"]),
    "random bytes named .jpg": (lambda d: make_random_bytes(d / "photo.jpg"),
                                ["photo.jpg", "not an image that can be read"]),
    "unsupported codec": (lambda d: make_unsupported_codec(d / "odd.mkv"),
                          ["odd.mkv", "video codec", "cannot decode"]),
    "raw h264 stream": (_raw_h264, ["camera 3.h264", "raw h264 stream", "-c copy"]),
    "image declaring a huge size": (_huge_png, ["huge.png", "too large to read"]),
    "mp4 cut inside its index": (_cut_in_moov, ["cut in index.mp4", "not a complete video", "moov box) is cut short"]),
    "fast-start mp4 cut inside its index": (lambda d: _cut_in_moov(d, faststart=True),
                                            ["cut in index.mp4", "moov box) is cut short"]),
}


@pytest.mark.parametrize("case", CASES)
def test_probe_raises_one_clear_media_error(tmp_path, case):
    make, words = CASES[case]
    path = make(tmp_path)
    with pytest.raises(MediaError) as err:
        probe(path)
    message = str(err.value)
    for word in words:
        assert word in message, f"{case}: {message!r} lacks {word!r}"
    assert "\n" not in message and message.endswith(".")


@pytest.mark.parametrize("case", CASES)
def test_reader_and_iterator_raise_the_same_error(tmp_path, case):
    make, words = CASES[case]
    path = make(tmp_path)
    with pytest.raises(MediaError, match=words[0]):
        FrameReader(path)
    with pytest.raises(MediaError, match=words[0]):
        list(iter_frames(path))


@pytest.mark.parametrize("case", CASES)
def test_cli_prints_one_error_line_and_exits_1(tmp_path, case, capsys):
    make, words = CASES[case]
    path = make(tmp_path)
    assert main(["probe", str(path), "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words[0] in lines[0]
    assert "Traceback" not in err


def test_unreadable_file_is_refused_before_ffmpeg_sees_it(tmp_path, monkeypatch, capsys):
    # Tests run as root, for whom chmod 000 changes nothing; so the access check is simulated.
    clip = make_clip(tmp_path / "secret.mp4", frames=3).path
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k:
                        False if os.fspath(p) == os.fspath(clip) else real_access(p, mode, *a, **k))
    with pytest.raises(MediaError, match=r"Cannot read .*secret\.mp4: permission denied\."):
        probe(clip)
    assert main(["probe", str(clip)]) == 1
    assert capsys.readouterr().err.strip().endswith("secret.mp4: permission denied.")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_with_real_permissions(tmp_path):
    clip = make_clip(tmp_path / "locked.mp4", frames=3).path
    clip.chmod(0)
    try:
        with pytest.raises(MediaError, match="permission denied"):
            probe(clip)
    finally:
        clip.chmod(0o644)


def test_probe_work_is_bounded_by_a_time_limit(tmp_path):
    clip = make_clip(tmp_path / "long.mp4", frames=10).path
    with pytest.raises(MediaError, match="took longer than"):
        probe(clip, time_limit=-1)


def test_closed_reader_refuses_to_read(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", frames=3).path
    reader = FrameReader(clip)
    reader.close()
    with pytest.raises(MediaError, match="closed"):
        reader.read(0)
