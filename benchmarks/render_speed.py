"""Drawing cost per frame: the renderer alone, on 720p yuv420p planes with a crowd of blur masks.

    .venv/bin/python -m benchmarks.render_speed [--masks 27] [--baseline TREE] [--repeats 4]

Each run is a fresh process that draws the same masks (ellipses 30-120 px, default style, some
overlapping) 50 times into the same planes with OpenCV on one thread (as the export runs it) and
reports CPU ms per frame. With --baseline, the renderer of another source tree (e.g. `git archive
main | tar -x -C TREE`) runs too, alternating with ours.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys, time
import cv2, numpy as np
from anonymizer_gui.core.project import MaskStyle, Shape
from anonymizer_gui.core.render.masks import PlaneLayout, render_planes
cv2.setNumThreads(1)
n = int(sys.argv[1])
rng = np.random.default_rng(0)
W, H = 1280, 720
planes = [rng.integers(0, 256, (H, W), np.uint8), rng.integers(0, 256, (H // 2, W // 2), np.uint8),
          rng.integers(0, 256, (H // 2, W // 2), np.uint8)]
layout = PlaneLayout("yuv", ((1.0, 1.0), (0.5, 0.5), (0.5, 0.5)))
masks = []
for i in range(n):
    s = 30 + (i * 37) % 90
    x, y = 50 + (i * 211) % 1100, 50 + (i * 97) % 560
    masks.append((Shape("ellipse", [x, y, x + s, y + s * 1.3]), MaskStyle()))
for _ in range(5):
    render_planes(planes, layout, masks)
c0 = time.process_time()
for _ in range(50):
    render_planes(planes, layout, masks)
print(json.dumps({"cpu_ms": (time.process_time() - c0) / 50 * 1000}))
"""


def _run(tree: Path, masks: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(masks)], capture_output=True, text=True, cwd=tree,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["cpu_ms"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--masks", type=int, default=27)
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--repeats", type=int, default=4)
    args = ap.parse_args(argv)
    trees = {"ours": REPO, **({"base": args.baseline.resolve()} if args.baseline else {})}
    cpu: dict[str, list[float]] = {k: [] for k in trees}
    for r in range(args.repeats):
        for name in (list(trees) if r % 2 == 0 else list(trees)[::-1]):
            cpu[name].append(_run(trees[name], args.masks))
            print(f"  run {r + 1} {name}: {cpu[name][-1]:.2f} ms CPU per frame", flush=True)
    for name, values in cpu.items():
        print(f"{name}: median {statistics.median(values):.2f} ms CPU per 720p frame, {args.masks} blur masks")
    if args.baseline:
        print(f"base / ours: {statistics.median(cpu['base']) / statistics.median(cpu['ours']):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
