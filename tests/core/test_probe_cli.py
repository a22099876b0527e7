"""`anonymizer-gui probe FILE [--json] [--frames]` on the clips of acceptance 2 of issue 3."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from anonymizer_gui.cli import main
from tests.clips import Tone, make_clip, make_still

REPO_ROOT = Path(__file__).resolve().parents[2]

CLIPS = {
    "vfr.mp4": dict(vfr=True, frames=24),
    "rotated.mp4": dict(rotation=90, width=240, height=160, frames=12),
    "bframes.mov": dict(bframes=3, gop=8, frames=24),
    "multi_audio.mkv": dict(frames=12, audio=[Tone(440, 1, 48000, "eng"), Tone(550, 2, 44100, "spa")],
                            subtitles=("eng",)),
    "clip.webm": dict(frames=12, audio=[Tone(440, 2, 48000, "fra")]),
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    return {name: make_clip(folder / name, **kw) for name, kw in CLIPS.items()}


def _probe_json(capsys, *argv) -> dict:
    assert main(["probe", *map(str, argv), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)  # exactly one JSON document, nothing else on stdout


@pytest.mark.parametrize("name", CLIPS)
def test_json_is_right(clips, capsys, name):
    truth = clips[name]
    got = _probe_json(capsys, truth.path)
    assert (got["width"], got["height"]) == (truth.width, truth.height)
    assert got["rotation"] == truth.rotation
    assert got["frame_count"] == truth.frames
    assert got["vfr"] is truth.vfr
    assert got["audio_streams"] == len(truth.audio)
    assert got["fps"] == pytest.approx(truth.fps, rel=0.05 if truth.vfr else 0.001)  # VFR: last frame guessed
    assert got["duration"] == pytest.approx(truth.duration, abs=0.07)
    assert got["container"] == {"mp4": "mp4", "mov": "mov", "mkv": "matroska", "webm": "webm"}[truth.container]
    assert got["codec"] == {"libx264": "h264", "libvpx-vp9": "vp9"}[truth.codec]
    assert isinstance(got["tags"], dict)
    video = [s for s in got["streams"] if s["kind"] == "video"]
    audio = [s for s in got["streams"] if s["kind"] == "audio"]
    assert len(video) == 1 and video[0]["rotation"] == truth.rotation
    assert [(a["channels"], a["sample_rate"], a["language"]) for a in audio] == [
        (t.channels, t.sample_rate, t.language) for t in truth.audio]
    assert "frames" not in got


def test_multi_audio_lists_subtitles_too(clips, capsys):
    got = _probe_json(capsys, clips["multi_audio.mkv"].path)
    kinds = [s["kind"] for s in got["streams"]]
    assert kinds == ["video", "audio", "audio", "subtitle"]
    assert got["subtitle_streams"] == 1


@pytest.mark.parametrize("name", ["vfr.mp4", "bframes.mov"])
def test_frames_lists_every_time_stamp(clips, capsys, name):
    truth = clips[name]
    got = _probe_json(capsys, truth.path, "--frames")
    frames = got["frames"]
    assert [f["index"] for f in frames] == list(range(truth.frames))
    assert [f["pts"] for f in frames] == list(truth.pts)
    assert [f["time"] for f in frames] == pytest.approx([t - truth.times[0] for t in truth.times], abs=1e-6)


def test_readable_summary(clips, capsys):
    truth = clips["rotated.mp4"]
    assert main(["probe", str(truth.path)]) == 0
    out = capsys.readouterr().out
    assert "240x160" in out and "rotated 90" in out and "coded 160x240" in out
    assert "12 over" in out
    vfr = clips["vfr.mp4"]
    assert main(["probe", str(vfr.path), "--frames"]) == 0
    out = capsys.readouterr().out
    assert "variable" in out
    assert len([line for line in out.splitlines() if line.startswith("  ") and line.split()[0].isdigit()]) == 24


def test_still_through_the_cli(tmp_path, capsys):
    still = make_still(tmp_path / "p.jpg", width=200, height=100, exif_orientation=6)
    got = _probe_json(capsys, still.path)
    assert got["is_still"] is True and got["frame_count"] == 1
    assert (got["width"], got["height"], got["rotation"]) == (200, 100, 90)


def test_module_entry_point_prints_json(clips):
    # The real command line in a child process: `python -m anonymizer_gui probe FILE --json`.
    truth = clips["clip.webm"]
    done = subprocess.run([sys.executable, "-m", "anonymizer_gui", "probe", str(truth.path), "--json"],
                          capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["frame_count"] == truth.frames
