"""The editor's leak check (issue 9): after an export its findings show as red marks along the timeline's
ruler; Next Finding moves the playhead there; Mask Finding turns a possible leak into a track."""

from __future__ import annotations

import pytest

from anonymizer_gui.core.project.interpolate import masks_at
from anonymizer_gui.core.project.model import ExportSettings
from anonymizer_gui.ui.shell.export_flow import start_export
from tests.e2e.test_cli_verify import make_face_clip
from tests.ui.shell_support import open_and_wait, shell_env, wait_jobs_done, window  # noqa: F401 - fixtures

pytestmark = [pytest.mark.needs_models, pytest.mark.timeout(300)]


def export_and_wait(qtbot, window, output):
    worker = start_export(window, output, ExportSettings(preset="ultrafast"))
    with qtbot.waitSignal(worker.succeeded, timeout=120000) as done:
        pass
    wait_jobs_done(qtbot, window)
    return done.args[0]


def test_an_unmasked_face_becomes_a_finding_and_one_action_masks_it(qtbot, window, tmp_path):
    clip = make_face_clip(tmp_path / "face.mp4", frames=30)
    open_and_wait(qtbot, window, clip.path)
    window.doc.project.analysis = {"classes": ["face"]}  # the leak check looks for faces only: faster
    result = export_and_wait(qtbot, window, tmp_path / "out.mp4")
    verify = result.report["verify"]
    assert verify["verdict"] == "leaks" and len(verify["possible_leaks"]) == 1
    assert len(window.doc.findings) == 1 and window.timeline.canvas.finding_rects()
    timeline = window.timeline
    window.doc.set_frame(20)
    finding = timeline.next_finding()  # wraps round to the first finding
    assert window.doc.frame == finding["frames"][0] == 0
    track_id = timeline.mask_finding()
    assert track_id is not None and window.doc.findings == []
    track = window.doc.track(track_id)
    assert track.source == "manual" and track.label == "face"
    assert all(masks_at(window.doc.project, f) for f in range(clip.frames))
    assert window.doc.undo_stack.text(window.doc.undo_stack.index() - 1).startswith("Mask finding")
    again = export_and_wait(qtbot, window, tmp_path / "out2.mp4")
    assert again.report["verify"]["verdict"] == "clean" and window.doc.findings == []
