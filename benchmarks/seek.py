"""Random-access and sequential decode speed of core.media on a generated 1080p H.264 clip.

    .venv/bin/python benchmarks/seek.py [--reads 50] [--seconds 10] [--gop 50] [--bframes 3]

Prints the time to probe, median and p95 of FrameReader.read at random indices (fixed seed),
sequential FrameReader.read(i), i+1, ... and iter_frames speed. Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anonymizer_gui.core.media import FrameReader, iter_frames, probe  # noqa: E402
from tests.clips import make_clip, read_frame_number  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--gop", type=int, default=50)
    parser.add_argument("--bframes", type=int, default=3)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        frames = int(args.seconds * args.fps)
        t0 = time.perf_counter()
        truth = make_clip(Path(folder) / "seek.mp4", width=args.width, height=args.height, frames=frames,
                          fps=args.fps, gop=args.gop, bframes=args.bframes, preset="veryfast", crf=20)
        made = time.perf_counter() - t0

        t0 = time.perf_counter()
        info = probe(truth.path)
        probed = time.perf_counter() - t0

        rng = random.Random(args.seed)
        indices = [rng.randrange(info.frame_count) for _ in range(args.reads)]
        times, wrong = [], 0
        with FrameReader(truth.path, info) as reader:
            reader.read(0)  # opening costs (decoder threads) are not a seek
            for i in indices:
                t0 = time.perf_counter()
                img = reader.read(i)
                times.append(time.perf_counter() - t0)
                wrong += read_frame_number(img) != i
            t0 = time.perf_counter()
            for i in range(info.frame_count):
                reader.read(i)
            sequential_reads = info.frame_count / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        count = sum(1 for _ in iter_frames(truth.path, info=info))
        iter_fps = count / (time.perf_counter() - t0)

    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    rows = [
        ("clip", f"{args.width}x{args.height} H.264, {frames} frames @ {args.fps} fps, "
                 f"gop {args.gop}, {args.bframes} B-frames (made in {made:.1f} s)"),
        ("probe (index every frame)", f"{probed * 1000:.0f} ms"),
        (f"random read, median of {args.reads}", f"{statistics.median(times) * 1000:.1f} ms"),
        ("random read, p95", f"{p95 * 1000:.1f} ms"),
        ("random read, max", f"{times[-1] * 1000:.1f} ms"),
        ("wrong frames returned", str(wrong)),
        ("sequential FrameReader.read(i)", f"{sequential_reads:.1f} fps"),
        ("iter_frames (BGR, display)", f"{iter_fps:.1f} fps"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
