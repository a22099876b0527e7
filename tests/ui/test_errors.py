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


def missing_video_project(tmp_path, tmp_clip):
    """A project file of `tmp_clip` whose video is not where it says."""
    from anonymizer_gui.core.foundation import file_sha256
    from anonymizer_gui.core.media import probe
    from anonymizer_gui.core.project import save_project

    project = project_files.new_project(tmp_clip.path, probe(tmp_clip.path), file_sha256(tmp_clip.path))
    project.media.path = str(tmp_path / "gone.mp4")
    save_project(project, tmp_path / "p.json")
    return tmp_path / "p.json"


def huge_png(path):
    """A PNG whose header claims 100000x100000 pixels."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("kind", ["another-error-of-ours", "huge-png"])
def test_a_file_that_cannot_be_used_in_locate_gets_a_clear_message(
        qtbot, window, shell_env, tmp_path, tmp_clip, monkeypatch, kind):
    from anonymizer_gui.core import media
    from anonymizer_gui.core.foundation.errors import AnonymizerError
    from anonymizer_gui.ui.shell import prompts

    project_path = missing_video_project(tmp_path, tmp_clip)
    chosen = tmp_clip.path
    if kind == "huge-png":
        chosen = huge_png(tmp_path / "huge.png")
    else:
        def refuses(path, **kwargs):  # any error of our own, not only MediaError
            raise AnonymizerError(f"{path} cannot be used here: a test refusal")

        monkeypatch.setattr(media, "probe", refuses)
    shell_env.push("Locate…")
    monkeypatch.setattr(prompts, "choose_open_file", lambda *a, **k: str(chosen))
    window.files.open_path(project_path)
    box = wait_error(qtbot)
    assert box.windowTitle() != "Internal error" and box.detailedText() == ""
    assert chosen.name in box.text()
    dismiss_all()
    wait_jobs_done(qtbot, window)
    assert window.doc.project is None


def test_a_deeply_nested_project_file_gets_a_clear_message(qtbot, window, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    window.files.open_path(deep)
    box = wait_error(qtbot)
    assert box.windowTitle() == "Cannot open" and box.detailedText() == ""
    assert "deep.json" in box.text() and "nested too deeply" in box.text()
    dismiss_all()
    assert window.doc.project is None
