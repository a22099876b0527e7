"""Inspector: every change is one undoable command; text commits when editing ends; no selection = default style."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from anonymizer_gui.core.project.model import MaskStyle
from anonymizer_gui.ui.panels.inspector import Inspector
from tests.ui.views_support import open_editor


@pytest.fixture
def editor(tmp_path, qtbot):
    ed = open_editor(tmp_path / "clip.mp4", qtbot, width=160, height=120, frames=12)
    yield ed
    ed.frames.close()


@pytest.fixture
def inspector(editor, qtbot):
    w = Inspector(editor.doc)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def choose(combo, text: str) -> None:
    """Pick an item by typing its name on the closed combo box, as a keyboard user does."""
    combo.setFocus()
    assert combo.findText(text) >= 0, text
    QTest.keyClicks(combo, text)
    assert combo.currentText() == text


def test_style_change_of_a_track_is_one_undoable_command(inspector, editor):
    doc = editor.doc
    doc.select([1])
    assert inspector.style_combo.currentText() == "Project default"
    choose(inspector.style_combo, "Pixelate")
    assert doc.track(1).style.kind == "pixelate"
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.track(1).style is None
    assert inspector.style_combo.currentText() == "Project default"  # the form follows undo
    doc.undo_stack.redo()
    assert inspector.style_combo.currentText() == "Pixelate"


def test_strength_and_margin_commit_when_entered(inspector, editor):
    doc = editor.doc
    doc.select([1])
    spin = inspector.strength
    spin.setFocus()
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin, "2.5")
    assert doc.undo_stack.count() == 0  # nothing while typing
    QTest.keyClick(spin, Qt.Key.Key_Return)
    assert doc.track(1).style.strength == 2.5 and doc.undo_stack.count() == 1
    inspector.margin.setFocus()
    QTest.keyClick(inspector.margin, Qt.Key.Key_Up)  # one step: +5 %
    assert doc.track(1).style.margin == pytest.approx(doc.project.default_style.margin + 0.05)
    assert doc.track(1).style.strength == 2.5  # the other fields stay
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.track(1).style is None


def test_label_and_reason_commit_on_editing_finished_not_per_keystroke(inspector, editor):
    doc = editor.doc
    doc.select([2])
    edit = inspector.label_combo.lineEdit()
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, "badge")
    assert doc.track(2).label == "plate" and doc.undo_stack.count() == 0
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert doc.track(2).label == "badge" and doc.undo_stack.count() == 1
    inspector.reason.setFocus()
    QTest.keyClicks(inspector.reason, "requester asked to stay visible")
    assert doc.undo_stack.count() == 1
    QTest.keyClick(inspector.reason, Qt.Key.Key_Tab)  # leaving the field commits too
    assert doc.track(2).reason == "requester asked to stay visible"
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    assert doc.track(2).reason == "" and inspector.reason.text() == ""


def test_enabled_switch_and_multi_selection(inspector, editor):
    doc = editor.doc
    doc.select([1, 3])  # one on, one off
    assert inspector.enabled.checkState() == Qt.CheckState.PartiallyChecked
    assert inspector.title.text() == "2 tracks selected"
    QTest.mouseClick(inspector.enabled, Qt.MouseButton.LeftButton)
    assert doc.track(1).enabled and doc.track(3).enabled
    choose(inspector.style_combo, "Solid colour")
    assert doc.track(1).style.kind == "solid" and doc.track(3).style.kind == "solid"
    assert doc.undo_stack.count() == 2  # one command per change, for both tracks
    inspector.set_color((200, 10, 30))
    assert doc.track(1).style.color == (200, 10, 30) == doc.track(3).style.color
    QTest.mouseClick(inspector.enabled, Qt.MouseButton.LeftButton)
    assert not doc.track(1).enabled and not doc.track(3).enabled


def test_without_selection_it_edits_the_project_default_style(inspector, editor):
    doc = editor.doc
    assert "Default style" in inspector.title.text()
    assert not inspector.reason.isVisible()
    assert inspector.style_combo.findText("Project default") == -1
    choose(inspector.style_combo, "Solid colour")
    assert doc.project.default_style == MaskStyle(kind="solid")
    assert inspector.color_button.isVisible()
    doc.undo_stack.undo()
    assert doc.project.default_style.kind == "blur"
    assert not inspector.color_button.isVisible()
