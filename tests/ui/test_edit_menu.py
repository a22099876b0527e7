"""Undo and redo of every track edit through the Edit menu's actions and their keyboard shortcuts."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from anonymizer_gui.core.project.interpolate import shape_at
from anonymizer_gui.core.media import probe
from anonymizer_gui.core.project.model import Keyframe, Shape, Track
from anonymizer_gui.ui.shell.project_files import new_project
from tests.clips import make_clip
from tests.ui.shell_support import open_and_wait, shell_env, window  # noqa: F401 - fixtures
from anonymizer_gui.core.project import save_project


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    """A saved project on a 30-frame clip: track 1 over frames 0-29, track 2 over frames 10-25."""
    folder = tmp_path_factory.mktemp("edit_menu")
    clip = make_clip(folder / "clip.mp4", frames=30)
    project = new_project(clip.path, probe(clip.path), "")
    project.tracks = [
        Track(1, "face", "auto", keyframes=[Keyframe(0, Shape.rect(*clip.boxes[0][0])),
                                            Keyframe(15, Shape.rect(*clip.boxes[15][0])),
                                            Keyframe(29, Shape.rect(*clip.boxes[29][0]))],
              scores={f: 0.9 for f in range(30)}),
        Track(2, "plate", "auto", keyframes=[Keyframe(10, Shape.rect(*clip.boxes[10][1])),
                                             Keyframe(25, Shape.rect(*clip.boxes[25][1]))]),
    ]
    path = folder / "clip.anon.json"
    save_project(project, path)
    return path


def tracks_state(doc) -> list:
    return copy.deepcopy(doc.project.tracks)


def press(qtbot, win, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=2000)
    QTest.keyClick(win, key, modifier)


def undo_redo_by_keys(qtbot, win, before, after) -> None:
    press(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.project.tracks == before
    press(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert win.doc.project.tracks == after


@pytest.fixture
def editor(qtbot, window, project_file):
    open_and_wait(qtbot, window, project_file)
    assert not window.doc.is_modified
    return window


def test_split_at_playhead_by_shortcut_then_undo_redo(qtbot, editor):
    win = editor
    win.doc.select([1])
    win.doc.set_frame(12)
    before = tracks_state(win.doc)
    press(qtbot, win, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    ids = [t.id for t in win.doc.project.tracks]
    assert len(ids) == 3
    head, tail = win.doc.track(1), win.doc.track(3)
    assert head.last_frame == 11 and tail.first_frame == 12
    assert win.isWindowModified()
    after = tracks_state(win.doc)
    undo_redo_by_keys(qtbot, win, before, after)
    assert "Split track 1" in win.edit.undo.text()


def test_merge_selected_from_the_menu_then_undo_redo(qtbot, editor):
    win = editor
    win.doc.select([1, 2])
    before = tracks_state(win.doc)
    assert win.edit.merge.isEnabled()
    win.edit.merge.trigger()
    assert [t.id for t in win.doc.project.tracks] == [1]
    merged = win.doc.track(1)
    assert {k.frame for k in merged.keyframes} == {0, 10, 15, 25, 29}
    after = tracks_state(win.doc)
    win.edit.undo.trigger()
    assert win.doc.project.tracks == before
    win.edit.redo.trigger()
    assert win.doc.project.tracks == after


def test_delete_tracks_by_delete_key_then_undo_redo(qtbot, editor):
    win = editor
    win.doc.select([2])
    before = tracks_state(win.doc)
    press(qtbot, win, Qt.Key.Key_Delete)
    assert [t.id for t in win.doc.project.tracks] == [1]
    undo_redo_by_keys(qtbot, win, before, tracks_state(win.doc))


def test_disable_and_enable_selected_keeps_the_requester_visible(qtbot, editor):
    win = editor
    win.doc.select([1, 2])
    before = tracks_state(win.doc)
    assert win.edit.toggle_enabled.text() == "Disable Selected"
    press(qtbot, win, Qt.Key.Key_D)
    assert not win.doc.track(1).enabled and not win.doc.track(2).enabled
    assert win.edit.toggle_enabled.text() == "Enable Selected"
    after = tracks_state(win.doc)
    undo_redo_by_keys(qtbot, win, before, after)
    press(qtbot, win, Qt.Key.Key_D)  # toggles back on
    assert win.doc.track(1).enabled and win.doc.track(2).enabled
    assert win.doc.undo_stack.count() == 2


def test_hide_from_here_marks_outside_then_undo_redo(qtbot, editor):
    win = editor
    win.doc.select([1])
    win.doc.set_frame(20)
    before = tracks_state(win.doc)
    assert shape_at(win.doc.track(1), 22) is not None
    press(qtbot, win, Qt.Key.Key_H)
    track = win.doc.track(1)
    assert track.keyframes[track.keyframe_index(20)].outside
    assert shape_at(track, 22) is None and shape_at(track, 19) is not None
    undo_redo_by_keys(qtbot, win, before, tracks_state(win.doc))


def test_delete_keyframe_only_where_there_is_one(qtbot, editor):
    win = editor
    win.doc.select([1])
    win.doc.set_frame(14)
    assert not win.edit.delete_keyframe.isEnabled()  # no keyframe at 14
    win.doc.set_frame(15)
    assert win.edit.delete_keyframe.isEnabled()
    before = tracks_state(win.doc)
    press(qtbot, win, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert [k.frame for k in win.doc.track(1).keyframes] == [0, 29]
    assert len(win.doc.project.tracks) == 2  # Shift+Delete removed a keyframe, not the track
    undo_redo_by_keys(qtbot, win, before, tracks_state(win.doc))


def test_select_all_and_history_view_lists_each_step(qtbot, editor):
    win = editor
    press(qtbot, win, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.selected_ids == [1, 2]
    win.edit.toggle_enabled.trigger()
    win.doc.select([1])
    win.doc.set_frame(5)
    win.edit.split.trigger()
    model = win.undo_view.model()
    labels = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert labels[0] == "Opened" and labels[1].startswith("Disable") and labels[2].startswith("Split")
    win.undo_view.setCurrentIndex(model.index(0, 0))  # clicking "Opened" in the history undoes both
    assert win.doc.undo_stack.index() == 0 and not win.doc.is_modified
