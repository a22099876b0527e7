"""End to end: `anonymizer-gui export` on a generated clip, checked pixel by pixel.

The clip is portrait (rotated 90) with a variable frame rate, B-frames and two audio tracks.
The project holds an automatic rect track that follows a moving checkerboard with keyframes
only every 8 frames (so most frames are interpolated) and a manual ellipse over a still noise
patch. In every frame the detail inside both is gone; outside the masks (beyond margin,
feather and a band for the codec's blocks) the frame matches the source within codec noise.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from anonymizer_gui.cli import main
from anonymizer_gui.core.project.interpolate import masks_at
from anonymizer_gui.core.media import FrameReader, probe
from anonymizer_gui.core.project.model import Keyframe, MaskStyle, Project, Shape, Track
from anonymizer_gui.core.render.masks import mask_extent
from tests.clips import MovingBox, Tone, detail, make_clip, read_frame_number
from tests.core.export_fixtures import audio_summary, box_track, frame_times, media_ref
from anonymizer_gui.core.project import save_project

FRAMES = 30
CODEC_BAND = 12  # px around a mask where re-encoding the changed pixels may spill over
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e_export")
    boxes = (MovingBox(x=20, y=60, w=44, h=44, vx=5, vy=2, texture="checker", cell=3, seed=1),
             MovingBox(x=220, y=140, w=50, h=40, texture="noise", seed=2))
    truth = make_clip(folder / "street.mp4", width=320, height=240, frames=FRAMES, boxes=boxes, vfr=True,
                      rotation=90, bframes=2, audio=[Tone(440), Tone(660, channels=2, language="deu")],
                      tags={"location": "+52.5200+013.4050/"})
    auto = box_track(truth, 0, 1, every=8)
    assert len(auto.keyframes) == 5  # 0, 8, 16, 24, 29: most frames come from interpolation
    x1, y1, x2, y2 = truth.boxes[0][1]
    cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * 0.72, (y2 - y1) * 0.72  # circumscribes the patch
    ellipse = Shape("ellipse", [cx - rx, cy - ry, cx + rx, cy + ry])
    manual = Track(2, "face", source="manual", style=MaskStyle("blur", margin=0.1),
                   keyframes=[Keyframe(0, ellipse), Keyframe(FRAMES - 1, ellipse.copy())],
                   reason="passer-by, drawn by hand")
    project = Project(media=media_ref(truth), tracks=[auto, manual])
    project_path = folder / "street.json"
    save_project(project, project_path)
    return folder, truth, project, project_path


@pytest.fixture(scope="module")
def exported(scene):
    folder, truth, project, project_path = scene
    out = folder / "street-redacted.mp4"
    code = main(["export", str(project_path), "-o", str(out), "--quiet"])
    assert code == 0
    return out


def _guarded(extent, guard: int, shape_hw) -> tuple[slice, slice]:
    x1, y1, x2, y2 = extent
    h, w = shape_hw
    return (slice(max(0, int(y1) - guard), min(h, int(np.ceil(y2)) + guard)),
            slice(max(0, int(x1) - guard), min(w, int(np.ceil(x2)) + guard)))


def test_every_masked_shape_loses_its_detail_in_every_frame(scene, exported):
    _, truth, project, _ = scene
    with FrameReader(exported) as out, FrameReader(truth.path) as src:
        for i in range(FRAMES):
            img, ref = out.read(i), src.read(i)
            assert read_frame_number(img) == i  # the right frame, in the right place
            for box in truth.boxes[i]:
                assert detail(ref, box) > 100
                assert detail(img, box) < 0.03 * detail(ref, box), (i, box)


def test_outside_the_masks_the_frame_matches_the_source(scene, exported):
    _, truth, project, _ = scene
    with FrameReader(exported) as out, FrameReader(truth.path) as src:
        for i in range(FRAMES):
            img, ref = out.read(i).astype(np.float64), src.read(i).astype(np.float64)
            keep = np.ones(img.shape[:2], bool)
            for _, shape, style in masks_at(project, i):
                keep[_guarded(mask_extent(shape, style), CODEC_BAND, keep.shape)] = False
            assert keep.mean() > 0.6
            diff = np.abs(img[keep] - ref[keep])
            mse = float((diff ** 2).mean())
            psnr = 10 * np.log10(255 ** 2 / max(mse, 1e-9))
            assert diff.mean() < 1.5 and psnr > 38, (i, diff.mean(), psnr)


def test_frames_time_stamps_rotation_and_audio_are_kept(scene, exported):
    _, truth, _, _ = scene
    src, dst = probe(truth.path), probe(exported)
    assert dst.frame_count == src.frame_count == FRAMES
    assert frame_times(exported) == frame_times(truth.path)
    assert dst.vfr and dst.rotation == 90 and (dst.width, dst.height) == (320, 240)
    assert audio_summary(exported) == audio_summary(truth.path)
    assert "location" not in dst.tags and b"52.5200" not in exported.read_bytes()


def test_the_report_sits_beside_the_output(scene, exported):
    report = json.loads(exported.with_name(exported.name + ".audit.json").read_text())
    tracks = {t["id"]: t for t in report["tracks"]}
    assert tracks[1]["masked_ranges"] == [[0, FRAMES - 1]] and tracks[1]["source"] == "auto"
    assert tracks[2]["source"] == "manual" and tracks[2]["reason"] == "passer-by, drawn by hand"
    assert report["frames"]["with_mask"] == FRAMES
    assert "location" in report["metadata"]["stripped"]  # MP4 also lists it as location-eng


def test_the_console_script_form_prints_where_it_wrote(scene, tmp_path):
    _, _, _, project_path = scene
    out = tmp_path / "again.mkv"
    run = subprocess.run([sys.executable, "-m", "anonymizer_gui", "export", str(project_path), "-o", str(out),
                          "--preset", "ultrafast", "--crf", "23", "--report", str(tmp_path / "audit.json")],
                         capture_output=True, text=True, timeout=150)
    assert run.returncode == 0, run.stderr
    assert f"wrote {out} ({FRAMES} frames, {FRAMES} with masks)" in run.stdout
    assert f"audit report: {tmp_path / 'audit.json'}" in run.stdout
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["settings"]["crf"] == 23 and report["settings"]["preset"] == "ultrafast"
    assert probe(out).frame_count == FRAMES
