"""Open, save, save as, reopen, the unsaved-changes mark and the close prompt, through the real window."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from anonymizer_gui.core.project.model import Keyframe, Project, Shape, Track
from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.shell import prompts
from tests.ui.shell_support import close_window, make_window, open_and_wait, shell_env, window  # noqa: F401
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
