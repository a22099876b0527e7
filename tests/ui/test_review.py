"""Issue 11 in the editor: review commands, the queue's keys, reasons, bulk actions and the counts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow

from anonymizer_gui.core.project import Keyframe, Shape, Track
from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.media.playback import Playback
from anonymizer_gui.ui.panels.reason_dialog import ReasonDialog
from anonymizer_gui.ui.panels.review_queue import ReviewQueue
from anonymizer_gui.ui.panels.tracks_model import COL_RANGE, COL_REVIEW
from anonymizer_gui.ui.panels.tracks_panel import TracksPanel
from anonymizer_gui.ui.viewer.viewer import VideoViewer
from tests.ui.views_support import open_editor


def four_tracks(clip):
    """1: good and long; 2: weak and short; 3: manual (accepted); 4: short but strong."""
    n = clip.frames
    box = lambda f, b: Shape.rect(*clip.boxes[f][b])  # noqa: E731
    t1 = Track(1, "face", keyframes=[Keyframe(0, box(0, 0)), Keyframe(n - 1, box(n - 1, 0))],
               scores={f: 0.95 for f in range(n)})
    t2 = Track(2, "face", keyframes=[Keyframe(10, box(10, 1)), Keyframe(14, box(14, 1))],
               scores={10: 0.3, 11: 0.35, 12: 0.4, 13: 0.3, 14: 0.3})
    t3 = Track(3, "manual", "manual", review="accepted", review_by="someone",
               keyframes=[Keyframe(0, Shape.rect(200, 20, 260, 60))])
    t4 = Track(4, "plate", keyframes=[Keyframe(20, box(20, 1)), Keyframe(23, box(23, 1))],
               scores={20: 0.9, 21: 0.99, 22: 0.9, 23: 0.9})
    return [t1, t2, t3, t4]


@pytest.fixture
def editor(tmp_path, qtbot):
    ed = open_editor(tmp_path / "clip.mp4", qtbot, tracks=four_tracks, width=320, height=240, frames=30)
    ed.doc.operator = "ana"
    ed.doc.clock = lambda: "2026-12-01T10:00:00+00:00"
    yield ed
    ed.frames.close()


@pytest.fixture
def window(editor, qtbot):
    win = QMainWindow()
    win.viewer = VideoViewer(editor.doc, editor.frames)
    win.setCentralWidget(win.viewer)
    win.playback = Playback(editor.doc, editor.frames, win)
    win.panel = TracksPanel(editor.doc, editor.frames)
    win.queue = ReviewQueue(editor.doc, win.playback, win.panel.queue_order, win)
    win.reasons_asked = []

    def answer(state, default, note):
        win.reasons_asked.append((state, default))
        return ({"rejected": "false_detection", "visible": "bystander"}[state], "")

    win.queue.ask_reason = answer
    win.queue.confirm = lambda question: True
    win.panel.bulkRequested.connect(lambda st: win.queue.bulk(st, win.panel.visible_track_ids()))
    win.addActions(win.playback.actions() + win.queue.actions())
    qtbot.addWidget(win)
    qtbot.addWidget(win.panel)
    win.resize(500, 400)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    win.viewer.setFocus()
    return win


def key(win, k, mod=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(win.viewer, k, mod)


def test_set_review_records_who_and_when_and_undoes(editor):
    doc = editor.doc
    doc.undo_stack.push(commands.set_review(doc, [1, 2], "visible", "requester", "the requester"))
    t = doc.track(2)
    assert (t.review, t.review_by, t.review_at, t.reason_code, t.reason, t.enabled) == (
        "visible", "ana", "2026-12-01T10:00:00+00:00", "requester", "the requester", False)
    assert doc.undo_stack.count() == 1 and doc.undo_stack.text(0) == "Keep visible 2 tracks (Requester kept visible)"
    doc.undo_stack.undo()
    assert doc.track(1).review == doc.track(2).review == "unreviewed" and doc.track(2).enabled
    with pytest.raises(ValueError, match="needs a reason"):
        commands.set_review(doc, [1], "rejected")


def test_switching_a_track_off_is_a_rejection_with_a_reason(editor):
    doc = editor.doc
    doc.undo_stack.push(commands.set_enabled(doc, [1], False))
    assert (doc.track(1).review, doc.track(1).reason_code, doc.track(1).review_by) == ("rejected", "false_detection",
                                                                                       "ana")
    doc.undo_stack.push(commands.set_enabled(doc, [1], True))
    assert doc.track(1).review == "accepted"


def test_queue_keys_review_every_track_in_risk_order(window, editor):
    doc = editor.doc
    key(window, Qt.Key.Key_N)
    assert doc.selected_ids == [2]  # weak and short: the riskiest
    assert doc.frame == 12 and window.playback.loop == (10, 14)  # its best frame: the strongest score
    key(window, Qt.Key.Key_X)  # reject, asks the reason with "false detection" offered
    assert window.reasons_asked == [("rejected", "false_detection")]
    assert doc.track(2).review == "rejected" and doc.track(2).reason_code == "false_detection"
    assert doc.selected_ids == [4]  # went on: short
    assert doc.frame == 21 and window.playback.loop == (20, 23)
    key(window, Qt.Key.Key_A)
    assert doc.track(4).review == "accepted" and doc.track(4).review_by == "ana"
    assert doc.selected_ids == [1]
    key(window, Qt.Key.Key_V)
    assert doc.track(1).review == "visible" and doc.track(1).reason_code == "bystander"
    assert all(t.reviewed for t in doc.project.tracks)
    assert window.panel.summary.text() == "4 tracks, 4 / 4 reviewed"
    assert doc.undo_stack.count() == 3  # one step per decision
    doc.undo_stack.undo()
    assert doc.track(1).review == "unreviewed"


def test_best_frame_is_the_strongest_detection_and_shift_n_goes_back(window, editor):
    doc = editor.doc
    doc.undo_stack.push(commands.set_review(doc, [2], "accepted"))
    key(window, Qt.Key.Key_N)
    assert doc.selected_ids == [4] and doc.frame == 21
    key(window, Qt.Key.Key_N)
    assert doc.selected_ids == [1]
    key(window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert doc.selected_ids == [4]


def test_the_queue_follows_the_panels_sort_and_filter(window, editor):
    doc = editor.doc
    window.panel.table.sortByColumn(COL_RANGE, Qt.SortOrder.AscendingOrder)  # by first frame
    key(window, Qt.Key.Key_N)
    assert doc.selected_ids == [1]
    key(window, Qt.Key.Key_N)
    assert doc.selected_ids == [2]
    window.panel.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    window.panel.set_label_filter("plate")
    doc.select([])
    key(window, Qt.Key.Key_N)
    assert doc.selected_ids == [4]
    key(window, Qt.Key.Key_N)
    assert doc.selected_ids == [4]  # the only one shown


def test_cancelled_reason_changes_nothing(window, editor):
    window.queue.ask_reason = lambda *a: None
    editor.doc.select([2])
    key(window, Qt.Key.Key_V)
    assert editor.doc.track(2).review == "unreviewed" and editor.doc.undo_stack.count() == 0


def test_bulk_actions_on_the_filtered_rows_are_confirmed_and_one_undo_step(window, editor):
    doc = editor.doc
    asked = []
    window.queue.confirm = lambda q: asked.append(q) or False
    window.panel.set_label_filter("face")
    window.panel.bulk_buttons["rejected"].click()
    assert asked == ["Reject all 2 of the tracks shown?"] and doc.undo_stack.count() == 0
    window.queue.confirm = lambda q: True
    window.panel.bulk_buttons["rejected"].click()
    assert [doc.track(i).review for i in (1, 2, 3, 4)] == ["rejected", "rejected", "accepted", "unreviewed"]
    assert doc.undo_stack.count() == 1
    assert "rejected" in window.panel.proxy.index(0, COL_REVIEW).data()
    doc.undo_stack.undo()
    assert doc.track(1).review == doc.track(2).review == "unreviewed"


def test_state_filter_shows_the_unreviewed(window, editor):
    window.panel.set_state_filter("unreviewed")
    assert window.panel.visible_track_ids() == [1, 2, 4]
    window.panel.set_state_filter("accepted")
    assert window.panel.visible_track_ids() == [3]


def test_reason_dialog_digit_picks_and_accepts(editor, qtbot):
    dialog = ReasonDialog(editor.doc.project.reasons, "Why?", default="false_detection")
    qtbot.addWidget(dialog)
    assert dialog.code() == "false_detection"
    dialog.show()
    qtbot.waitExposed(dialog)
    QTest.keyClick(dialog.list, Qt.Key.Key_4)
    assert dialog.result() == ReasonDialog.DialogCode.Accepted and dialog.code() == "requester"


def test_the_real_reason_dialog_from_the_v_key(window, editor, qtbot):
    window.queue.ask_reason = window.queue._ask_reason_dialog  # the real dialog
    editor.doc.select([2])

    def answer():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ReasonDialog) and dialog.code() == "requester"
        QTest.keyClick(dialog.list, Qt.Key.Key_3)  # bystander

    QTimer.singleShot(200, answer)
    key(window, Qt.Key.Key_V)
    assert editor.doc.track(2).review == "visible" and editor.doc.track(2).reason_code == "bystander"


def test_playback_loops_the_span(window, editor, qtbot):
    window.playback.set_loop((3, 6))
    editor.doc.set_frame(3)
    seen = []
    editor.doc.frameChanged.connect(seen.append)
    window.playback.play()
    qtbot.waitUntil(lambda: 3 in seen, timeout=8000)  # came round again
    window.playback.stop()
    assert set(seen) <= {3, 4, 5, 6} and seen[0] != 3
