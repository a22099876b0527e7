"""What `verify` adds to an export, on the CPU.

    .venv/bin/python -m benchmarks.verify_cost [--seconds 10] [--width 1280 --height 720]
                                               [--classes face,plate] [--detect-every K] [--device cpu]

Uses export_speed's clip (three moving textured boxes, one track each), exports it with
export_video (libx264 preset medium, the default), then runs verify_export on the written file
with the manifest's detectors, and prints both times (wall and CPU seconds of the process) and
verify / export. The issue's budget: verify adds at most half of the export's time on CPU.
Detection dominates verify's cost; it runs on one frame in K (default: once a second), the
inside check on every frame. Not run in CI.

Measured (2 shared CPU cores, 1280x720, 6 s, preset medium): see the figures in the module's
commit message and the issue note; run it again on the target machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from anonymizer_gui.core.analysis import AnalysisSettings, load_detectors  # noqa: E402
from anonymizer_gui.core.export.video import export_video  # noqa: E402
from anonymizer_gui.core.project.model import ExportSettings  # noqa: E402
from anonymizer_gui.core.verify import verify_export  # noqa: E402
from anonymizer_gui.core.verify.check import SENSITIVITY, _analysis_threshold  # noqa: E402
from benchmarks.export_speed import make_inputs  # noqa: E402


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--classes", default="face,plate")
    ap.add_argument("--detect-every", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--preset", default="medium")
    args = ap.parse_args(argv)
    classes = tuple(c for c in args.classes.split(",") if c)
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp:
        folder = Path(tmp)
        truth, project = make_inputs(folder, args.seconds, args.width, args.height)
        project.analysis = {"classes": list(classes)}
        thresholds = {c: _analysis_threshold(project, c) * SENSITIVITY for c in classes}
        detectors = load_detectors(classes, AnalysisSettings(classes=classes, thresholds=thresholds,
                                                             device=args.device)) if classes else {}
        settings = ExportSettings(preset=args.preset)
        result, ex_wall, ex_cpu = _timed(lambda: export_video(project, folder / "out.mp4", settings))
        found, ve_wall, ve_cpu = _timed(lambda: verify_export(project, result.output, detectors=detectors,
                                                              classes=classes, detect_every=args.detect_every,
                                                              check_source=False))
    n = truth.frames
    print(f"{args.width}x{args.height}, {n} frames, classes {','.join(classes) or 'none'}, "
          f"detect every {found.detect_every} frames ({found.frames_detected} detected)")
    print(f"export  {ex_wall:7.2f} s wall {ex_cpu:7.2f} s CPU   ({n / ex_wall:.1f} fps)")
    print(f"verify  {ve_wall:7.2f} s wall {ve_cpu:7.2f} s CPU   (detection {found.timings['detect_s']:.2f} s)")
    print(f"verify / export: {ve_wall / ex_wall:.2f} wall, {ve_cpu / ex_cpu:.2f} CPU   "
          f"(budget 0.50); verdict {found.verdict()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
