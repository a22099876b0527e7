"""`batch --ray` on a local Ray started by the command: one small run (a still, a clip and a broken
file), then a resume that needs no Ray at all. Run once in CI; skipped, saying why, without Ray."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

pytest.importorskip("ray", reason="the Ray path needs the [cluster] extra: pip install -e '.[cluster]'")

from tests.clips import make_clip  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.needs_models


def test_batch_on_a_local_ray_writes_the_same_manifest_and_resumes(tmp_path):
    from skimage import data

    src, out = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    cv2.imwrite(str(src / "astronaut.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    make_clip(src / "sub" / "clip.mp4", frames=6)
    (src / "sub" / "broken.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 40)
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_USAGE_STATS_ENABLED": "0"}
    args = [sys.executable, "-m", "anonymizer_gui", "batch", str(src), "-o", str(out), "--classes", "face",
            "--quiet", "--ray", "--workers", "1"]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "2 redacted, 1 failed" in done.stdout and "failed: sub/broken.mkv:" in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["astronaut.png"]["status"] == "done"
    assert manifest["files"]["sub/clip.mp4"]["frames"] == 6 and (out / "sub" / "clip.mp4.audit.json").is_file()
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert "0 redacted, 2 already done, 1 failed" in again.stdout, again.stderr[-3000:]
