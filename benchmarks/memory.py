"""Peak memory (RSS) of opening a long project and exporting it, split into what grows with the
video's length and what grows with its frame size.

    .venv/bin/python -m benchmarks.memory [--minutes 10 --width 192 --height 108] [--tracks-per-minute 50]
                                          [--size-check 1920x1080 --size-seconds 8] [--verify]

An hour of 1080p takes hours to generate and export on a small machine, so the target (a 1-hour
1080p project open and exported under 1.5 GB RSS) is estimated from measured parts, each in a
fresh process (VmHWM, its own RSS high-water mark):
  long:  clips of `--minutes` / 4 and `--minutes` at a small frame size with a crowd's worth of
         tracks (`--tracks-per-minute`, each 4-16 s with a keyframe every 10 frames): RSS after
         `load_project` + `probe` (what opening it costs the core) and the peak during export_video;
         the difference of the two peaks is what each minute of video adds (frame index, project,
         report);
  size:  a short clip at `--size-check` with 20 masks per frame: the peak of its export (decoder,
         queue, renderer scratch, x264's lookahead at that size).
Estimate for an hour at the big size = size peak + per-minute growth x 60. The editor's own
widgets (timeline, thumbnails) are not included.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def _peak_mb() -> float:
    """This process's own RSS high-water mark (VmHWM). Not ru_maxrss: Linux carries the forking
    parent's RSS into a child's ru_maxrss across exec, so a child of a parent that had just
    generated an hour of video reported the parent's 602 MB instead of its own 338 MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def make_project(folder: Path, minutes: float, width: int, height: int, tracks_per_minute: int,
                 fixed_tracks: int = 0):
    """A clip of `minutes` at width x height and a project of synthetic crowd tracks over it."""
    import av
    import numpy as np

    from anonymizer_gui.core.media import probe
    from anonymizer_gui.core.project import Keyframe, MediaRef, Project, Shape, Track, save_project

    fps, frames = 25, int(round(minutes * 60 * 25))
    path = folder / f"long_{width}x{height}.mp4"
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "28"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        base = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        for i in range(frames):
            img = np.roll(base, i % width, axis=1)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    print(f"generated {frames} frames at {width}x{height} in {time.perf_counter() - t0:.0f} s", flush=True)
    info = probe(path)
    tracks = []
    n_tracks = fixed_tracks or int(tracks_per_minute * minutes)
    for i in range(n_tracks):
        start = 0 if fixed_tracks else int(rng.integers(0, max(1, frames - 250)))
        length = frames if fixed_tracks else int(rng.integers(100, 400))
        keys = list(range(start, min(frames, start + length), 10))
        w = float(rng.uniform(0.05, 0.2) * width)
        x, y = rng.uniform(0, width - w), rng.uniform(0, height - w)
        kfs = [Keyframe(k, Shape("rect", [x + j, y, x + j + w, y + w * 1.2])) for j, k in enumerate(keys)]
        tracks.append(Track(i + 1, "face", keyframes=kfs, scores={k: 0.9 for k in keys}))
    media = MediaRef(str(path), size=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                     width=info.width, height=info.height, frame_count=info.frame_count, fps=info.fps,
                     probe=info.to_json())
    project_path = folder / "long.json"
    save_project(Project(media=media, tracks=tracks), project_path)
    return project_path


def measure(project_path: Path, out: Path, verify: bool = False) -> dict:
    """In this process: open (load + probe), then export (`verify`: with the leak check of the
    written file, its detectors loading while it encodes, as the editor's export job runs it);
    RSS figures in MB."""
    from anonymizer_gui.core.export import export_video
    from anonymizer_gui.core.media import probe
    from anonymizer_gui.core.project import load_project

    start = _rss_mb()
    project = load_project(project_path)
    probe(project.media.path)
    opened = _rss_mb()
    t0 = time.perf_counter()
    check = None
    if verify:
        from anonymizer_gui.core.verify import preload_verify_detectors, verify_export

        loading = preload_verify_detectors(project)
        check = lambda path, info: verify_export(project, path, detectors=loading.result(),  # noqa: E731
                                                 check_source=False, output_info=info).to_json()
    result = export_video(project, out, check=check)
    return {"start_mb": round(start, 1), "opened_mb": round(opened, 1), "peak_mb": round(_peak_mb(), 1),
            "export_s": round(time.perf_counter() - t0, 1), "frames": project.media.frame_count,
            "tracks": len(project.tracks), "masks_drawn": result.report["settings"]["masks_drawn"]}


def _child(project_path: Path, out: Path, verify: bool = False) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--measure", str(project_path), str(out),
                           *(["--verify"] if verify else [])],
                          capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")))
    if done.returncode:
        raise RuntimeError(done.stdout + done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def add_part_arguments(ap: argparse.ArgumentParser, minutes: float) -> None:
    """The options of the parts an estimate is made of (this module and editor_memory.py)."""
    ap.add_argument("--minutes", type=float, default=minutes)
    ap.add_argument("--width", type=int, default=192)
    ap.add_argument("--height", type=int, default=108)
    ap.add_argument("--tracks-per-minute", type=int, default=50)
    ap.add_argument("--size-check", default="1920x1080")
    ap.add_argument("--size-seconds", type=float, default=8.0)
    ap.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)


def estimate_from_parts(args: argparse.Namespace, child, where: str = "") -> None:
    """Measure the parts, each by `child(project, out)` in a fresh process, and print the estimate."""
    big_w, big_h = (int(v) for v in args.size_check.split("x"))
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp:
        folder = Path(tmp)
        runs = {}
        for minutes in (args.minutes / 4.0, args.minutes):
            sub = folder / f"long{minutes:g}"
            sub.mkdir()
            runs[minutes] = run = child(make_project(sub, minutes, args.width, args.height, args.tracks_per_minute),
                                        sub / "out.mp4")
            print(f"long:  {minutes:g} min at {args.width}x{args.height}, {run['tracks']} tracks: {json.dumps(run)}",
                  flush=True)
        size_dir = folder / "size"
        size_dir.mkdir()
        size_project = make_project(size_dir, args.size_seconds / 60.0, big_w, big_h, 0, fixed_tracks=20)
        size = child(size_project, size_dir / "size_out.mp4")
        print(f"size:  {args.size_seconds:g} s at {big_w}x{big_h}: {json.dumps(size)}")
        short, long = runs[args.minutes / 4.0], runs[args.minutes]
        slope = max(0.0, long["peak_mb"] - short["peak_mb"]) / (args.minutes * 0.75)  # MB per minute of video
        estimate = size["peak_mb"] + slope * 60.0
        print(f"length costs {slope:.1f} MB per minute (peak {short['peak_mb']:.0f} MB at {args.minutes / 4:g} min, "
              f"{long['peak_mb']:.0f} MB at {args.minutes:g} min; opening: {short['opened_mb']:.0f} -> "
              f"{long['opened_mb']:.0f} MB)")
        print(f"estimate for 1 hour at {big_w}x{big_h}{where}: {size['peak_mb']:.0f} MB ({args.size_seconds:g} s) "
              f"+ {slope:.1f} MB/min x 60 = {estimate:.0f} MB (target < 1536 MB)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_part_arguments(ap, minutes=10.0)
    ap.add_argument("--verify", action="store_true",
                    help="export with the leak check, as the editor's export job does (needs the models)")
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure, verify=args.verify)))
        return 0
    estimate_from_parts(args, lambda project, out: _child(project, out, args.verify))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
