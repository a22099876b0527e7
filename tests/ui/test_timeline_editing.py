"""Issue 11: the timeline as an editing surface: lane order from the panel, person groups, lane
height, in/out marks with range actions, keyframe and trim drags with snapping."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow

from anonymizer_gui.core.project import shape_at
from anonymizer_gui.ui.panels.tracks_model import COL_RANGE
from anonymizer_gui.ui.panels.tracks_panel import TracksPanel
from anonymizer_gui.ui.timeline.timeline import TimelineView
from tests.ui.views_support import drag, show_widget


@pytest.fixture
def timeline(editor, qtbot):
    win = QMainWindow()
    view = TimelineView(editor.doc, editor.frames)
    win.setCentralWidget(view)
    win.addActions(view.actions())
    show_widget(qtbot, win, 900, 300)
    win.activateWindow()
    view.canvas.setFocus()
    view.window_ = win  # keep the window alive as long as the view
    yield view
    win.close()


def lane_point(tl, index: int, frame: float) -> QPoint:
    c = tl.canvas
    return QPoint(int(c.geometry_().x(frame)), int(c.lane_rect(index).center().y()))


def lane_ids(tl):
    return [t.id for t in tl.canvas.lane_tracks()]


def test_lanes_follow_the_panels_filter_and_sort_grouped_by_person(timeline, editor, qtbot):
    panel = show_widget(qtbot, TracksPanel(editor.doc, editor.frames), 400, 300)
    panel.orderChanged.connect(lambda: timeline.set_order(panel.visible_track_ids()))
    panel.table.sortByColumn(COL_RANGE, Qt.SortOrder.DescendingOrder)  # by first frame, latest first
    assert lane_ids(timeline) == panel.visible_track_ids() and lane_ids(timeline)[0] == 2
    panel.set_label_filter("face")
    assert lane_ids(timeline) == [1]
    panel.set_label_filter(None)
    editor.doc.project.tracks[0].group = editor.doc.project.tracks[2].group = 5  # tracks 1 and 3: one person
    timeline.set_order(panel.visible_track_ids())
    ids = lane_ids(timeline)
    assert abs(ids.index(1) - ids.index(3)) == 1  # side by side


def test_lane_height_is_adjustable(timeline):
    c = timeline.canvas
    before = c.lane_h
    timeline.taller_button.click()
    assert c.lane_h == before + 6 and c.lane_rect(1).top() - c.lane_rect(0).top() == before + 6
    timeline.set_lane_height(1000)
    assert c.lane_h == 96


def test_i_and_o_set_marks_and_range_actions_edit(timeline, editor):
    doc = editor.doc
    doc.set_frame(10)
    QTest.keyClick(timeline.canvas, Qt.Key.Key_I)
    doc.set_frame(20)
    QTest.keyClick(timeline.canvas, Qt.Key.Key_O)
    assert timeline.canvas.marks == (10, 20) and timeline.marks_label.text() == "In 10  Out 20"
    # mask the whole frame for the range: a full-frame manual track, accepted
    assert timeline.mask_whole_frame()
    full = doc.project.tracks[-1]
    assert (full.first_frame, full.last_frame, full.source, full.review) == (10, 20, "manual", "accepted")
    assert full.keyframes[0].shape.points == [0, 0, 320, 240]
    doc.undo_stack.undo()
    # delete keyframes in the range of the selected track 1 (keyframes every 5 frames)
    doc.select([1])
    assert timeline.delete_keyframes_in_range()
    assert [k.frame for k in doc.track(1).keyframes] == [0, 5, 25, 29]
    assert shape_at(doc.track(1), 15) is not None  # still masked in between: fail closed
    doc.undo_stack.undo()
    # split at the marks: the range becomes a track of its own
    assert timeline.split_at_marks()
    parts = sorted((t.first_frame, t.last_frame) for t in doc.project.tracks if t.label == "face")
    assert parts == [(0, 9), (10, 20), (21, 29)]
    assert doc.undo_stack.count() == 1  # each range action is one undo step
    QTest.keyClick(timeline.canvas, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    assert timeline.canvas.marks == (None, None)


def test_drag_a_keyframe_in_time_one_undo_step(timeline, editor):
    doc = editor.doc
    vp = timeline.canvas.viewport()
    lane = lane_ids(timeline).index(2)  # keyframes 4, 6, 8
    drag(vp, lane_point(timeline, lane, 6.5), lane_point(timeline, lane, 7.5), steps=3,
         modifiers=Qt.KeyboardModifier.NoModifier)
    assert [k.frame for k in doc.track(2).keyframes] == [4, 7, 8]
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert [k.frame for k in doc.track(2).keyframes] == [4, 6, 8]


def test_drag_a_tracks_end_to_extend_and_its_start_to_trim(timeline, editor):
    doc = editor.doc
    vp = timeline.canvas.viewport()
    lane = lane_ids(timeline).index(2)  # frames 4-8
    drag(vp, lane_point(timeline, lane, 9), lane_point(timeline, lane, 13.5), steps=4)
    assert (doc.track(2).first_frame, doc.track(2).last_frame) == (4, 13)
    assert shape_at(doc.track(2), 12) is not None  # the extension is masked
    drag(vp, lane_point(timeline, lane, 4), lane_point(timeline, lane, 5.5), steps=4)
    assert doc.track(2).first_frame == 5 and doc.undo_stack.count() == 2


def test_drags_snap_to_the_playhead(timeline, editor):
    doc = editor.doc
    doc.set_frame(16)
    vp = timeline.canvas.viewport()
    lane = lane_ids(timeline).index(2)
    ppf = timeline.canvas.ppf
    end_x = timeline.canvas.geometry_().x(9)
    target = QPoint(int(timeline.canvas.geometry_().x(16) + 0.5 * ppf + min(5, ppf * 0.2)),
                    lane_point(timeline, lane, 0).y())
    drag(vp, QPoint(int(end_x), target.y()), target, steps=4)
    assert doc.track(2).last_frame == 16
