"""Open, save, save as, reopen, the unsaved-changes mark and the close prompt, through the real window."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from anonymizer_gui.core.foundation import file_sha256
from anonymizer_gui.core.project.model import ExportSettings, Keyframe, Project, Shape, Track
from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.shell import prompts
from anonymizer_gui.ui.shell.error_dialog import open_error_dialogs
from anonymizer_gui.ui.shell.export_flow import start_export
from tests.clips import make_clip
from tests.ui.shell_support import (close_window, make_window, open_and_wait, shell_env,  # noqa: F401
                                    wait_jobs_done, window)
from anonymizer_gui.core.project import load_project


def add_manual_track(win, frame_range=(0, 20)) -> Track:
    track = Track(win.doc.project.next_track_id(), "badge", "manual",
                  keyframes=[Keyframe(frame_range[0], Shape.rect(10, 10, 60, 50)),
                             Keyframe(frame_range[1], Shape.rect(40, 30, 90, 70))])
    win.doc.undo_stack.push(commands.add_track(win.doc, track))
    return track


def test_save_as_marks_title_and_reopens_the_same_project(qtbot, window, tmp_clip, tmp_path):
    win = window
    open_and_wait(qtbot, win, tmp_clip.path)
    assert win.windowTitle().startswith("clip.mp4") and not win.isWindowModified()
    track = add_manual_track(win)
    assert win.isWindowModified()  # the [*] mark shows as '*'
    target = tmp_path / "mine"
    assert win.files.save_as(target)
    saved = tmp_path / "mine.json"
    assert saved.is_file() and not win.isWindowModified()
    assert win.windowTitle().startswith("mine.json (clip.mp4)")
    data = json.loads(saved.read_text())
    assert data["media"]["frame_count"] == 30 and len(data["media"]["sha256"]) == 64

    win.close_document()
    assert win.doc.project is None and win.windowTitle() == "Anonymizer"
    opened = open_and_wait(qtbot, win, saved)
    assert opened.project_path == saved
    assert [t.label for t in win.doc.project.tracks] == ["badge"]
    assert win.doc.project.tracks[0].keyframes == track.keyframes
    assert str(saved.resolve()) == win.files.recent_files()[0]


def test_ctrl_s_saves_to_the_known_path_and_asks_for_one_first(qtbot, window, tmp_clip, tmp_path, monkeypatch):
    win = window
    open_and_wait(qtbot, win, tmp_clip.path)
    add_manual_track(win)
    target = tmp_path / "asked.json"
    monkeypatch.setattr(prompts, "choose_save_file", lambda *a, **k: str(target))
    win.menus.save.trigger()  # never saved: Save asks where
    assert target.is_file() and win.doc.path == target
    add_manual_track(win, (3, 9))
    monkeypatch.setattr(prompts, "choose_save_file", lambda *a, **k: pytest.fail("asked again"))
    win.menus.save.trigger()
    assert len(load_project(target).tracks) == 2 and not win.doc.is_modified


def test_close_with_unsaved_changes_asks_save_discard_cancel(qtbot, shell_env, tmp_clip, tmp_path, monkeypatch):
    win = make_window(qtbot)
    open_and_wait(qtbot, win, tmp_clip.path)
    add_manual_track(win)
    shell_env.push("Cancel")
    assert not win.close()
    assert win.isVisible() and shell_env.asked[-1][0] == "Unsaved changes"

    target = tmp_path / "on_close.json"
    monkeypatch.setattr(prompts, "choose_save_file", lambda *a, **k: str(target))
    shell_env.push("Save")
    assert win.close()
    assert target.is_file() and len(load_project(target).tracks) == 1
    close_window(win, shell_env)


def test_discard_on_close_writes_nothing(qtbot, shell_env, tmp_clip, tmp_path):
    win = make_window(qtbot)
    open_and_wait(qtbot, win, tmp_clip.path)
    add_manual_track(win)
    shell_env.push("Discard")
    assert win.close()
    assert not list(tmp_path.glob("*.json"))
    close_window(win, shell_env)


def test_opening_another_file_asks_to_save_first(qtbot, shell_env, window, clip_factory):
    first, second = clip_factory("a.mp4", frames=10), clip_factory("b.mp4", frames=12)
    open_and_wait(qtbot, window, first.path)
    add_manual_track(window, (0, 5))
    shell_env.push("Cancel")  # keeps the edited project open
    assert window.files.open_path(second.path) is None
    assert window.doc.project.media.path.endswith("a.mp4") and window.doc.is_modified
    shell_env.push("Discard")
    open_and_wait(qtbot, window, second.path)
    assert window.doc.frame_count == 12 and not window.doc.project.tracks


def test_drop_a_file_on_the_window_opens_it(qtbot, window, tmp_clip):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_clip.path))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with warnings.catch_warnings():  # PySide6 offers only the QPoint constructor, marked deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(200, 200), *args)  # as a real drag: a drop comes only after an enter
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.opened, timeout=15000):
        QApplication.sendEvent(window, QDropEvent(QPointF(200, 200), *args))
    assert window.doc.project.media.path == str(tmp_clip.path.resolve())


def test_recent_files_menu_opens_a_file_and_forgets_missing_ones(qtbot, window, clip_factory):
    a, b = clip_factory("a.mp4", frames=8), clip_factory("b.mp4", frames=9)
    open_and_wait(qtbot, window, a.path)
    open_and_wait(qtbot, window, b.path)
    window.menus.fill_recent()
    entries = [act for act in window.menus.recent_menu.actions() if act.statusTip()]
    assert [e.statusTip() for e in entries] == [str(b.path.resolve()), str(a.path.resolve())]
    with qtbot.waitSignal(window.opened, timeout=15000):
        entries[1].trigger()
    assert window.doc.frame_count == 8
    shutil.move(str(b.path), str(b.path.with_suffix(".gone")))
    window.files.open_path(b.path)  # missing now: an error, and the list forgets it
    assert str(b.path.resolve()) not in window.files.recent_files()


def test_project_with_moved_video_asks_to_locate_it(qtbot, shell_env, window, tmp_clip, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, tmp_clip.path)
    add_manual_track(window)
    project_path = tmp_path / "p.json"
    window.files.save_as(project_path)
    window.close_document()
    moved = tmp_path / "moved" / "clip.mp4"
    moved.parent.mkdir()
    shutil.move(str(tmp_clip.path), str(moved))
    shell_env.push("Locate…")
    monkeypatch.setattr(prompts, "choose_open_file", lambda *a, **k: str(moved))
    open_and_wait(qtbot, window, project_path)
    assert window.doc.project.media.path == str(moved.resolve())
    assert len(window.doc.project.tracks) == 1
    assert window.isWindowModified()  # the new location is not saved yet
    assert "missing" in shell_env.asked[-1][1]


# -- Locate…: another file for a project whose video is missing ----------------------------------
def project_with_missing_video(qtbot, window, tmp_clip, tmp_path):
    """A saved project (one track) of the 320x240, 30-frame clip, whose video is then deleted."""
    open_and_wait(qtbot, window, tmp_clip.path)
    add_manual_track(window)
    project_path = tmp_path / "p.json"
    assert window.files.save_as(project_path)
    window.close_document()
    saved = project_path.read_bytes()
    tmp_clip.path.unlink()
    return project_path, saved


def locate(shell_env, monkeypatch, found, *answers):
    shell_env.push("Locate…", *answers)
    monkeypatch.setattr(prompts, "choose_open_file", lambda *a, **k: str(found))


def wait_error_box(qtbot):
    qtbot.waitUntil(lambda: bool(open_error_dialogs()), timeout=15000)
    box, = open_error_dialogs()
    return box


@pytest.mark.parametrize("kwargs, says", [
    (dict(width=160, height=120), ["picture size", "160x120", "320x240", "wrong place"]),
    (dict(frames=20), ["20 frames", "30", "wrong frames"]),
], ids=["picture-size", "frame-count"])
def test_locating_a_video_of_another_picture_size_or_length_is_refused(
        qtbot, shell_env, window, tmp_clip, tmp_path, monkeypatch, kwargs, says):
    project_path, saved = project_with_missing_video(qtbot, window, tmp_clip, tmp_path)
    other = make_clip(tmp_path / "other.mp4", **kwargs)
    locate(shell_env, monkeypatch, other.path)
    window.files.open_path(project_path)
    box = wait_error_box(qtbot)
    assert box.detailedText() == "" and box.windowTitle() != "Internal error"
    assert "other.mp4" in box.text() and all(s in box.text() for s in says), box.text()
    assert " size differs" not in box.text()
    box.close()
    wait_jobs_done(qtbot, window)
    assert window.doc.project is None and not window.isWindowModified()  # nothing opened
    assert project_path.read_bytes() == saved
    assert [title for title, _ in shell_env.asked] == ["Video not found"]  # refused, not asked


def test_locating_a_re_encode_asks_and_once_accepted_it_saves_and_exports(
        qtbot, shell_env, window, tmp_clip, tmp_path, monkeypatch):
    project_path, _ = project_with_missing_video(qtbot, window, tmp_clip, tmp_path)
    other = make_clip(tmp_path / "other.mp4", crf=30)  # same picture size and frames, other bytes
    locate(shell_env, monkeypatch, other.path, "Use This File")
    opened = open_and_wait(qtbot, window, project_path)
    title, text = shell_env.asked[-1]
    assert title == "Use a different file?"
    assert "other.mp4" in text and "file contents" in text and " size differs" not in text
    assert open_error_dialogs() == []  # no "Video changed" notice on top of the question
    media = window.doc.project.media
    assert media.path == str(other.path.resolve()) and opened.changed and window.isWindowModified()
    assert media.sha256 == file_sha256(other.path) and media.size == other.path.stat().st_size
    assert len(window.doc.project.tracks) == 1

    assert window.files.save()  # the decision is kept in the project
    window.close_document()
    open_and_wait(qtbot, window, project_path)
    assert open_error_dialogs() == [] and shell_env.asked[-1][0] == "Use a different file?"  # not again
    assert not window.isWindowModified()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    worker = start_export(window, out_dir / "o.mp4", ExportSettings(preset="ultrafast"))
    with qtbot.waitSignal(worker.finished, timeout=60000):
        pass
    assert open_error_dialogs() == []
    assert (out_dir / "o.mp4").is_file()


def test_declining_a_re_encode_opens_nothing(qtbot, shell_env, window, tmp_clip, tmp_path, monkeypatch):
    project_path, saved = project_with_missing_video(qtbot, window, tmp_clip, tmp_path)
    other = make_clip(tmp_path / "other.mp4", crf=30)
    locate(shell_env, monkeypatch, other.path, "Cancel")
    window.files.open_path(project_path)
    qtbot.waitUntil(lambda: len(shell_env.asked) == 2, timeout=15000)
    wait_jobs_done(qtbot, window)
    assert shell_env.asked[-1][0] == "Use a different file?"
    assert window.doc.project is None and open_error_dialogs() == []
    assert project_path.read_bytes() == saved
