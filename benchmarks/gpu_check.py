"""Issue 12's GPU figures in one run: does the CUDA path work, how fast, and does it find the same faces.

    python -m benchmarks.gpu_check [--out DIR] [--scene crowd_street] [--width 1920 --height 1080]
                                   [--frames N] [--device cuda] [--no-cpu]

Steps, each printed and written to DIR/gpu_check.json (default: the bench folder):
1. facts: onnxruntime and its providers, what `--device auto` picks and why, `nvidia-smi -L`, PyAV
   and whether its FFmpeg has h264_nvenc / hevc_nvenc;
2. the scene's clip (benchmarks/scenes.py) scaled to WIDTHxHEIGHT, truth boxes scaled with it;
3. the detectors alone on DEVICE: `detect()` of GPU-sized batches of those frames (pre- and post-
   processing included, as the analysis calls them): frames per second per class;
4. `analyze()` on DEVICE: frames per second end to end (decode, detect, close looks, tracking;
   models loaded beforehand) against the issue's target of >= 100 fps 1080p on one H100-class GPU;
   then the same on the CPU (unless --no-cpu) and, for both, how many truth faces the exported
   masks cover (accuracy.score_output), so that the GPU's speed is quoted at its coverage;
5. `export_video` of the DEVICE project with the GPU's encoder allowed (`hardware_encoder` auto):
   which encoder wrote it and its time against a plain PyAV transcode with the same x264 settings.
Where DEVICE cannot be had (no CUDA provider in this onnxruntime, no NVIDIA driver) the facts are
printed with the reason and the run exits 2. `--device cpu --frames 12` runs every step on the CPU
as a check of the script itself.

On this project's lent machine (nvidia-h200: Python 3.12, numpy, OpenCV, scikit-image and a
CPU-only onnxruntime installed; no network) the run needs carried files, prepared here:
  - wheels (`pip download --no-deps --only-binary=:all: --python-version 3.12 --platform
    manylinux_2_28_x86_64 ...`): onnxruntime-gpu (1.31.1: 256 MB, CUDA 13, whose libraries the
    image has), av, platformdirs, webrtcvad-wheels;
  - the models folder (ANONYMIZER_GUI_MODEL_DIR, 9 MB) and the scene's clip with its truth
    (ANONYMIZER_GUI_BENCH_DIR/clips, 3 MB): the machine cannot fetch the photos or weights.
A call carries at most 64 MiB, so `--prepare DIR` (DIR ignored by git, e.g. `.gpu` with `/.gpu/` in
.git/info/exclude) downloads the wheels and writes DIR/part0 (the small wheels, models and clip) and
DIR/part1... (onnxruntime-gpu in 60 MiB pieces) and DIR/commands.txt: one device call per part,
back to back on the warm machine (it is given back after 30 s idle), each copying its part to
/tmp/gpu; the last joins the pieces, installs everything with `pip install --no-index --no-deps
--target /tmp/site` and runs this script. Note: H100 and H200 have no NVENC block; there step 5
reports the CPU fallback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer_gui.core.analysis import AnalysisSettings, analyze, load_detectors  # noqa: E402
from anonymizer_gui.core.analysis.analyzer import batch_size_for  # noqa: E402
from anonymizer_gui.core.detect.runtime import available_providers, choose_providers  # noqa: E402
from anonymizer_gui.core.export import export_video  # noqa: E402
from anonymizer_gui.core.foundation import AnonymizerError  # noqa: E402
from anonymizer_gui.core.project import ExportSettings  # noqa: E402
from benchmarks.accuracy import score_output  # noqa: E402
from benchmarks.deface_env import bench_dir  # noqa: E402
from benchmarks.export_speed import plain_transcode  # noqa: E402
from benchmarks.redactors import REPO  # noqa: E402
from benchmarks.scenes import SceneClip, build_all  # noqa: E402

TARGET_FPS = 100.0  # issue 12: analysis of 1080p on one H100-class GPU


PIECE = 60 * 2**20  # bytes: a device call carries at most 64 MiB
WHEELS = ("onnxruntime-gpu", "av", "platformdirs", "webrtcvad-wheels")


def prepare(folder: Path, scene: str) -> int:
    """--prepare: the files a device call cannot fetch, in parts of at most PIECE bytes (see above)."""
    import os

    from anonymizer_gui.core.detect.manifest import model_dir

    folder.mkdir(parents=True, exist_ok=True)
    wheels = folder / "wheels"
    from importlib.metadata import version

    pins = [f"{name}=={version(name)}" for name in WHEELS]  # the versions this tree is tested with
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
                    "3.12", "--implementation", "cp", *(a for p in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64",
                                                                   "manylinux2014_x86_64") for a in ("--platform", p)),
                    "-d", str(wheels), *pins], check=True)
    first = folder / "part0"
    shutil.rmtree(first, ignore_errors=True)
    (first / "bench" / "clips").mkdir(parents=True)
    shutil.copytree(model_dir(), first / "models")
    clip = build_all([scene])[0]
    for f in (clip.path, clip.path.with_suffix(".truth.json")):
        shutil.copy2(f, first / "bench" / "clips" / f.name)
    big = next(wheels.glob("onnxruntime_gpu-*.whl"))
    for wheel in wheels.glob("*.whl"):
        if wheel != big:
            shutil.copy2(wheel, first / wheel.name)
    parts = 0
    with big.open("rb") as f:
        while chunk := f.read(PIECE):
            parts += 1
            part = folder / f"part{parts}"
            shutil.rmtree(part, ignore_errors=True)
            part.mkdir()
            (part / f"{big.name}.{parts:02d}").write_bytes(chunk)
    rel = os.path.relpath(folder, REPO)
    calls = [f"carry [\"{rel}/part{i}\"]: mkdir -p /tmp/gpu && cp -r {rel}/part{i}/. /tmp/gpu/" for i in range(parts + 1)]
    calls[-1] += (f" && cat /tmp/gpu/{big.name}.* > /tmp/gpu/{big.name} && rm /tmp/gpu/{big.name}.??"
                  " && python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site /tmp/gpu/*.whl"
                  " && PYTHONPATH=/tmp/site:. ANONYMIZER_GUI_MODEL_DIR=/tmp/gpu/models"
                  " ANONYMIZER_GUI_BENCH_DIR=/tmp/gpu/bench PYTHONUNBUFFERED=1"
                  f" python3 -m benchmarks.gpu_check --scene {scene} --out $OUT")
    (folder / "commands.txt").write_text("\n".join(calls) + "\n")
    print("\n".join(calls))
    return 0


def facts() -> dict:
    import onnxruntime as ort

    out = {"onnxruntime": ort.__version__, "providers": available_providers(), "pyav": av.__version__,
           "ffmpeg_nvenc": sorted(c for c in ("h264_nvenc", "hevc_nvenc", "av1_nvenc") if c in av.codecs_available)}
    try:
        out["auto"] = choose_providers("auto").reason
    except AnonymizerError as exc:
        out["auto"] = f"error: {exc}"
    smi = shutil.which("nvidia-smi")
    out["nvidia_smi"] = (subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30).stdout.strip()
                         if smi else "no nvidia-smi")
    return out


def scaled_clip(clip: SceneClip, width: int, height: int, frames: int, folder: Path) -> SceneClip:
    """The clip's first `frames` frames resized to width x height (x264 CRF 16), its truth scaled alike."""
    path = folder / f"{clip.path.stem}-{width}x{height}-{frames}.mp4"
    sx, sy = width / clip.width, height / clip.height
    with av.open(str(clip.path)) as src, av.open(str(path), "w") as dst:
        rate = src.streams.video[0].average_rate
        stream = dst.add_stream("libx264", rate=rate, options={"crf": "16", "preset": "fast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = 1 / rate
        for i, frame in enumerate(src.decode(video=0)):
            if i >= frames:
                break
            frame = frame.reformat(width=width, height=height, format="yuv420p", interpolation="AREA")
            frame.pts, frame.time_base = i, 1 / rate
            dst.mux(stream.encode(frame))
        dst.mux(stream.encode(None))
    scale = lambda b: (b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy)  # noqa: E731
    truth = [[dataclasses.replace(gt, box=scale(gt.box)) for gt in boxes] for boxes in clip.truth[:frames]]
    ignore = [[scale(b) for b in boxes] for boxes in clip.ignore[:frames]]
    return SceneClip(clip.scene, path, width, height, min(frames, clip.frames), truth, ignore)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as src:
        return [f.to_ndarray(format="bgr24") for f in src.decode(video=0)]


def detector_speed(detectors: dict, images: list[np.ndarray], batch: int, repeats: int = 3) -> dict:
    """Frames per second of each class's detect() over the clip's frames in batches (median of repeats)."""
    out = {}
    for label, det in detectors.items():
        det.detect(images[:batch])  # warm-up: the provider's kernels and memory for this size
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for i in range(0, len(images), batch):
                det.detect(images[i:i + batch])
            times.append(time.perf_counter() - start)
        out[label] = {"fps": len(images) / statistics.median(times), "device": det.provider.device,
                      "provider": det.provider.reason}
    return out


def analysed(clip: SceneClip, device: str, folder: Path) -> dict:
    settings = AnalysisSettings(device=device)
    detectors = load_detectors(settings.classes, settings)
    start = time.perf_counter()
    project = analyze(clip.path, settings=settings, detectors=detectors)
    wall = time.perf_counter() - start
    out = folder / f"export-{device}.mp4"
    export_video(project, out, ExportSettings(hardware_encoder="off"))
    score = score_output(clip, out)
    ok, n = score.coverage("face")
    return {"device": device, "wall_s": wall, "fps": clip.frames / wall, "tracks": len(project.tracks),
            "timings": project.analysis.get("timings", {}), "provider": project.analysis.get("provider"),
            "face_coverage": ok / n if n else None, "faces_missed": n - ok, "outside": score.outside_share,
            "project": project}


def export_speed(project, clip: SceneClip, folder: Path) -> dict:
    settings = ExportSettings(hardware_encoder="auto")
    start = time.perf_counter()
    result = export_video(project, folder / "export-auto.mp4", settings)
    export_s = time.perf_counter() - start
    start = time.perf_counter()
    plain_transcode(clip.path, folder / "plain.mp4", settings.crf, settings.preset)
    plain_s = time.perf_counter() - start
    report = result.report
    return {"encoder": report["settings"].get("hardware") or report["settings"].get("codec"),
            "notices": report.get("notices", []),
            "export_s": export_s, "export_fps": clip.frames / export_s, "plain_transcode_s": plain_s,
            "export_over_plain": plain_s / export_s}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="folder for gpu_check.json (default: the bench folder)")
    ap.add_argument("--scene", default="crowd_street")
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--no-cpu", action="store_true", help="skip the CPU analysis the coverage is compared with")
    ap.add_argument("--prepare", type=Path, metavar="DIR", help="write the parts a device machine needs (see above)")
    args = ap.parse_args(argv)
    if args.prepare:
        return prepare(args.prepare.resolve(), args.scene)
    out_dir = args.out or bench_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {"facts": facts()}
    print(json.dumps(result["facts"], indent=2), flush=True)
    try:
        result["device"] = choose_providers(args.device).reason
    except AnonymizerError as exc:
        result["device"] = f"unavailable: {exc}"
        (out_dir / "gpu_check.json").write_text(json.dumps(result, indent=2))
        print(f"{args.device}: {exc}")
        return 2
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        folder = Path(tmp)
        clip = scaled_clip(build_all([args.scene])[0], args.width, args.height, args.frames, folder)
        print(f"clip: {clip.frames} frames at {clip.width}x{clip.height}", flush=True)

        settings = AnalysisSettings(device=args.device)
        detectors = load_detectors(settings.classes, settings)
        batch = batch_size_for(settings, detectors)
        result["detectors"] = detector_speed(detectors, decoded(clip.path), batch)
        result["detectors_batch"] = batch
        del detectors
        print(json.dumps(result["detectors"], indent=2), flush=True)

        runs = [analysed(clip, args.device, folder)]
        if not args.no_cpu and args.device != "cpu":
            runs.append(analysed(clip, "cpu", folder))
        for run in runs:
            print(f"analysis on {run['device']}: {run['wall_s']:.1f} s, {run['fps']:.1f} fps, {run['tracks']} tracks, "
                  f"face coverage {run['face_coverage']:.4f} ({run['faces_missed']} missed), "
                  f"outside {100 * run['outside']:.2f} %", flush=True)
        result["export"] = export_speed(runs[0]["project"], clip, folder)
        result["analysis"] = [{k: v for k, v in run.items() if k != "project"} for run in runs]
    fps = result["analysis"][0]["fps"]
    result["target"] = {"fps": TARGET_FPS, "holds": fps >= TARGET_FPS}
    print(f"export: {result['export']['encoder']}, {result['export']['export_fps']:.1f} fps, "
          f"{result['export']['export_over_plain']:.3f} of a plain transcode")
    print(f"analysis {args.width}x{args.height} on {args.device}: {fps:.1f} fps; target >= {TARGET_FPS:.0f}: "
          f"{'HOLDS' if fps >= TARGET_FPS else 'MISSED'}")
    (out_dir / "gpu_check.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"written: {out_dir / 'gpu_check.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
