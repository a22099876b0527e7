"""Fail closed in the editor (issue 9): Select All respects the tracks panel's filter, the inspector keeps
what the operator types while tracks arrive, and shows the irreversibility floor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from anonymizer_gui.core.project import MIN_STRENGTH
from anonymizer_gui.core.project.model import Keyframe, Shape, Track
from anonymizer_gui.ui.document import commands
from tests.ui.test_edit_menu import editor, press, project_file  # noqa: F401 - fixtures
from tests.ui.shell_support import shell_env, window  # noqa: F401 - fixtures


def test_select_all_then_switch_off_touches_only_the_tracks_the_filter_shows(qtbot, editor):
    win = editor
    win.tracks_panel.set_label_filter("plate")
    assert win.tracks_panel.visible_track_ids() == [2]
    press(qtbot, win, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.selected_ids == [2]
    win.edit.toggle_enabled.trigger()
    assert win.doc.track(1).enabled and not win.doc.track(2).enabled
    win.tracks_panel.set_label_filter(None)
    press(qtbot, win, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.selected_ids == [1, 2]


def test_arriving_tracks_keep_the_reason_the_operator_is_typing(qtbot, editor):
    win = editor
    win.doc.select([1])
    inspector = win.inspector
    inspector.reason.setFocus()
    QTest.keyClicks(inspector.reason, "asked to be")
    new = Track(7, "face", "auto", keyframes=[Keyframe(3, Shape.rect(10, 10, 30, 30))])
    win.doc.undo_stack.push(commands.add_track(win.doc, new))  # as an analysis delivers its tracks
    assert inspector.reason.text() == "asked to be"
    QTest.keyClicks(inspector.reason, " shown")
    QTest.keyClick(inspector.reason, Qt.Key.Key_Return)
    assert win.doc.track(1).reason == "asked to be shown"


def test_the_inspector_shows_the_floor(qtbot, editor):
    win = editor
    win.doc.select([1])
    assert win.inspector.strength.minimum() == MIN_STRENGTH
    assert "floor" in win.inspector.strength.toolTip()
