"""Review speed in the real editor window: key presses per track and the queue's next-track latency.

The demo clip is built at 720p (the same scene as --demo, real photographs on a moving camera) and
analysed with the real models (or a saved project is reused). Then an oracle "operator" reviews
every track with the keyboard in the queue's order, as a person would decide from the picture:
a track on a true face or plate is accepted (A), a track on nothing is rejected as a false
detection (X, Enter), and the astronaut (the first face) is kept visible as the requester for her
whole person group (Shift+V, Y, 4). The prompts are answered with key presses, which count.

Latency: from each key press that moves the queue (N, or A / X moving on) until the viewer shows
the next track's best frame with it selected. Targets (issue 11): <= 2 key presses per track,
<= 100 ms to the next track.

    .venv/bin/python benchmarks/review_keys.py                    # 720p demo, real models
    .venv/bin/python benchmarks/review_keys.py --project P.json   # reuse an analysed project
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def overlaps(a, b, min_iou: float = 0.1) -> bool:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return union > 0 and inter / union >= min_iou


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--project", help="an analysed project of the demo clip at this size (skips analysis)")
    parser.add_argument("--think-ms", type=int, default=500,
                        help="the operator looks at each track this long before deciding (0: keys back to back)")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="review_keys_"))
    for var, sub in (("ANONYMIZER_GUI_CONFIG_DIR", "config"), ("ANONYMIZER_GUI_DATA_DIR", "data")):
        os.environ[var] = str(work / sub)

    from anonymizer_gui.core.analysis import analyze
    from anonymizer_gui.core.media import probe
    from anonymizer_gui.core.project import load_project, save_project, shape_at
    from anonymizer_gui.core.review import best_frame
    from anonymizer_gui.demo import build_demo_clip, demo_truth

    bench = Path(os.environ.get("ANONYMIZER_GUI_BENCH_DIR", Path.home() / ".cache/anonymizer-gui/bench"))
    clip = build_demo_clip(bench / f"demo-{args.width}x{args.height}.mp4", width=args.width, height=args.height)
    if args.project:
        project = load_project(args.project)
    else:
        t0 = time.monotonic()
        project = analyze(clip, classes=("face", "plate"))
        print(f"analysed {clip.name} in {time.monotonic() - t0:.1f} s: {len(project.tracks)} tracks", flush=True)
        save_project(project, bench / f"demo-{args.width}x{args.height}.review.json")
    truth = demo_truth(args.width, args.height)

    def kind(track) -> str:
        f = best_frame(track)
        shape = shape_at(track, f) or track.keyframes[0].shape
        faces, plates = truth[min(f, len(truth) - 1)]
        boxes = faces if track.label == "face" else plates
        hits = [i for i, b in enumerate(boxes) if overlaps(shape.bbox(), b)]
        if not hits:
            return "false"
        return "requester" if track.label == "face" and hits[0] == 0 else "real"

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMessageBox

    from anonymizer_gui.ui.app.application import create_application
    from anonymizer_gui.ui.panels.reason_dialog import ReasonDialog
    from anonymizer_gui.ui.shell.main_window import MainWindow

    app = create_application([])
    win = MainWindow()
    win.review.autoplay = False  # the latency is to the best frame, not to a looping span
    win.resize(1600, 1000)
    win.show()
    win.set_document(project, probe(clip))
    win.activateWindow()  # window shortcuts need the active window
    win.viewer.setFocus()

    def pump_until(cond, timeout=10.0):
        end = time.perf_counter() + timeout
        while not cond():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            if time.perf_counter() > end:
                raise TimeoutError("the editor did not get there")

    def shown(track_id: int) -> bool:
        t = win.doc.track(track_id)
        return (win.doc.selected_ids[:1] == [track_id] and win.doc.frame == best_frame(t)
                and win.viewer.displayed_frame() == win.doc.frame)

    last_key = [0.0]  # when the last key of a press went in: the latency runs from there

    def press(key, mod=Qt.KeyboardModifier.NoModifier, answers=()):
        pending = list(answers)

        def answer():
            modal = QApplication.activeModalWidget()
            if pending and isinstance(modal, pending[0][0]):
                _cls, k = pending.pop(0)
                if not pending:
                    last_key[0] = time.perf_counter()
                QTest.keyClick(modal.list if isinstance(modal, ReasonDialog) else modal, k)
            if pending:
                QTimer.singleShot(20, answer)

        if pending:
            QTimer.singleShot(20, answer)
        if not win.isActiveWindow():  # after a dialog closes (offscreen has no window manager)
            win.activateWindow()
            pump_until(win.isActiveWindow)
        last_key[0] = time.perf_counter()
        QTest.keyClick(QApplication.focusWidget() or win, key, mod)
        pump_until(lambda: not pending)
        return 1 + len(answers)

    def think():
        end = time.perf_counter() + args.think_ms / 1000
        pump_until(lambda: time.perf_counter() >= end, timeout=args.think_ms / 1000 + 5)

    pump_until(win.isActiveWindow)
    presses, latencies, kinds = 0, [], {}
    think()  # the operator looks at the opened clip first
    presses += press(Qt.Key.Key_N)
    steps = 0
    while not all(tr.reviewed for tr in win.doc.project.tracks) and steps < 4 * len(project.tracks):
        steps += 1
        current = win.doc.selected_ids[0]
        pump_until(lambda: shown(current))
        latencies.append((time.perf_counter() - last_key[0]) * 1000)
        k = kinds[current] = kind(win.doc.track(current))
        think()
        if k == "real":
            presses += press(Qt.Key.Key_A)
        elif k == "false":
            presses += press(Qt.Key.Key_X, answers=[(ReasonDialog, Qt.Key.Key_Return)])
        else:
            if win.doc.track(current).group is not None:
                presses += press(Qt.Key.Key_V, Qt.KeyboardModifier.ShiftModifier,
                                 answers=[(QMessageBox, Qt.Key.Key_Y), (ReasonDialog, Qt.Key.Key_4)])
            else:
                presses += press(Qt.Key.Key_V, answers=[(ReasonDialog, Qt.Key.Key_4)])
            if not all(tr.reviewed for tr in win.doc.project.tracks):
                presses += press(Qt.Key.Key_N)
        if all(tr.reviewed for tr in win.doc.project.tracks):
            break
    n = len(project.tracks)
    counts = win.doc.project.review_counts()
    result = {"clip": f"{args.width}x{args.height}", "think_ms": args.think_ms, "tracks": n, "reviewed": counts["reviewed"],
              "key_presses": presses, "presses_per_track": round(presses / max(1, n), 2),
              "decisions": {k: sum(1 for v in kinds.values() if v == k) for k in ("real", "false", "requester")},
              "groups": len({tr.group for tr in win.doc.project.tracks if tr.group is not None}),
              "next_track_ms": {"median": round(statistics.median(latencies), 1),
                                "p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1),
                                "max": round(max(latencies), 1), "count": len(latencies)}}
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    win.doc.undo_stack.setClean()
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
