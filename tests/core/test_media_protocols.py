"""Inputs are opened with FFmpeg's protocol whitelist set to `file` only (issue 9, point 14)."""

from __future__ import annotations

import socket
import threading

import av
import pytest

from anonymizer_gui.core.foundation.errors import MediaError
from anonymizer_gui.core.media import open_input, probe
from tests.clips import make_clip


def test_every_input_is_opened_with_the_file_protocol_only(tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "c.mp4", frames=3)
    seen = []
    real_open = av.open

    def spy(*args, **kwargs):
        seen.append(kwargs.get("options"))
        return real_open(*args, **kwargs)

    monkeypatch.setattr(av, "open", spy)
    open_input(clip.path).close()
    probe(clip.path)
    assert seen and all(o and o.get("protocol_whitelist") == "file" for o in seen)


def test_a_playlist_cannot_make_ffmpeg_reach_the_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3.0)
    port = server.getsockname()[1]
    playlist = tmp_path / "video.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n"
                        f"http://127.0.0.1:{port}/segment.ts\n#EXT-X-ENDLIST\n")
    errors = []
    worker = threading.Thread(target=lambda: _probe_into(playlist, errors), daemon=True)
    worker.start()
    try:
        conn, _ = server.accept()
    except socket.timeout:
        conn = None
    if conn is not None:
        conn.close()
    server.close()
    worker.join(10)
    assert conn is None, "FFmpeg connected to a URL named inside the input file"
    assert errors and isinstance(errors[0], MediaError)


def _probe_into(path, errors):
    try:
        probe(path)
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        errors.append(exc)
