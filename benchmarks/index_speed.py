"""How long `probe` takes to index a long video (its frame index: every frame's time stamp).

    .venv/bin/python -m benchmarks.index_speed [--minutes 15 60] [--baseline TREE] [--repeats 2]

Generates clips of each length at 192x108, 25 fps (the frame count is what indexing pays for, not
the frame size), then probes each one in a fresh process per tree, alternating, and prints the
medians. Every opening, export, output check and leak check of a file probes it once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys, time
from anonymizer_gui.core.media import probe
t = time.perf_counter()
info = probe(sys.argv[1])
print(json.dumps({"s": time.perf_counter() - t, "frames": info.frame_count}))
"""


def make_clip(path: Path, minutes: float) -> None:
    import av
    import numpy as np

    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (108, 192, 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "35"})
        stream.width, stream.height, stream.pix_fmt = 192, 108, "yuv420p"
        for i in range(int(round(minutes * 60 * 25))):
            frame = av.VideoFrame.from_ndarray(np.roll(base, i % 192, axis=1), format="bgr24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _probe_in(tree: Path, clip: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(clip)], capture_output=True, text=True, cwd=tree,
                          env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[15.0, 60.0])
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    trees = {"ours": REPO, **({"base": args.baseline.resolve()} if args.baseline else {})}
    with tempfile.TemporaryDirectory(prefix="index-speed-") as tmp:
        for minutes in args.minutes:
            clip = Path(tmp) / f"{minutes:g}min.mp4"
            make_clip(clip, minutes)
            times: dict[str, list[float]] = {name: [] for name in trees}
            frames = 0
            for r in range(args.repeats):
                for name in (list(trees) if r % 2 == 0 else list(trees)[::-1]):
                    result = _probe_in(trees[name], clip)
                    times[name].append(result["s"])
                    frames = result["frames"]
            print(f"{minutes:g} min ({frames} frames): " + ", ".join(
                f"{name} {statistics.median(v):.2f} s" for name, v in times.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
