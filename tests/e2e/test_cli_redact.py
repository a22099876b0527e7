"""`anonymizer-gui redact` end to end, with the real detector models, on a clip made from a real photo.

The clip films scikit-image's astronaut photograph (Eileen Collins, public domain) through a virtual
camera that pans and tilts by a known path, so the face's box in every frame is known exactly. The
checks are on the output pixels: the face's detail is gone in every frame, the rest of the picture
keeps its detail, every frame is there and the audio track is kept.

These tests need the detector weights (`anonymizer-gui models fetch`). Without them they FAIL, with
the CLI's message naming that command: a redaction tool whose end-to-end test silently skips is a
tool nobody has checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from anonymizer_gui.core.media import iter_frames, probe
from tests.clips import detail
from anonymizer_gui.core.project import load_project

REPO = Path(__file__).resolve().parents[2]
FRAMES = 36
FPS = 25
SIZE = (320, 240)  # camera window, display pixels
FACE_IN_PHOTO = (182.0, 59.0, 270.0, 177.0)  # the astronaut's face, photo pixels
FACE_CORE = (196.0, 78.0, 256.0, 160.0)  # inner part of the face (eyes, nose, mouth): detail that must go
SUIT_PATCH = (150.0, 220.0, 200.0, 258.0)  # the suit below the face, in every frame: detail that must stay

pytestmark = pytest.mark.needs_models


def camera_offset(frame: int) -> tuple[int, int]:
    """Top-left corner of the camera window in the photo: a pan right and a tilt down."""
    return 40 + 3 * frame, 20 + frame


def shifted(box, frame: int):
    ox, oy = camera_offset(frame)
    return (box[0] - ox, box[1] - oy, box[2] - ox, box[3] - oy)


def make_pan_clip(path: Path) -> Path:
    from skimage import data

    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    w, h = SIZE
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"crf": "16", "preset": "veryfast"}
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for i in range(FRAMES):
            ox, oy = camera_offset(i)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(photo[oy:oy + h, ox:ox + w]), format="bgr24")
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        samples = int(48000 * FRAMES / FPS)
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 48000)).astype(np.float32)[None, :]
        step = 1024
        for start in range(0, samples, step):
            chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone[:, start:start + step]), format="fltp",
                                               layout="mono")
            chunk.sample_rate = 48000
            chunk.pts = start
            chunk.time_base = Fraction(1, 48000)
            for packet in audio.encode(chunk):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "anonymizer_gui", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=240)


@pytest.fixture(scope="module")
def pan_clip(tmp_path_factory) -> Path:
    return make_pan_clip(tmp_path_factory.mktemp("redact") / "astronaut_pan.mp4")


def test_redact_removes_the_face_in_every_frame_and_keeps_audio_and_frames(pan_clip, tmp_path):
    out = tmp_path / "redacted.mp4"
    project_file = tmp_path / "analysed.json"
    done = run_cli("redact", str(pan_clip), "-o", str(out), "--classes", "face", "--device", "cpu",
                   "--project", str(project_file), "--quiet")
    assert done.returncode == 0, f"redact failed ({done.returncode}):\n{done.stderr}"
    assert "CPU" in done.stderr  # the device choice and its reason are printed

    src, dst = probe(pan_clip), probe(out)
    assert dst.frame_count == src.frame_count == FRAMES
    assert (dst.width, dst.height) == SIZE
    assert len(dst.audio) == 1 and abs(dst.duration - src.duration) < 0.1

    before = dict(iter_frames(pan_clip))
    after = dict(iter_frames(out))
    assert sorted(after) == list(range(FRAMES))
    for i in range(FRAMES):
        face = shifted(FACE_CORE, i)
        suit = shifted(SUIT_PATCH, i)
        assert detail(after[i], face) < 0.25 * detail(before[i], face), f"face detail left in frame {i}"
        assert detail(after[i], suit) > 0.6 * detail(before[i], suit), f"suit blurred in frame {i}"

    project = json.loads(project_file.read_text())
    faces = [t for t in project["tracks"] if t["label"] == "face"]
    assert len(faces) == 1 and faces[0]["source"] == "auto"
    assert len(faces[0]["keyframes"]) < FRAMES / 2
    assert project["analysis"]["models"][0]["sha256"]


def test_redact_remove_audio_drops_the_audio(pan_clip, tmp_path):
    out = tmp_path / "silent.mp4"
    done = run_cli("redact", str(pan_clip), "-o", str(out), "--classes", "face", "--device", "cpu",
                   "--remove-audio", "--quiet")
    assert done.returncode == 0, f"redact failed ({done.returncode}):\n{done.stderr}"
    assert probe(out).audio == () and probe(out).frame_count == FRAMES
    report = json.loads((tmp_path / "silent.mp4.audit.json").read_text())
    assert report["audio"]["removed"] is True
    assert [s["action"] for s in report["streams"] if s["kind"] == "audio"] == ["drop"]


def test_analyze_writes_a_project_whose_track_follows_the_face(pan_clip, tmp_path):
    project_file = tmp_path / "p.json"
    done = run_cli("analyze", str(pan_clip), "-o", str(project_file), "--classes", "face,plate",
                   "--threshold", "face=0.3", "--device", "cpu", "--quiet")
    assert done.returncode == 0, f"analyze failed ({done.returncode}):\n{done.stderr}"
    assert "found 1 face" in done.stdout

    from anonymizer_gui.core.project.interpolate import shape_at
    from anonymizer_gui.core.project.model import Project

    project = load_project(project_file)
    assert project.media.frame_count == FRAMES and project.analysis["thresholds"]["face"] == 0.3
    face = next(t for t in project.tracks if t.label == "face")
    for i in range(FRAMES):
        x1, y1, x2, y2 = shape_at(face, i).bbox()
        fx1, fy1, fx2, fy2 = shifted(FACE_CORE, i)
        assert x1 <= fx1 and y1 <= fy1 and x2 >= fx2 and y2 >= fy2, f"frame {i}: mask misses the face"


def test_redact_a_still_photo(tmp_path):
    from skimage import data

    photo = tmp_path / "astronaut.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    out = tmp_path / "astronaut_redacted.jpg"
    done = run_cli("redact", str(photo), "-o", str(out), "--classes", "face", "--device", "cpu", "--quiet")
    assert done.returncode == 0, f"redact of a still failed ({done.returncode}):\n{done.stderr}"
    before, after = cv2.imread(str(photo)), cv2.imread(str(out))
    assert after.shape == before.shape
    assert detail(after, FACE_CORE) < 0.25 * detail(before, FACE_CORE)
    assert detail(after, SUIT_PATCH) > 0.6 * detail(before, SUIT_PATCH)


def test_bad_arguments_are_one_line_user_errors(pan_clip, tmp_path):
    done = run_cli("analyze", str(pan_clip), "-o", str(tmp_path / "p.json"), "--threshold", "face=2")
    assert done.returncode == 1 and done.stderr.strip().startswith("error:") and "Traceback" not in done.stderr
    done = run_cli("analyze", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "p.json"))
    assert done.returncode == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["analyze", "redact"])
def test_a_file_that_is_no_video_is_refused_before_the_models_load(tmp_path, monkeypatch, capsys, command):
    import anonymizer_gui.cli.analyze as cli_analyze
    from anonymizer_gui.cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("the models were loaded for a file that cannot be read")

    monkeypatch.setattr(cli_analyze, "load_detectors", forbidden)
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n")
    out = tmp_path / ("p.json" if command == "analyze" else "o.mp4")
    assert main([command, str(bad), "-o", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "notes.mp4" in err and "not a video file" in err
    assert not out.exists()
