"""Background jobs in the window: analysis tracks arriving as one undo step, progress text, cancel of
analysis (the found tracks stay) and of export (nothing written), and the queue of heavy jobs."""

from __future__ import annotations

import os
import re
import sys
import threading

import pytest
from PySide6.QtCore import Qt

from anonymizer_gui.core.foundation.progress import Progress
from anonymizer_gui.core.project.model import ExportSettings
from anonymizer_gui.ui.jobs.background import BACKGROUND_NICENESS
from anonymizer_gui.ui.shell import prompts
from anonymizer_gui.ui.shell.export_flow import start_export
from anonymizer_gui.ui.jobs.job_bar import format_progress
from anonymizer_gui.ui.jobs.worker import Worker
from tests.clips import MovingBox
from tests.ui.shell_support import TextureDetector, open_and_wait, shell_env, wait_jobs_done, window  # noqa: F401

PROGRESS_RE = re.compile(r"^\d+/\d+ frames · \d+\.\d fps · \d+:\d\d left$")


class FadingDetector(TextureDetector):
    """Sees the boxes only in the first `visible` frames: a face that leaves, so its track ends early."""

    def __init__(self, visible: int, **kwargs):
        super().__init__(**kwargs)
        self.visible = visible
        self._count = 0

    def detect(self, frames):
        out = super().detect(frames)
        result = []
        for dets in out:
            result.append(dets if self._count < self.visible else dets.select([]))
            self._count += 1
        return result


@pytest.fixture
def slow_clip(clip_factory):
    boxes = (MovingBox(30, 60, 48, 48, vx=2, vy=1, texture="checker", cell=4),
             MovingBox(200, 120, 56, 56, vx=-2, vy=0, texture="noise", seed=3))
    return clip_factory("slow.mp4", frames=60, boxes=boxes)


def test_progress_text_shows_count_rate_and_time_left():
    assert format_progress(Progress("analyse", 312, 1500, 24.3, 48.9)) == "312/1500 frames · 24.3 fps · 0:49 left"
    assert format_progress(Progress("export", 10, 0, 5.0, None)) == "10 frames · 5.0 fps"
    assert format_progress(Progress("hash", 50_000_000, 200_000_000, 25e6, 6)).startswith("50/200 MB · 25.0 MB/s")
    assert format_progress(Progress("analyse", 1, 100_000, 1.0, 3725)).endswith("1:02:05 left")


def test_analysis_tracks_arrive_while_running_and_undo_as_one_step(qtbot, window, slow_clip):
    open_and_wait(qtbot, window, slow_clip.path)
    detector = FadingDetector(visible=12, delay_s=0.02)
    window.analysis.classes = ("face",)
    window.analysis.detectors = {"face": detector}
    worker = window.analysis.start()
    row = window.job_bar.row(worker)
    assert row is not None and row.name_label.text().startswith("Analysing")
    # The tracks end when the boxes are no longer seen and show up before the analysis ends.
    qtbot.waitUntil(lambda: len(window.doc.project.tracks) >= 2, timeout=20000)
    assert worker.is_running()
    qtbot.waitUntil(lambda: PROGRESS_RE.match(row.detail_label.text()) is not None, timeout=10000)
    wait_jobs_done(qtbot, window)
    tracks = window.doc.project.tracks
    assert len(tracks) == 2 and all(t.source == "auto" for t in tracks)
    assert all(t.first_frame == 0 and t.last_frame < 59 for t in tracks)
    assert window.doc.project.analysis["cancelled"] is False
    assert window.doc.undo_stack.count() == 1 and window.doc.undo_stack.text(0) == "Analyse"
    window.edit.undo.trigger()
    assert window.doc.project.tracks == [] and window.doc.project.analysis == {}
    window.edit.redo.trigger()
    assert len(window.doc.project.tracks) == 2 and window.doc.project.analysis["classes"] == ["face"]
    assert not window.job_bar.isVisible()


def test_cancel_analysis_keeps_the_tracks_found_so_far(qtbot, window, slow_clip):
    open_and_wait(qtbot, window, slow_clip.path)
    window.analysis.classes = ("face",)
    window.analysis.detectors = {"face": TextureDetector(delay_s=0.05)}
    worker = window.analysis.start()
    row = window.job_bar.row(worker)
    qtbot.waitUntil(lambda: worker.last_progress is not None and worker.last_progress.done >= 12, timeout=20000)
    assert window.menus.cancel_analysis.isEnabled()
    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    assert row.detail_label.text() == "cancelling…"
    with qtbot.waitSignal(worker.finished, timeout=10000):
        pass
    wait_jobs_done(qtbot, window)
    tracks = window.doc.project.tracks
    assert len(tracks) == 2  # both boxes, up to where the analysis stopped
    assert all(t.first_frame == 0 and 12 <= t.last_frame < 59 for t in tracks)
    assert window.doc.project.analysis["cancelled"] is True
    assert window.doc.undo_stack.count() == 1
    assert "stopped" in window.statusBar().currentMessage()
    assert not window.menus.cancel_analysis.isEnabled() and window.menus.analyse.isEnabled()


def test_cancel_export_writes_nothing(qtbot, window, slow_clip, tmp_path):
    open_and_wait(qtbot, window, slow_clip.path)
    (tmp_path / "exports").mkdir()
    output = tmp_path / "exports" / "out.mp4"
    worker = start_export(window, output, ExportSettings(preset="veryfast"))
    qtbot.mouseClick(window.job_bar.row(worker).cancel_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(worker.cancelled, timeout=10000):
        pass
    wait_jobs_done(qtbot, window)
    assert not output.exists()
    assert list((tmp_path / "exports").iterdir()) == []  # no temporary file left
    assert "cancelled" in window.statusBar().currentMessage()


def test_export_waits_for_the_running_analysis(qtbot, window, slow_clip, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, slow_clip.path)
    asked = []
    monkeypatch.setattr(prompts, "ask", lambda *a, **k: asked.append(a[1]) or "Export Anyway")
    window.analysis.classes = ("face",)
    window.analysis.detectors = {"face": TextureDetector(delay_s=0.05)}
    analysis = window.analysis.start()
    export = start_export(window, tmp_path / "queued.mp4", ExportSettings(preset="ultrafast"))
    assert window.job_bar.queued() == [export]
    assert window.job_bar.row(export).detail_label.text() == "waiting for analysing faces and plates"
    qtbot.waitUntil(lambda: analysis.last_progress is not None and analysis.last_progress.done >= 12, timeout=20000)
    window.menus.cancel_analysis.trigger()
    with qtbot.waitSignal(export.succeeded, timeout=30000) as done:
        pass
    assert analysis.is_cancel_requested() and (tmp_path / "queued.mp4").is_file()
    # The export took the project when it started, with the tracks the analysis delivered (issue 9):
    # not the empty project of when Export was clicked. The analysis was cancelled, so it asked first.
    report = done.args[0].report
    assert len(report["tracks"]) == 2 and report["frames"]["with_mask"] > 0
    assert asked == ["Export an incomplete analysis?"] and report["analysis"]["exported_incomplete"] is True


def test_an_incomplete_analysis_is_not_exported_unless_the_operator_agrees(qtbot, window, slow_clip, tmp_path,
                                                                           monkeypatch):
    open_and_wait(qtbot, window, slow_clip.path)
    window.doc.project.analysis = {"cancelled": True, "frames_analyzed": 20}
    monkeypatch.setattr(prompts, "ask", lambda *a, **k: "Cancel")
    outcome = []
    export = start_export(window, tmp_path / "refused.mp4", ExportSettings(preset="ultrafast"))
    export.cancelled.connect(lambda _partial: outcome.append("cancelled"))
    export.succeeded.connect(lambda _result: outcome.append("written"))
    wait_jobs_done(qtbot, window)
    qtbot.waitUntil(lambda: "was not written" in window.statusBar().currentMessage(), timeout=10000)
    assert not (tmp_path / "refused.mp4").exists() and "written" not in outcome


def test_a_queued_job_taken_off_the_queue_was_never_run(qtbot, shell_env, window, slow_clip, tmp_path):
    open_and_wait(qtbot, window, slow_clip.path)
    window.analysis.classes = ("face",)
    window.analysis.detectors = {"face": TextureDetector()}
    window.menus.analyse.trigger()
    wait_jobs_done(qtbot, window)
    found = [t.id for t in window.doc.project.tracks]
    assert len(found) >= 2
    export = start_export(window, tmp_path / "first.mp4", ExportSettings(preset="ultrafast"))
    seen = []
    # Again, replacing the earlier tracks: queued behind the export, then taken off the queue.
    shell_env.push("Replace")
    reanalysis = window.analysis.start()
    assert window.job_bar.queued() == [reanalysis]
    for name in ("cancelled", "dropped", "finished", "succeeded"):
        getattr(reanalysis, name).connect(lambda *_a, n=name: seen.append(n))
    qtbot.mouseClick(window.job_bar.row(reanalysis).cancel_button, Qt.MouseButton.LeftButton)
    assert seen == ["dropped", "finished"]  # not "cancelled": it has nothing to report
    assert window.job_bar.row(reanalysis) is None and not window.job_bar.queued()
    assert not window.analysis.is_running() and window.menus.analyse.isEnabled()
    with qtbot.waitSignal(export.succeeded, timeout=30000):
        pass
    wait_jobs_done(qtbot, window)
    assert [t.id for t in window.doc.project.tracks] == found  # the earlier analysis stays
    assert window.doc.undo_stack.count() == 1


def test_every_job_and_the_threads_it_starts_run_at_background_priority(qtbot):
    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread nice values are a Linux feature")

    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def job(progress, cancel):
        inner = []
        helper = threading.Thread(target=lambda: inner.append(priority()))  # like a decoder's threads
        helper.start()
        helper.join()
        return priority(), inner[0]

    ui_before = priority()
    worker = Worker(job, "Probe")
    with qtbot.waitSignal(worker.succeeded, timeout=5000) as blocker:
        worker.start()
    assert blocker.args[0][0] >= BACKGROUND_NICENESS and blocker.args[0][1] >= BACKGROUND_NICENESS
    assert priority() == ui_before  # the UI thread keeps its priority


def test_undo_during_an_analysis_loses_no_delivered_track(qtbot, window, slow_clip):
    open_and_wait(qtbot, window, slow_clip.path)
    window.analysis.classes = ("face",)
    window.analysis.detectors = {"face": FadingDetector(visible=12, delay_s=0.03)}
    worker = window.analysis.start()
    qtbot.waitUntil(lambda: len(window.doc.project.tracks) >= 2, timeout=20000)
    assert worker.is_running()
    window.edit.undo.trigger()  # Ctrl+Z while the analysis goes on
    assert window.doc.project.tracks == []
    wait_jobs_done(qtbot, window)
    tracks = window.doc.project.tracks
    assert len(tracks) == 2 and all(t.first_frame == 0 for t in tracks)  # delivered again, not lost
    assert window.doc.project.analysis["cancelled"] is False
    window.edit.undo.trigger()
    assert window.doc.project.tracks == []


def test_a_cancelled_replace_keeps_the_old_masks_where_it_never_reached(qtbot, window, slow_clip, monkeypatch):
    from anonymizer_gui.core.project.interpolate import masks_at

    def uncovered(project) -> list[int]:
        """Frames where the centre of a box of the clip lies in no mask."""
        def inside(box, shape) -> bool:
            x1, y1, x2, y2 = shape.bbox()
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            return x1 <= cx <= x2 and y1 <= cy <= y2
        return [f for f in range(60) if not all(any(inside(b, s) for _, s, _ in masks_at(project, f))
                                                for b in slow_clip.boxes[f])]

    open_and_wait(qtbot, window, slow_clip.path)
    window.analysis.classes = ("face",)
    window.analysis.detectors = {"face": TextureDetector()}
    window.analysis.start()
    wait_jobs_done(qtbot, window)
    assert uncovered(window.doc.project) == []
    monkeypatch.setattr(prompts, "ask", lambda *a, **k: "Replace")
    window.analysis.detectors = {"face": TextureDetector(delay_s=0.05)}
    worker = window.analysis.start()
    qtbot.waitUntil(lambda: worker.last_progress is not None and worker.last_progress.done >= 12, timeout=20000)
    window.menus.cancel_analysis.trigger()
    wait_jobs_done(qtbot, window)
    project = window.doc.project
    assert project.analysis["cancelled"] is True and project.analysis["frames_analyzed"] < 60
    assert uncovered(project) == []  # frames the new run never reached keep the old masks
    window.edit.undo.trigger()  # one step back: the earlier analysis, whole
    assert uncovered(window.doc.project) == []
