"""Batch speed: one HD still on the CPU, and files per minute for a folder of short clips.

    .venv/bin/python -m benchmarks.batch_speed [--repeat 7] [--clips 8] [--seconds 2] [--workers N]

1. An HD still (1280x720, and 1920x1080; JPEG: the astronaut photograph on a textured background)
   is redacted with redact_file, faces only and faces + plates, on the CPU, detectors loaded once and one warm-up run
   first; prints the median wall and CPU milliseconds per image (analysis, mask, JPEG encode,
   the input and output checks and the report).
2. A folder of short clips (640x360, 25 fps, moving textured boxes) goes through run_batch on the
   process pool exactly as `anonymizer-gui batch` runs it, worker start-up and model loading
   included; prints files per minute and frames per second.
Not run in CI; on a shared machine the wall time mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from anonymizer_gui.core.analysis import AnalysisSettings, load_detectors  # noqa: E402
from anonymizer_gui.core.batch import ProcessBackend, RedactParams, redact_file, run_batch  # noqa: E402
from tests.clips import make_clip  # noqa: E402


def hd_still(path: Path, width: int, height: int) -> Path:
    from skimage import data

    rng = np.random.default_rng(0)
    canvas = rng.integers(60, 200, size=(height, width, 3), dtype=np.uint8)
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    y, x = (height - 512) // 2, (width - 512) // 2
    canvas[y:y + 512, x:x + 512] = photo
    cv2.imwrite(str(path), canvas, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def time_still(folder: Path, repeat: int, width: int, height: int, classes: tuple[str, ...]) -> None:
    params = RedactParams(AnalysisSettings(classes=classes, device="cpu"))
    detectors = load_detectors(params.analysis.classes, params.analysis)
    src = hd_still(folder / f"still_{width}.jpg", width, height)
    walls, cpus = [], []
    for i in range(repeat + 1):
        out = folder / f"out_{width}_{'_'.join(classes)}_{i}.jpg"
        w0, c0 = time.perf_counter(), time.process_time()
        done = redact_file(src, out, params, detectors=detectors)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if i:  # the first run warms up onnxruntime
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
    masks = done.export.report["settings"]["masks_drawn"]
    print(f"still {width}x{height}, {'+'.join(classes)}, CPU: median {statistics.median(walls):.0f} ms wall, "
          f"{statistics.median(cpus):.0f} ms CPU (all threads), {masks} masks, {repeat} runs")


def time_folder(folder: Path, clips: int, seconds: float, workers: int | None) -> None:
    src = folder / "clips"
    src.mkdir()
    frames = int(seconds * 25)
    for i in range(clips):
        make_clip(src / f"clip{i:02d}.mp4", width=640, height=360, frames=frames)
    params = RedactParams(AnalysisSettings(device="cpu"))
    backend = ProcessBackend(workers)
    w0 = time.perf_counter()
    summary = run_batch(src, folder / "out", params, backend=backend)
    wall = time.perf_counter() - w0
    assert not summary.failed, summary.failed
    print(f"{clips} clips of {seconds:g} s (640x360, {frames} frames): {wall:.1f} s wall, "
          f"{clips / wall * 60:.1f} files/minute, {clips * frames / wall:.1f} frames/s "
          f"({backend.workers or 'default'} workers, start-up included)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in ((1280, 720), (1920, 1080)):
            for classes in (("face",), ("face", "plate")):
                time_still(Path(tmp), args.repeat, width, height, classes)
        time_folder(Path(tmp), args.clips, args.seconds, args.workers)


if __name__ == "__main__":
    main()
