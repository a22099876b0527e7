"""TimelineView: scrubbing on the ruler, selecting lanes, keyframe marks, zoom and ruler thumbnails."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from anonymizer_gui.core.project.model import Keyframe, Shape, Track
from anonymizer_gui.ui.timeline.timeline import RULER_H, TimelineView
from anonymizer_gui.ui.timeline.lanes import lane_data
from anonymizer_gui.ui.panels.tracks_panel import TracksPanel
from anonymizer_gui.ui.viewer.viewer import VideoViewer
from tests.ui.views_support import drag, show_widget


@pytest.fixture
def timeline(editor, qtbot):
    view = show_widget(qtbot, TimelineView(editor.doc, editor.frames), 900, 260)
    return view


def lane_point(tl, index: int, frame: int) -> QPoint:
    c = tl.canvas
    return QPoint(int(c.x_of_frame(frame)), int(c.lane_rect(index).center().y()))


def ruler_point(tl, frame: int) -> QPoint:
    return QPoint(int(tl.canvas.x_of_frame(frame)), RULER_H // 2)


def test_click_and_drag_on_the_ruler_scrub(timeline, editor):
    vp = timeline.canvas.viewport()
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, ruler_point(timeline, 11))
    assert editor.doc.frame == 11
    seen = []
    editor.doc.frameChanged.connect(seen.append)
    drag(vp, ruler_point(timeline, 3), ruler_point(timeline, 24), steps=7)
    assert editor.doc.frame == 24
    assert len(seen) >= 5 and seen[0] == 3  # it followed the mouse on the way
    assert editor.doc.selected_ids == []  # scrubbing selects nothing


def test_click_on_a_lane_selects_the_track_and_syncs_viewer_and_panel(timeline, editor, qtbot):
    viewer = VideoViewer(editor.doc, editor.frames)
    panel = TracksPanel(editor.doc, editor.frames)
    for w in (viewer, panel):
        qtbot.addWidget(w)
        w.show()
    vp = timeline.canvas.viewport()
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, lane_point(timeline, 1, 7))
    assert editor.doc.selected_ids == [2]
    assert editor.doc.frame == 7
    assert viewer.mask_item(2).selected and len(viewer.mask_item(2).handles()) == 8
    assert [i.data(Qt.ItemDataRole.UserRole + 1) for i in panel.table.selectionModel().selectedRows()] == [2]
    # the keyboard walks the lanes
    timeline.canvas.setFocus()
    QTest.keyClick(timeline.canvas, Qt.Key.Key_Down)
    assert editor.doc.selected_ids == [3]
    QTest.keyClick(timeline.canvas, Qt.Key.Key_Up)
    assert editor.doc.selected_ids == [2]
    # Ctrl+click adds a lane to the selection
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, lane_point(timeline, 0, 20))
    assert editor.doc.selected_ids == [2, 1]
    assert len(panel.table.selectionModel().selectedRows()) == 2


def test_double_click_on_a_keyframe_mark_jumps_to_it(timeline, editor):
    timeline.set_pixels_per_frame(12)
    timeline.canvas.horizontalScrollBar().setValue(0)
    vp = timeline.canvas.viewport()
    near = lane_point(timeline, 0, 15) + QPoint(3, 0)  # on the diamond of keyframe 15, off its centre
    QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, near)
    assert editor.doc.frame == 15


def test_zoom_buttons_ctrl_wheel_and_fit(timeline, editor, qtbot):
    canvas = timeline.canvas
    timeline.resize(520, 260)  # about 12 px per frame at fit
    qtbot.waitUntil(lambda: canvas.viewport().width() < 520)
    fitted = timeline.pixels_per_frame()
    assert fitted == pytest.approx(canvas.fit_ppf())
    assert canvas.horizontalScrollBar().maximum() == 0  # all of it in view
    QTest.mouseClick(timeline.zoom_in_button, Qt.MouseButton.LeftButton)
    assert timeline.pixels_per_frame() == pytest.approx(fitted * 2)
    assert canvas.horizontalScrollBar().maximum() > 0  # now it scrolls
    pos = QPointF(canvas.x_of_frame(10), 40)
    frame_under_mouse = canvas.frame_at(pos.x())
    ev = QWheelEvent(pos, QPointF(canvas.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.viewport(), ev)
    assert timeline.pixels_per_frame() == pytest.approx(fitted * 2.5)
    assert canvas.frame_at(pos.x()) == frame_under_mouse  # zoom keeps the frame under the mouse
    QTest.mouseClick(timeline.fit_button, Qt.MouseButton.LeftButton)
    assert timeline.pixels_per_frame() == pytest.approx(fitted)


def test_ruler_shows_thumbnails_when_zoomed_in(timeline, editor, qtbot):
    canvas = timeline.canvas
    assert canvas.shows_thumbnails()  # 30 frames over 900 px: a thumbnail per two frames
    qtbot.waitUntil(lambda: (canvas.repaint(), canvas.painted_thumbnails)[1] >= 10, timeout=5000)
    # a long clip zoomed out to fit would need a thumbnail per several seconds: none then
    canvas.ppf = 0.05
    assert not canvas.shows_thumbnails()


def test_lane_marks_weak_and_bridged_frames_and_leaves_outside_empty():
    t = Track(1, "face", "auto", keyframes=[Keyframe(0, Shape.rect(0, 0, 10, 10)),
                                            Keyframe(10, Shape.rect(0, 0, 10, 10), outside=True),
                                            Keyframe(20, Shape.rect(0, 0, 10, 10)),
                                            Keyframe(25, Shape.rect(0, 0, 10, 10))],
              scores={**{f: 0.9 for f in range(0, 10)}, 3: 0.2, 4: 0.3, **{f: 0.8 for f in range(20, 24)}})
    del t.scores[7]
    data = lane_data(t)
    assert data.ranges == [(0, 9), (20, 25)]  # frames 10-19 are outside: empty
    assert data.low == [(3, 4)]
    assert data.bridged == [(7, 7), (24, 25)]
    assert data.keyframes.tolist() == [0, 10, 20, 25]
    manual = Track(2, "manual", "manual", keyframes=t.keyframes)
    assert lane_data(manual).bridged == []  # drawn masks are not "missed detections"


def test_lanes_follow_undo_of_track_edits(timeline, editor, qtbot):
    from anonymizer_gui.ui.document import commands

    doc = editor.doc
    doc.undo_stack.push(commands.set_enabled(doc, [1], False))
    doc.undo_stack.push(commands.delete_tracks(doc, [2]))
    vp = timeline.canvas.viewport()
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, lane_point(timeline, 1, 3))
    assert doc.selected_ids == [3]  # lane 1 is now track 3
    doc.undo_stack.undo()
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, lane_point(timeline, 1, 5))
    assert doc.selected_ids == [2]
    # the lane of a switched-off track keeps its place and its keyframes
    assert timeline.canvas.lane_at(timeline.canvas.lane_rect(0).center().y()) == 0
    assert timeline.canvas.lane(doc.track(1)).keyframes.tolist() == [k.frame for k in doc.track(1).keyframes]
