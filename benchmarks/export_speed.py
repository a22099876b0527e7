"""Export speed against a plain PyAV transcode with identical encoder settings.

    .venv/bin/python -m benchmarks.export_speed [--seconds 10] [--width 1920 --height 1080]
                                                [--repeat 2] [--texture checker|noise] [--crowd 17]
                                                [--baseline TREE]

Generates a clip (25 fps, three moving textured boxes, an AAC track) and a project with one
track per box (keyframes every 10 frames, so interpolation runs), then times, alternating the
order: a plain transcode (decode, libx264 preset medium CRF 18, audio copied, decoder and encoder
threading as in the export) and export_video (the same plus rendering every mask, the input
and output checks and the report). Prints the medians and export speed / transcode speed.

A third timing transcodes the redacted output the same plain way: the encoder's cost depends on
the picture, and a smooth moving blur costs x264 more than a synthetic texture that moves
rigidly. Its ratio to the export isolates the pipeline's own overhead (decode thread, drawing,
checks). CPU seconds (all threads of the process) are printed beside wall time, because on a
shared machine the wall time mostly measures the neighbours. Not run in CI.

--scene NAME: instead of the generated boxes, a benchmark scene of benchmarks/scenes.py (real face
photos moving over real backgrounds, e.g. crowd_street: ~20 faces per frame at 720p) with one
ellipse track per ground-truth face, a keyframe on every frame it is seen (as an analysis makes).

--decompose: where the export's CPU goes, ours only, in this process, alternating: the plain
transcode; the export with no mask drawn (the pipeline and its checks); the export drawing every
mask into a scratch copy of the frame while the encoder gets the untouched frame (+ the drawing);
the full export (+ x264's work on the redacted picture instead of the original).

--baseline TREE (another source tree, e.g. `git archive main | tar -x -C TREE`): both trees'
export_video run in child processes of their own (same clip, same project file), alternating with
each other and with the plain transcodes; each child times only the export_video call.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from anonymizer_gui.core.export.video import export_video  # noqa: E402
from anonymizer_gui.core.media import probe  # noqa: E402
from anonymizer_gui.core.project.model import (ExportSettings, Keyframe, MediaRef, Project, Shape,  # noqa: E402
                                         Track)
from tests.clips import MovingBox, Tone, make_clip  # noqa: E402


def make_inputs(folder: Path, seconds: float, width: int, height: int, texture: str = "checker",
                crowd: int = 0):
    s = min(width, height)
    # Three face-sized boxes (about 110 to 320 px at 1080p). "noise" is the encoder's worst case
    # for the ratio: x264 gives up early on noise but works harder on the smooth masks that replace it.
    second = "noise" if texture == "noise" else "checker"
    boxes = (
        MovingBox(x=width // 10, y=height // 3, w=int(0.22 * s), h=int(0.22 * s), vx=width // 120,
                  vy=height // 200, texture="checker", cell=3, seed=1),
        MovingBox(x=width // 2, y=height // 2, w=int(0.30 * s), h=int(0.25 * s), vx=-width // 150,
                  vy=-height // 250, texture=second, cell=5, seed=2),
        MovingBox(x=width * 3 // 4, y=height // 5, w=int(0.10 * s), h=int(0.12 * s), vx=-width // 200,
                  vy=height // 150, texture=second, cell=2, seed=3),
    )
    # --crowd N: N more, smaller boxes (4-17 % of the short side: 30-120 px at 720p) drifting
    # slowly over a grid, some overlapping: a crowd's masks.
    cols = max(1, int(round((crowd * width / height) ** 0.5)))
    boxes += tuple(
        MovingBox(x=int((n % cols + 0.2) * width / cols), y=int((n // cols + 0.2) * height / -(-crowd // cols)),
                  w=int((0.04 + 0.13 * ((n * 7) % 11) / 10) * s), h=int((0.05 + 0.15 * ((n * 7) % 11) / 10) * s),
                  vx=(n % 5) - 2, vy=(n % 3) - 1, texture=second if n % 2 else "checker", cell=2 + n % 3,
                  seed=10 + n)
        for n in range(crowd))
    frames = int(round(seconds * 25))
    t0 = time.perf_counter()
    truth = make_clip(folder / "bench.mp4", width=width, height=height, frames=frames, fps=25, boxes=boxes,
                      audio=[Tone(440, channels=2)], preset="veryfast", crf=18)
    print(f"generated {width}x{height}, {frames} frames in {time.perf_counter() - t0:.1f} s")
    info = probe(truth.path)
    tracks = []
    for b in range(len(boxes)):
        keys = sorted(set(range(0, frames, 10)) | {frames - 1})
        tracks.append(Track(b + 1, "face", keyframes=[Keyframe(i, Shape("rect", list(truth.boxes[i][b])))
                                                      for i in keys]))
    media = MediaRef(str(truth.path), size=truth.path.stat().st_size,
                     sha256=hashlib.sha256(truth.path.read_bytes()).hexdigest(), width=info.width,
                     height=info.height, frame_count=info.frame_count, fps=info.fps)
    return truth, Project(media=media, tracks=tracks)


@dataclass
class SceneInput:
    path: Path
    frames: int


def scene_inputs(name: str) -> tuple[SceneInput, Project]:
    """A benchmark scene's clip, and a project with one ellipse track per ground-truth face."""
    from benchmarks.scenes import build_all

    clip = build_all([name])[0]
    keys: dict[str, list[Keyframe]] = {}
    for i, boxes in enumerate(clip.truth):
        for b in boxes:
            if b.label == "face":
                keys.setdefault(b.object_id, []).append(Keyframe(i, Shape("ellipse", [float(v) for v in b.box])))
    tracks = [Track(n + 1, "face", keyframes=k) for n, k in enumerate(keys.values())]
    info = probe(clip.path)
    media = MediaRef(str(clip.path), size=clip.path.stat().st_size,
                     sha256=hashlib.sha256(clip.path.read_bytes()).hexdigest(), width=info.width,
                     height=info.height, frame_count=info.frame_count, fps=info.fps)
    return SceneInput(clip.path, info.frame_count), Project(media=media, tracks=tracks)


def plain_transcode(src: Path, dst: Path, crf: int, preset: str) -> int:
    """What a minimal PyAV script does: decode, encode with the same settings, copy the audio."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        vout = out.add_stream("libx264", rate=vin.average_rate, options={"crf": str(crf), "preset": preset})
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        vout.time_base = vout.codec_context.time_base = vin.time_base or Fraction(1, 1000)
        audio = {a.index: out.add_stream_from_template(a) for a in inp.streams.audio}
        n = 0
        for packet in inp.demux(vin, *inp.streams.audio):
            if packet.stream_index in audio:
                if packet.dts is not None and packet.size:
                    packet.stream = audio[packet.stream_index]
                    out.mux(packet)
                continue
            for frame in packet.decode():
                frame.pict_type = av.video.frame.PictureType.NONE
                out.mux(vout.encode(frame))
                n += 1
        out.mux(vout.encode(None))
    return n


_CHILD = r"""
import json, sys, time
from anonymizer_gui.core.export.video import export_video
from anonymizer_gui.core.project import load_project
from anonymizer_gui.core.project.model import ExportSettings
project = load_project(sys.argv[1])
settings = ExportSettings(codec="libx264", crf=int(sys.argv[3]), preset=sys.argv[4])
wall, cpu = time.perf_counter(), time.process_time()
result = export_video(project, sys.argv[2], settings)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "timings": result.report["timings"], "masks": result.report["settings"]["masks_drawn"]}))
"""


def export_in(tree: Path, project_file: Path, out: Path, crf: int, preset: str) -> tuple[float, float, dict, int]:
    """export_video of `tree` in a fresh process: (wall s, CPU s, the report's timings, masks drawn)."""
    out.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(project_file), str(out), str(crf), preset],
                          capture_output=True, text=True, cwd=tree, env=env, check=True)
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return r["wall"], r["cpu"], r["timings"], r["masks"]


def decompose(args, folder: Path, truth, project) -> int:
    """--decompose: plain, no drawing, drawing aside, full; CPU s of each, medians."""
    import av as _av

    from anonymizer_gui.core.export import pipeline
    from anonymizer_gui.core.render.frame_planes import plane_views

    settings = ExportSettings(codec="libx264", crf=args.crf, preset=args.preset)
    draw = pipeline.render_frame
    scratch: dict[str, object] = {}

    def aside(frame, masks):  # draw on a copy; the encoder gets the original picture
        copy = scratch.get("frame")
        if copy is None:
            copy = scratch["frame"] = _av.VideoFrame(frame.width, frame.height, frame.format.name)
        for dst, src in zip(plane_views(copy), plane_views(frame)):
            dst[...] = src
        draw(copy, masks)

    variants = {"none": lambda frame, masks: frame.make_writable(), "aside": aside, "full": draw}
    cpu: dict[str, list[float]] = {k: [] for k in ("plain", *variants)}
    drawing: list[float] = []
    try:
        for r in range(args.repeat):
            order = list(cpu) if r % 2 == 0 else list(cpu)[::-1]
            for which in order:
                c = time.process_time()
                if which == "plain":
                    plain_transcode(truth.path, folder / "plain.mp4", args.crf, args.preset)
                else:
                    pipeline.render_frame = variants[which]
                    timings = export_video(project, folder / "export.mp4", settings).report["timings"]
                    if which == "full":
                        drawing.append(timings["render_cpu_s"])
                cpu[which].append(time.process_time() - c)
                print(f"  run {r + 1} {which:6s}: {cpu[which][-1]:6.2f} s CPU; load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        pipeline.render_frame = draw
    m = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"plain {m['plain']:.2f} s CPU; export: no drawing {m['none']:.2f} (+{m['none'] - m['plain']:.2f} pipeline, "
          f"probe and checks), drawing aside {m['aside']:.2f} (+{m['aside'] - m['none']:.2f} drawing; the export's "
          f"own figure {statistics.median(drawing):.2f}), full {m['full']:.2f} (+{m['full'] - m['aside']:.2f} x264 on "
          f"the redacted picture); export/plain {m['plain'] / m['full']:.3f} CPU")
    return 0


def compare(args, folder: Path, truth, project) -> int:
    """--baseline: plain, ours and the baseline tree, each export in a child process, alternating."""
    from anonymizer_gui.core.project import save_project

    project_file = folder / "bench.anonymizer.json"
    save_project(project, project_file)
    trees = {"ours": REPO, "base": args.baseline.resolve()}
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "ours": [], "base": []}
    render: dict[str, list[float]] = {"ours": [], "base": []}
    masks = 0
    for r in range(args.repeat):
        order = ["plain", "ours", "base"] if r % 2 == 0 else ["base", "ours", "plain"]
        for which in order:
            if which == "plain":
                wall, cpu = time.perf_counter(), time.process_time()
                plain_transcode(truth.path, folder / "plain.mp4", args.crf, args.preset)
                runs[which].append((time.perf_counter() - wall, time.process_time() - cpu))
            else:
                w, c, timings, masks = export_in(trees[which], project_file, folder / f"{which}.mp4", args.crf,
                                                 args.preset)
                runs[which].append((w, c))
                render[which].append(timings.get("render_cpu_s", 0.0))
            w, c = runs[which][-1]
            print(f"  run {r + 1} {which:6s}: {w:6.2f} s wall, {c:6.2f} s CPU (all threads); load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    frames = truth.frames
    pw, pc = (statistics.median(v[i] for v in runs["plain"]) for i in (0, 1))
    print(f"clip: {args.width}x{args.height}, {frames} frames, {len(project.tracks)} tracks ({args.texture}, "
          f"{masks / max(1, frames):.1f} masks per frame), libx264 {args.preset} crf {args.crf}, {os.cpu_count()} CPUs")
    print(f"plain transcode: {pw:.2f} s wall, {pc:.2f} s CPU")
    for which in ("base", "ours"):
        ew, ec = (statistics.median(v[i] for v in runs[which]) for i in (0, 1))
        print(f"export {which} ({trees[which]}): {ew:.2f} s wall, {ec:.2f} s CPU, drawing "
              f"{statistics.median(render[which]):.2f} s CPU; export/plain {pw / ew:.3f} wall, {pc / ec:.3f} CPU")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--preset", default="medium")
    ap.add_argument("--crf", type=int, default=18)
    ap.add_argument("--crowd", type=int, default=0, help="this many more, smaller boxes (>= 20 masks per frame: 17)")
    ap.add_argument("--texture", choices=("checker", "noise"), default="checker",
                    help="texture of the masked boxes (noise: the worst case, see make_inputs)")
    ap.add_argument("--scene", help="a scene of benchmarks/scenes.py (e.g. crowd_street) instead of generated boxes")
    ap.add_argument("--decompose", action="store_true", help="where the export's CPU goes (see above)")
    ap.add_argument("--baseline", type=Path, help="another source tree to compare with (child processes)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        folder = Path(tmp)
        if args.scene:
            truth, project = scene_inputs(args.scene)
            args.width, args.height, args.texture = project.media.width, project.media.height, args.scene
        else:
            truth, project = make_inputs(folder, args.seconds, args.width, args.height, args.texture, args.crowd)
        if args.baseline:
            return compare(args, folder, truth, project)
        if args.decompose:
            return decompose(args, folder, truth, project)
        settings = ExportSettings(codec="libx264", crf=args.crf, preset=args.preset)
        runs: dict[str, list[tuple[float, float]]] = {"plain": [], "export": [], "redacted": []}
        phases: list[dict] = []
        export_video(project, folder / "export.mp4", settings)  # warm-up, and the redacted content
        redacted = folder / "redacted.mp4"
        (folder / "export.mp4").replace(redacted)
        for r in range(args.repeat):
            order = ("plain", "export", "redacted") if r % 2 == 0 else ("redacted", "export", "plain")
            for which in order:
                wall, cpu = time.perf_counter(), time.process_time()
                if which == "plain":
                    plain_transcode(truth.path, folder / "plain.mp4", args.crf, args.preset)
                elif which == "redacted":
                    plain_transcode(redacted, folder / "plain2.mp4", args.crf, args.preset)
                else:
                    result = export_video(project, folder / "export.mp4", settings)
                    phases.append(result.report["timings"])
                    masks = result.report["settings"]["masks_drawn"] / max(1, truth.frames)
                runs[which].append((time.perf_counter() - wall, time.process_time() - cpu))
                w, c = runs[which][-1]
                print(f"  run {r + 1} {which:8s}: {w:6.2f} s wall, {c:6.2f} s CPU (all threads)")
        frames = truth.frames
        pw, pc = (statistics.median(v[i] for v in runs["plain"]) for i in (0, 1))
        ew, ec = (statistics.median(v[i] for v in runs["export"]) for i in (0, 1))
        phase = {k: statistics.median(p.get(k, 0.0) for p in phases) for k in
                 ("verify_input_s", "encode_s", "render_s", "render_cpu_s", "verify_output_s")}
        print(f"clip: {args.width}x{args.height}, {frames} frames, {len(project.tracks)} tracks ({args.texture}, "
              f"{masks:.1f} masks per frame), "
              f"libx264 {args.preset} crf {args.crf}, {os.cpu_count()} CPUs")
        print(f"plain transcode: {pw:.2f} s wall ({frames / pw:.1f} fps), {pc:.2f} s CPU")
        print(f"export_video:    {ew:.2f} s wall ({frames / ew:.1f} fps), {ec:.2f} s CPU")
        print("  export phases (median s): " + ", ".join(f"{k[:-2]} {v:.2f}" for k, v in phase.items()))
        rw, rc = (statistics.median(v[i] for v in runs["redacted"]) for i in (0, 1))
        print(f"plain transcode of the redacted output (what the encoder sees in the export): "
              f"{rw:.2f} s wall, {rc:.2f} s CPU")
        print(f"speed ratio export/plain: {pw / ew:.3f} wall, {pc / ec:.3f} CPU (goal >= 0.9)")
        print(f"speed ratio export/plain-of-redacted (pipeline overhead alone): {rw / ew:.3f} wall, "
              f"{rc / ec:.3f} CPU")
        # Where the export's extra CPU goes: the encoder's work on the redacted picture, the drawing
        # (decoding thread), and the rest (decode thread hand-off, checks, report).
        extra = ec - pc
        print(f"extra CPU of the export over the plain transcode: {extra:.2f} s = encoder on the redacted "
              f"picture {rc - pc:.2f} s + drawing {phase['render_cpu_s']:.2f} s + rest "
              f"{extra - (rc - pc) - phase['render_cpu_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
