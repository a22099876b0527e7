"""Would an int8 CenterFace keep coverage? Quantise with onnxruntime's own tools and compare.

    .venv/bin/python -m benchmarks.int8 [--calibrate astronaut_zoom,poker_pan,touchline_zoomout,bus_handheld]
                                        [--evaluate crowd_small,face_sizes,bus_whip,crowd_street] [--frames 12]

Steps (everything in the bench cache, nothing shipped):
1. the shipped CenterFace at 1280x736 (the graph analysis runs), converted to opset 13 (per-channel
   quantisation needs DequantizeLinear's axis), pre-processed (quant_pre_process);
2. static QDQ quantisation, int8 weights per channel, uint8 activations, calibrated on one frame
   in 40 of the `--calibrate` scenes (held out from the evaluation);
3. CPU time per frame, fp32 and int8 alternating (2 threads);
4. on `--frames` frames of each `--evaluate` scene: ground-truth faces (>= 8 px, >= half visible)
   matched (IoU >= 0.3) by a detection at the tracker's two thresholds (0.1 continues a track, 0.2
   starts one), fp32 against int8. This is the detector alone; the end-to-end coverage on the
   output pixels is accuracy.py's (an int8 model is not wired into the CLI).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import av
import numpy as np
import onnxruntime as ort

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer_gui.core.detect.centerface import decode_centerface, resized_model_bytes  # noqa: E402
from anonymizer_gui.core.detect.centerface import model_path  # noqa: E402
from benchmarks.deface_env import bench_dir  # noqa: E402
from benchmarks.scenes import build_all  # noqa: E402

W, H = 1280, 736


def _blob(frame: av.VideoFrame) -> np.ndarray:
    img = frame.to_ndarray(format="rgb24").astype(np.float32)  # the detector feeds RGB (swap_rb)
    x = np.zeros((1, 3, H, W), np.float32)
    x[0, :, :img.shape[0], :img.shape[1]] = img.transpose(2, 0, 1)
    return x


def _sampled(clip, count: int):
    step = max(1, clip.frames // count)
    with av.open(str(clip.path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i % step == 0:
                yield i, _blob(frame)


def build_models(calibrate: list[str]) -> tuple[Path, Path]:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quant_pre_process,
                                          quantize_static)

    folder = bench_dir() / "int8"
    folder.mkdir(parents=True, exist_ok=True)
    fp32, pre, int8 = folder / "centerface_fp32.onnx", folder / "centerface_pre.onnx", folder / "centerface_int8.onnx"
    model = onnx.load_from_string(resized_model_bytes(str(model_path("centerface")), W, H))
    onnx.save(version_converter.convert_version(model, 13), str(fp32))
    quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
    name = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"]).get_inputs()[0].name
    blobs = [x for clip in build_all(calibrate, log=lambda *a: None) for _, x in _sampled(clip, max(1, clip.frames // 40))]

    class Frames(CalibrationDataReader):
        def __init__(self):
            self._it = iter({name: x} for x in blobs)

        def get_next(self):
            return next(self._it, None)

    t0 = time.perf_counter()
    quantize_static(str(pre), str(int8), Frames(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, per_channel=True)
    print(f"quantised on {len(blobs)} frames of {', '.join(calibrate)} in {time.perf_counter() - t0:.0f} s")
    return fp32, int8


def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = 2, 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _matched(boxes: np.ndarray, truth) -> int:
    hits = 0
    for x1, y1, x2, y2 in truth:
        ix = np.clip(np.minimum(x2, boxes[:, 2]) - np.maximum(x1, boxes[:, 0]), 0, None)
        iy = np.clip(np.minimum(y2, boxes[:, 3]) - np.maximum(y1, boxes[:, 1]), 0, None)
        inter = ix * iy
        union = (x2 - x1) * (y2 - y1) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
        hits += bool(len(boxes) and (inter / union).max() >= 0.3)
    return hits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", default="astronaut_zoom,poker_pan,touchline_zoomout,bus_handheld")
    ap.add_argument("--evaluate", default="crowd_small,face_sizes,bus_whip,crowd_street")
    ap.add_argument("--frames", type=int, default=12)
    args = ap.parse_args(argv)
    fp32, int8 = build_models(args.calibrate.split(","))
    sessions = {"fp32": _session(fp32), "int8": _session(int8)}
    x = np.random.default_rng(0).uniform(0, 255, (1, 3, H, W)).astype(np.float32)
    cpu: dict[str, list[float]] = {k: [] for k in sessions}
    for r in range(6):
        for k in (list(sessions) if r % 2 == 0 else list(sessions)[::-1]):
            s = sessions[k]
            c0 = time.process_time()
            for _ in range(3):
                s.run(None, {s.get_inputs()[0].name: x})
            cpu[k].append((time.process_time() - c0) / 3 * 1000)
    f, q = statistics.median(cpu["fp32"][1:]), statistics.median(cpu["int8"][1:])
    print(f"CPU per 1280x736 frame (2 threads, median): fp32 {f:.0f} ms, int8 {q:.0f} ms: {f / q:.2f}x less")
    print(f"{'scene':16s} {'thr':>4s} {'fp32 found':>11s} {'int8 found':>11s} {'fp32 dets':>10s} {'int8 dets':>10s}")
    for clip in build_all(args.evaluate.split(","), log=lambda *a: None):
        found = {(k, t): [0, 0, 0] for k in sessions for t in (0.1, 0.2)}
        for i, blob in _sampled(clip, args.frames):
            faces = [b.box for b in clip.truth[i] if b.label == "face" and b.visible >= 0.5
                     and min(b.box[2] - b.box[0], b.box[3] - b.box[1]) >= 8]
            for k, s in sessions.items():
                maps = s.run(None, {s.get_inputs()[0].name: blob})
                for t in (0.1, 0.2):
                    boxes = decode_centerface(*(m[0] for m in maps), t, 0.3).boxes
                    acc = found[(k, t)]
                    acc[0] += _matched(boxes, faces)
                    acc[1] += len(faces)
                    acc[2] += len(boxes)
        for t in (0.1, 0.2):
            a, b = found[("fp32", t)], found[("int8", t)]
            print(f"{clip.scene.name:16s} {t:4.1f} {a[0]:5d}/{a[1]:<5d} {b[0]:5d}/{b[1]:<5d} {a[2]:10d} {b[2]:10d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
