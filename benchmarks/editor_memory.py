"""Peak memory (RSS) of the real editor window opening a project and exporting it, leak check included.

    .venv/bin/python -m benchmarks.editor_memory [--minutes 4 --width 192 --height 108]
                                                 [--size-check 1920x1080 --size-seconds 8]

benchmarks/memory.py measures the core alone. Here the MainWindow (offscreen) opens each project
file as an operator would (timeline, video view, track list), then runs its export job, which
checks the written file for leaks (core.verify, its detectors loading while it encodes), in a
fresh process per project (VmHWM, its own RSS high-water mark). The same parts as memory.py:
a long low-resolution project at `--minutes` / 4 and `--minutes` (what each minute adds) and a
short one at `--size-check` with 20 masks per frame (what the frame size costs), so

    estimate for an hour at the big size = size peak + growth per minute x 60.

Needs the detector models (`anonymizer-gui models fetch`): the export job's check runs them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.memory import _peak_mb, _rss_mb, add_part_arguments, estimate_from_parts  # noqa: E402
from benchmarks.ui_stall import wait_until  # noqa: E402


def measure(project_path: Path, out: Path) -> dict:
    """In this process: the editor opens the project, then exports it with its leak check."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from anonymizer_gui.core.project.model import ExportSettings
    from anonymizer_gui.ui.app import settings as S
    from anonymizer_gui.ui.app.application import create_application
    from anonymizer_gui.ui.shell.export_flow import start_export
    from anonymizer_gui.ui.shell.main_window import MainWindow

    app = create_application([])
    S.app_settings().setValue(S.ANALYSE_ON_OPEN, False)
    window = MainWindow(autosave_interval_ms=600_000)
    window.resize(1366, 768)
    window.show()
    start = _rss_mb()
    opened = []
    window.opened.connect(opened.append)
    window.files.open_path(project_path)
    wait_until(app, lambda: bool(opened), 600)
    wait_until(app, lambda: not window.job_bar.jobs(), 600)  # whatever opening starts (thumbnails, index)
    after_open, peak_open = _rss_mb(), _peak_mb()
    t0 = time.perf_counter()
    job = start_export(window, out, ExportSettings())
    done: list = []
    job.succeeded.connect(done.append)
    wait_until(app, lambda: not window.job_bar.jobs(), 3600)
    seconds = time.perf_counter() - t0
    for box in app.topLevelWidgets():  # the export's "finished" message
        if box.objectName() == "exportDoneDialog":
            box.close()
    verdict = done[0].report.get("verify", {}).get("verdict") if done else None
    window.doc.undo_stack.setClean()
    window.close()
    return {"start_mb": round(start, 1), "opened_mb": round(after_open, 1), "peak_open_mb": round(peak_open, 1),
            "peak_mb": round(_peak_mb(), 1), "export_s": round(seconds, 1), "exported": bool(done),
            "verify": verdict, "tracks": len(window.doc.project.tracks),
            "frames": window.doc.project.media.frame_count}


def _child(project_path: Path, out: Path, config: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               QT_QPA_PLATFORM="offscreen", ANONYMIZER_GUI_CONFIG_DIR=str(config / "config"),
               ANONYMIZER_GUI_DATA_DIR=str(config / "data"))
    done = subprocess.run([sys.executable, "-m", "benchmarks.editor_memory", "--measure", str(project_path), str(out)],
                          capture_output=True, text=True, cwd=REPO, env=env)
    if done.returncode:
        raise RuntimeError(done.stdout + done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_part_arguments(ap, minutes=4.0)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    estimate_from_parts(args, lambda project, out: _child(project, out, out.parent), " in the editor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
