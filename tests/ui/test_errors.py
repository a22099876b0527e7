"""Errors a user can cause appear as clear dialogs (no traceback) and the program keeps running."""

from __future__ import annotations

import errno
import sys

import pytest
from PySide6.QtCore import QTimer

from anonymizer_gui.core.export import safe_output
from anonymizer_gui.core.detect.manifest import FETCH_COMMAND
from anonymizer_gui.core.project.model import ExportSettings, Project
from anonymizer_gui.ui.shell import error_dialog, project_files
from anonymizer_gui.ui.shell.error_dialog import open_error_dialogs
from anonymizer_gui.ui.shell.export_flow import start_export
from tests.clips import make_random_bytes, make_text_file
from tests.ui.shell_support import open_and_wait, shell_env, wait_jobs_done, window  # noqa: F401
from tests.ui.test_autosave import add_track


def wait_error(qtbot, timeout: int = 15000):
    qtbot.waitUntil(lambda: bool(open_error_dialogs()), timeout=timeout)
    boxes = open_error_dialogs()
    assert len(boxes) == 1
    return boxes[0]


def dismiss_all() -> None:
    for box in open_error_dialogs():
        box.close()


def test_unreadable_file_shows_a_clear_message_and_the_editor_goes_on(qtbot, window, tmp_path, tmp_clip):
    bad = make_random_bytes(tmp_path / "holiday.mp4")
    window.files.open_path(bad)
    box = wait_error(qtbot)
    assert "holiday.mp4" in box.text() and "Traceback" not in box.text()
    assert box.detailedText() == ""  # a user error: nothing to expand
    assert window.doc.project is None
    dismiss_all()
    open_and_wait(qtbot, window, tmp_clip.path)  # still working
    assert window.doc.frame_count == tmp_clip.frames


def test_a_text_file_and_a_broken_project_get_their_own_messages(qtbot, window, tmp_path):
    window.files.open_path(make_text_file(tmp_path / "notes.mov"))
    assert "notes.mov" in wait_error(qtbot).text()
    dismiss_all()
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "media": ', encoding="utf-8")
    window.files.open_path(broken)
    box = wait_error(qtbot)
    assert "broken.json is not valid JSON" in box.text() and box.windowTitle() == "Cannot open"
    dismiss_all()


def test_missing_model_names_the_fetch_command(qtbot, window, tmp_clip, tmp_path, monkeypatch):
    monkeypatch.setenv("ANONYMIZER_GUI_MODEL_DIR", str(tmp_path / "no-models"))
    open_and_wait(qtbot, window, tmp_clip.path)
    window.analysis.classes = ("face",)
    window.analysis.start()
    box = wait_error(qtbot, timeout=30000)
    assert FETCH_COMMAND in box.text() and box.windowTitle() == "Analysis failed"
    wait_jobs_done(qtbot, window)
    assert window.menus.analyse.isEnabled() and window.doc.project.tracks == []
    dismiss_all()


def test_full_disk_on_save_keeps_the_edits_unsaved(qtbot, window, tmp_clip, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, tmp_clip.path)
    add_track(window)

    def disk_full(self, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(project_files, "save_project", disk_full)
    assert not window.files.save_as(tmp_path / "p.json")
    box = wait_error(qtbot)
    assert box.text().startswith("The disk is full while saving the project")
    assert window.isWindowModified() and window.doc.path is None
    dismiss_all()
    monkeypatch.undo()
    assert window.files.save_as(tmp_path / "p.json") and not window.isWindowModified()


def test_full_disk_during_export_leaves_no_file(qtbot, window, tmp_clip, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, tmp_clip.path)

    def disk_full(self, data):
        raise safe_output.write_error(OSError(errno.ENOSPC, "No space left on device"), self.target)

    monkeypatch.setattr(safe_output.TempFile, "write_bytes", disk_full)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    start_export(window, out_dir / "clip.redacted.mp4", ExportSettings(preset="ultrafast"))
    box = wait_error(qtbot, timeout=30000)
    assert "disk is full" in box.text() and box.windowTitle() == "Export failed"
    wait_jobs_done(qtbot, window)
    assert list(out_dir.iterdir()) == []
    dismiss_all()


@pytest.mark.qt_no_exception_capture
def test_uncaught_exception_in_a_slot_becomes_a_dialog(qtbot, window, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", error_dialog.excepthook)

    def broken_slot():
        raise ZeroDivisionError("division by zero in a test slot")

    QTimer.singleShot(0, broken_slot)
    box = wait_error(qtbot)
    assert box.windowTitle() == "Internal error"
    assert "ZeroDivisionError: division by zero in a test slot" in box.text()
    assert "Traceback" in box.detailedText() and "broken_slot" in box.detailedText()
    dismiss_all()
    ticked = []
    QTimer.singleShot(0, lambda: ticked.append(True))  # the event loop is alive
    qtbot.waitUntil(lambda: ticked == [True], timeout=2000)


def test_user_errors_in_slots_show_without_details(qtbot, window, monkeypatch):
    from anonymizer_gui.core.foundation.errors import MediaError

    box = error_dialog.show_exception(window, MediaError("cannot read clip.mp4: unsupported codec 'foo'"))
    assert box.windowTitle() == "Cannot open the media" and box.detailedText() == ""
    again = error_dialog.show_exception(window, MediaError("cannot read clip.mp4: unsupported codec 'foo'"))
    assert again is box and len(open_error_dialogs()) == 1  # the same error is not stacked
    dismiss_all()
