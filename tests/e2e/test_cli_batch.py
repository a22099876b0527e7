"""`anonymizer-gui batch` end to end with the real models, on a mixed folder: a photo with a face
(JPEG, and WebP in a nested folder), a short clip, a broken video and a text file. Then a resume
that redoes nothing, and a re-run from the manifest whose stills come out byte-identical."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from tests.clips import detail, make_clip
from tests.e2e.test_cli_redact import FACE_CORE

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.needs_models


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "anonymizer_gui", *args], capture_output=True, text=True,
                          env=env, timeout=240)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    from skimage import data

    root = tmp_path_factory.mktemp("batch_e2e")
    src = root / "in"
    (src / "people" / "day1").mkdir(parents=True)
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(src / "astronaut.jpg"), photo)
    cv2.imwrite(str(src / "people" / "day1" / "astronaut.webp"), photo)
    make_clip(src / "people" / "clip.mp4", frames=8)
    (src / "people" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"junk" * 64)
    (src / "labels.txt").write_text("not media")
    done = cli("batch", str(src), "-o", str(root / "out"), "--workers", "2", "--classes", "face", "--crf", "23",
               "--quiet")
    return root, done


def test_mixed_folder_with_a_broken_file(first_run):
    root, done = first_run
    out = root / "out"
    assert done.returncode == 1, done.stderr
    assert "failed: people/broken.mp4:" in done.stderr and "Traceback" not in done.stderr
    assert "3 redacted, 1 failed, 1 other files left alone" in done.stdout
    for rel in ("astronaut.jpg", "people/day1/astronaut.webp", "people/clip.mp4"):
        assert (out / rel).is_file() and (out / (rel + ".audit.json")).is_file(), rel
    before = detail(cv2.imread(str(root / "in" / "astronaut.jpg")), FACE_CORE)
    for rel in ("astronaut.jpg", "people/day1/astronaut.webp"):
        assert detail(cv2.imread(str(out / rel)), FACE_CORE) < 0.25 * before, f"{rel}: the face keeps its detail"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["program"]["name"] == "anonymizer-gui" and manifest["parameters"]["export"]["crf"] == 23
    assert [m["class"] for m in manifest["models"]] == ["face"]
    assert all(len(m["sha256"]) == 64 for m in manifest["models"])
    still = manifest["files"]["astronaut.jpg"]
    assert still["status"] == "done" and still["frames"] == 1 and still["masks_drawn"] >= 1
    assert len(still["input_sha256"]) == 64 and len(still["output_sha256"]) == 64 and still["seconds"] > 0
    assert manifest["files"]["people/clip.mp4"]["frames"] == 8
    assert manifest["files"]["people/broken.mp4"]["status"] == "failed"


def test_second_run_skips_what_is_done_and_manifest_rerun_is_byte_identical(first_run):
    root, _ = first_run
    out, again = root / "out", root / "again"
    stamp = (out / "astronaut.jpg").stat().st_mtime_ns
    resumed = cli("batch", str(root / "in"), "-o", str(out), "--classes", "face", "--crf", "23", "--quiet")
    assert resumed.returncode == 1 and "0 redacted, 3 already done, 1 failed" in resumed.stdout
    assert (out / "astronaut.jpg").stat().st_mtime_ns == stamp

    refused = cli("batch", "-o", str(again), "--manifest", str(out / "manifest.json"), "--style", "solid")
    assert refused.returncode == 1 and "drop --style" in refused.stderr
    rerun = cli("batch", "-o", str(again), "--manifest", str(out / "manifest.json"), "--quiet", "--workers", "1")
    assert rerun.returncode == 1, rerun.stderr  # the broken file is still broken
    for rel in ("astronaut.jpg", "people/day1/astronaut.webp"):
        assert (again / rel).read_bytes() == (out / rel).read_bytes(), f"{rel} differs on the re-run"
    old, new = (json.loads((d / "manifest.json").read_text()) for d in (out, again))
    assert new["parameters"] == old["parameters"] and new["models"] == old["models"]
