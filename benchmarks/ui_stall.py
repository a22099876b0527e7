"""Longest event-loop stall of the real editor window during analysis and during export.

A QTimer ticks every 10 ms on the UI thread; the gaps between ticks show how long the event loop
was blocked (a gap of 10 ms is no stall at all). The window opens a generated 720p clip, analyses
it (the real detector models, or with --detector texture a simple detector that needs no model
files) and exports the result, measuring each phase. Target: max gap <= 100 ms.

    .venv/bin/python benchmarks/ui_stall.py                 # 720p, 100 frames, real models
    .venv/bin/python benchmarks/ui_stall.py --frames 50 --detector texture

Runs offscreen unless DISPLAY is set and --show is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TICK_MS = 10


class StallMeter:
    """Records the gaps between 10 ms timer ticks on the UI thread."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.gaps_ms: list[float] = []
        self.at_s: list[float] = []  # when each gap ended, seconds after start()
        self._last = None
        self._start = 0.0
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps_ms.clear()
        self.at_s.clear()
        self._last = self._start = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        gaps = sorted(self.gaps_ms)
        if not gaps:
            return {"ticks": 0, "max_ms": None, "p99_ms": None, "median_ms": None}
        p99 = gaps[min(len(gaps) - 1, int(round(0.99 * (len(gaps) - 1))))]
        worst = sorted(zip(self.gaps_ms, self.at_s), reverse=True)[:3]
        return {"ticks": len(gaps), "max_ms": round(gaps[-1], 1), "p99_ms": round(p99, 1),
                "median_ms": round(gaps[len(gaps) // 2], 1),
                "worst_at_s": [[round(g, 1), round(t, 2)] for g, t in worst]}

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps_ms.append((now - self._last) * 1000.0)
        self.at_s.append(now - self._start)
        self._last = now


def wait_until(app, condition, timeout_s: float) -> None:
    """Run the event loop (as app.exec() would) until `condition()` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return
    loop = QEventLoop()
    end = time.monotonic() + timeout_s
    timed_out = []

    def check() -> None:
        if condition():
            loop.quit()
        elif time.monotonic() > end:
            timed_out.append(True)
            loop.quit()

    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(20)
    loop.exec()
    poll.stop()
    if timed_out:
        raise TimeoutError("benchmark phase did not finish in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--detector", choices=("models", "texture"), default="models",
                        help="models: the real face and plate models; texture: a model-free test detector")
    parser.add_argument("--show", action="store_true", help="use the real display instead of offscreen")
    args = parser.parse_args()
    if not (args.show and os.environ.get("DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    work = Path(tempfile.mkdtemp(prefix="ui_stall_"))
    for var, sub in (("ANONYMIZER_GUI_CONFIG_DIR", "config"), ("ANONYMIZER_GUI_DATA_DIR", "data")):
        os.environ[var] = str(work / sub)

    from tests.clips import MovingBox, make_clip

    boxes = (MovingBox(100, 200, 160, 160, vx=6, vy=2, cell=8),
             MovingBox(800, 300, 200, 120, vx=-5, vy=1, texture="noise"))
    clip = make_clip(work / "clip720.mp4", width=args.width, height=args.height, frames=args.frames, boxes=boxes)

    from anonymizer_gui.core.project.model import ExportSettings
    from anonymizer_gui.ui.app import settings as S
    from anonymizer_gui.ui.app.application import create_application
    from anonymizer_gui.ui.shell.export_flow import start_export
    from anonymizer_gui.ui.shell.main_window import MainWindow

    app = create_application([])
    S.app_settings().setValue(S.ANALYSE_ON_OPEN, False)
    window = MainWindow(autosave_interval_ms=10_000)
    window.resize(1366, 768)
    window.show()
    opened = []
    window.opened.connect(opened.append)
    window.files.open_path(clip.path)
    wait_until(app, lambda: bool(opened), 60)
    if args.detector == "texture":
        from tests.ui.shell_support import TextureDetector

        window.analysis.classes = ("face",)
        window.analysis.detectors = {"face": TextureDetector()}

    meter = StallMeter()
    results = {"clip": f"{args.width}x{args.height}, {args.frames} frames", "detector": args.detector,
               "platform": app.platformName()}

    meter.start()
    t0 = time.monotonic()
    worker = window.analysis.start()
    wait_until(app, lambda: not window.job_bar.jobs(), 1800)
    results["analysis"] = {**meter.stop(), "seconds": round(time.monotonic() - t0, 1),
                           "tracks": len(window.doc.project.tracks),
                           "fps": round(worker.last_progress.fps, 2) if worker.last_progress else None}

    meter.start()
    t0 = time.monotonic()
    export = start_export(window, work / "out.mp4", ExportSettings())
    done = []
    export.succeeded.connect(lambda result: done.append(result))
    wait_until(app, lambda: not window.job_bar.jobs(), 1800)
    results["export"] = {**meter.stop(), "seconds": round(time.monotonic() - t0, 1),
                         "ok": bool(done),
                         "fps": round(export.last_progress.fps, 2) if export.last_progress else None}
    for box in app.topLevelWidgets():  # the export's "finished" message
        if box.objectName() == "exportDoneDialog":
            box.close()

    window.doc.undo_stack.setClean()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=1))
    worst = max(results["analysis"]["max_ms"] or 0, results["export"]["max_ms"] or 0)
    print(f"longest stall: analysis max {results['analysis']['max_ms']} ms (p99 {results['analysis']['p99_ms']} ms), "
          f"export max {results['export']['max_ms']} ms (p99 {results['export']['p99_ms']} ms); "
          f"target <= 100 ms: {'met' if worst <= 100 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
