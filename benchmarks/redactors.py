"""The things the benchmarks run on a clip: our CLI, deface, and reference redactions for validation.

Each redactor turns an input clip into an output clip and reports how long that took. Ours and
deface run as separate processes (their real command lines), so start-up and model loading count.
The reference redactors use the ground truth itself; they exist to check that the score measures
what it claims (see scoring.py and `accuracy.py --validate`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import av
import cv2
import numpy as np

from benchmarks.scenes import FPS, SceneClip

REPO = Path(__file__).resolve().parents[1]


@dataclass
class RunResult:
    output: Path
    seconds: float
    command: list[str] = field(default_factory=list)
    log_tail: str = ""
    project: Path | None = None  # our analysed project (tracks, review flags, analysis fps)


def decode_bgr(path: Path) -> Iterator[np.ndarray]:
    """Every frame of the first video stream, in presentation order, as BGR."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_ndarray(format="bgr24")


def _run(cmd: list[str], output: Path, env: dict | None = None, cwd: Path | None = None) -> RunResult:
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        output.unlink()
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    seconds = time.perf_counter() - start
    tail = (done.stdout + done.stderr)[-1500:]
    if done.returncode != 0 or not output.is_file():
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{tail}")
    return RunResult(output, seconds, cmd, tail)


class OursCLI:
    """`anonymizer-gui redact IN -o OUT [extra...]`, the one-step path a user runs.

    `user_manifest`: run with ANONYMIZER_GUI_USER_MANIFEST pointing there, i.e. with model entries
    (e.g. other detector params) replaced the way a user can replace them.
    """

    def __init__(self, name: str = "ours", extra: tuple[str, ...] = (), user_manifest: Path | None = None):
        self.name, self.extra, self.user_manifest = name, extra, user_manifest

    def describe(self) -> str:
        um = f"ANONYMIZER_GUI_USER_MANIFEST={self.user_manifest.name} " if self.user_manifest else ""
        return um + "anonymizer-gui redact IN -o OUT " + " ".join(self.extra)

    def run(self, clip: SceneClip, output: Path) -> RunResult:
        project = project_path(output)
        project.unlink(missing_ok=True)
        # --no-verify: the leak check re-reads the output; the benchmark scores the pixels itself
        cmd = [sys.executable, "-m", "anonymizer_gui", "redact", str(clip.path), "-o", str(output),
               "--project", str(project), "--no-verify", *self.extra]
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        if self.user_manifest is not None:
            env["ANONYMIZER_GUI_USER_MANIFEST"] = str(self.user_manifest)
        result = _run(cmd, output, env=env, cwd=REPO)
        result.project = project
        return result


def project_path(output: Path) -> Path:
    """Where our redactor keeps the project of `output`."""
    return output.with_suffix(".project.json")


class Deface:
    """deface 1.5.0 in its own venv, default settings unless `extra` says otherwise."""

    def __init__(self, name: str = "deface", extra: tuple[str, ...] = ()):
        self.name, self.extra = name, extra

    def describe(self) -> str:
        return "deface IN -o OUT " + " ".join(self.extra)

    def run(self, clip: SceneClip, output: Path) -> RunResult:
        from benchmarks.deface_env import ensure_deface

        exe = ensure_deface()
        return _run([str(exe), str(clip.path), "-o", str(output), *self.extra], output)


def _encode(frames: Iterator[np.ndarray], output: Path, crf: int = 23) -> None:
    """H.264 at a typical delivery quality, so validation sees real codec noise."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(output), "w") as container:
        stream = None
        for img in frames:
            if stream is None:
                stream = container.add_stream("libx264", rate=FPS)
                stream.width, stream.height, stream.pix_fmt = img.shape[1], img.shape[0], "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)


def _blur_box(img: np.ndarray, box, strength: float, part: str = "all") -> None:
    """Gaussian blur over an ellipse round the box grown by 25 % (a typical redaction mask)."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    gx1, gy1 = int(max(0, x1 - 0.25 * w)), int(max(0, y1 - 0.25 * h))
    gx2, gy2 = int(min(img.shape[1], x2 + 0.25 * w)), int(min(img.shape[0], y2 + 0.25 * h))
    if gx2 - gx1 < 2 or gy2 - gy1 < 2:
        return
    roi = img[gy1:gy2, gx1:gx2]
    sigma = max(0.5, strength * min(w, h))
    blurred = cv2.GaussianBlur(roi, (0, 0), sigma)
    mask = np.zeros(roi.shape[:2], np.uint8)
    centre = (int((x1 + x2) / 2) - gx1, int((y1 + y2) / 2) - gy1)
    cv2.ellipse(mask, centre, (int(0.75 * w), int(0.75 * h)), 0, 0, 360, 1, -1)
    if part == "left_half":
        mask[:, max(0, int((x1 + x2) / 2) - gx1):] = 0
    roi[mask.astype(bool)] = blurred[mask.astype(bool)]


class Reference:
    """Validation redactions from the ground truth: `blur` (strong, sigma = box/6), `weak` (sigma =
    box/40: a face still half readable), `half` (left half of each box only) and `none` (re-encode)."""

    MODES = {"blur": (1 / 6, "all"), "weak": (1 / 40, "all"), "half": (1 / 6, "left_half"), "none": (0.0, "none")}

    def __init__(self, mode: str):
        if mode not in self.MODES:
            raise ValueError(mode)
        self.mode = mode
        self.name = f"ref-{mode}"

    def describe(self) -> str:
        return f"reference: {self.mode} on the ground truth, then H.264 CRF 23"

    def run(self, clip: SceneClip, output: Path) -> RunResult:
        strength, part = self.MODES[self.mode]

        def frames():
            for i, img in enumerate(decode_bgr(clip.path)):
                if part != "none":
                    for gt in clip.truth[i]:
                        _blur_box(img, gt.box, strength, part)
                yield img

        start = time.perf_counter()
        _encode(frames(), output)
        return RunResult(output, time.perf_counter() - start, ["(in process)"])
