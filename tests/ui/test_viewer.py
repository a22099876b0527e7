"""VideoViewer on a real project over a generated clip: frames, masks, handles, drawing, preview."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from anonymizer_gui.core.project.interpolate import masks_at, shape_at
from anonymizer_gui.core.render.masks import render_bgr
from anonymizer_gui.ui.viewer.viewer import VideoViewer
from tests.clips import read_frame_number
from tests.ui.views_support import drag, show_widget


@pytest.fixture
def viewer(editor, qtbot):
    v = show_widget(qtbot, VideoViewer(editor.doc, editor.frames), 660, 500)
    v.fit()
    qtbot.waitUntil(lambda: v.displayed_frame() == editor.doc.frame, timeout=5000)
    return v


def view_point(viewer, x: float, y: float) -> QPoint:
    return viewer.mapFromScene(QPointF(x, y))


def show_frame(viewer, qtbot, doc, frame: int) -> None:
    doc.set_frame(frame)
    qtbot.waitUntil(lambda: viewer.displayed_frame() == frame, timeout=5000)


def test_shows_the_frame_at_the_playhead_with_timecode(viewer, editor, qtbot):
    show_frame(viewer, qtbot, editor.doc, 17)
    assert read_frame_number(viewer.displayed_bgr) == 17
    assert "00:00:00:17" in viewer.status_text() and "17 / 30" in viewer.status_text()
    # every mask at the frame is drawn, disabled ones too
    assert viewer.mask_item(1) is not None and viewer.mask_item(3) is not None
    assert viewer.mask_item(2) is None  # track 2 ends at frame 8
    assert not viewer.mask_item(3).enabled


def test_click_on_a_mask_selects_its_track(viewer, editor, qtbot):
    x1, y1, x2, y2 = shape_at(editor.doc.track(1), 0).bbox()
    QTest.mouseClick(viewer.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view_point(viewer, (x1 + x2) / 2, (y1 + y2) / 2))
    assert editor.doc.selected_ids == [1]
    assert len(viewer.mask_item(1).handles()) == 8
    # a click on the picture away from masks clears the selection
    QTest.mouseClick(viewer.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view_point(viewer, 300, 225))
    assert editor.doc.selected_ids == []


def test_dragging_a_handle_sets_one_keyframe_and_undo_redo_restore_it(viewer, editor, qtbot):
    doc = editor.doc
    show_frame(viewer, qtbot, doc, 12)  # between keyframes 10 and 15
    doc.select([1])
    before = shape_at(doc.track(1), 12).bbox()
    assert doc.track(1).keyframe_index(12) is None
    handle = viewer.mask_item(1).handles()[4]  # bottom-right
    start = view_point(viewer, before[2], before[3])
    z = viewer.zoom()
    drag(viewer.viewport(), start, start + QPoint(30, 20))
    assert doc.undo_stack.count() == 1  # one command for the whole drag
    kf = doc.track(1).keyframes[doc.track(1).keyframe_index(12)]
    x1, y1, x2, y2 = kf.shape.bbox()
    assert (x1, y1) == pytest.approx(before[:2], abs=0.01)
    assert x2 == pytest.approx(before[2] + 30 / z, abs=1.0 / z + 0.01)
    assert y2 == pytest.approx(before[3] + 20 / z, abs=1.0 / z + 0.01)
    assert handle.index == 4
    doc.undo_stack.undo()
    assert doc.track(1).keyframe_index(12) is None
    assert viewer.mask_item(1).mask_shape.bbox() == pytest.approx(before)
    doc.undo_stack.redo()
    assert doc.track(1).keyframe_index(12) is not None
    assert viewer.mask_item(1).mask_shape.bbox() == pytest.approx((x1, y1, x2, y2))


def test_dragging_the_body_moves_the_mask(viewer, editor, qtbot):
    doc = editor.doc
    x1, y1, x2, y2 = shape_at(doc.track(1), 0).bbox()
    start = view_point(viewer, (x1 + x2) / 2, (y1 + y2) / 2)
    z = viewer.zoom()
    drag(viewer.viewport(), start, start + QPoint(-40, 24))
    assert doc.selected_ids == [1]
    moved = shape_at(doc.track(1), 0).bbox()
    assert moved[0] - x1 == pytest.approx(-40 / z, abs=1.0 / z + 0.01)
    assert moved[1] - y1 == pytest.approx(24 / z, abs=1.0 / z + 0.01)
    assert moved[2] - moved[0] == pytest.approx(x2 - x1)
    assert doc.undo_stack.count() == 1


def test_drawing_a_rectangle_makes_a_manual_track_that_holds_to_the_end(viewer, editor, qtbot):
    doc = editor.doc
    show_frame(viewer, qtbot, doc, 6)
    viewer.set_tool("rect")
    a, b = view_point(viewer, 20, 150), view_point(viewer, 90, 220)
    drag(viewer.viewport(), a, b)
    track = doc.project.tracks[-1]
    assert (track.id, track.source, track.label) == (4, "manual", "manual")
    assert (track.review, track.review_by) == ("accepted", doc.operator) and track.review_at  # issue 11
    assert [k.frame for k in track.keyframes] == [6, 29]
    assert track.keyframes[0].shape == track.keyframes[1].shape
    box = track.keyframes[0].shape.bbox()
    expected = (viewer.mapToScene(a).x(), viewer.mapToScene(a).y(), viewer.mapToScene(b).x(), viewer.mapToScene(b).y())
    assert box == pytest.approx(expected, abs=0.01)
    assert track.keyframes[0].shape.kind == "rect"
    assert doc.selected_ids == [4] and viewer.tool() == "select"
    doc.undo_stack.undo()
    assert not doc.has_track(4)


def test_drawing_a_polygon_by_clicks_closes_with_enter_or_double_click_and_esc_cancels(viewer, editor, qtbot):
    doc = editor.doc
    vp = viewer.viewport()
    viewer.setFocus()
    corners = [(40, 150), (110, 140), (100, 210), (50, 220)]
    viewer.set_tool("polygon")
    for x, y in corners:
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_point(viewer, x, y))
    QTest.keyClick(viewer, Qt.Key.Key_Return)
    track = doc.project.tracks[-1]
    assert track.source == "manual" and track.keyframes[0].shape.kind == "polygon"
    pts = track.keyframes[0].shape.points
    assert len(pts) == 8
    assert pts[0:2] == pytest.approx(corners[0], abs=1.5)
    assert pts[4:6] == pytest.approx(corners[2], abs=1.5)
    count = len(doc.project.tracks)
    # Esc throws a half-drawn polygon away
    viewer.set_tool("polygon")
    for x, y in corners[:3]:
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_point(viewer, x, y))
    QTest.keyClick(viewer, Qt.Key.Key_Escape)
    QTest.keyClick(viewer, Qt.Key.Key_Return)
    assert len(doc.project.tracks) == count
    # a double-click adds the last corner and closes
    viewer.set_tool("polygon")
    for x, y in corners[:2]:
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_point(viewer, x, y))
    last = view_point(viewer, *corners[2])
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, last)
    QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, last)
    assert len(doc.project.tracks) == count + 1
    assert len(doc.project.tracks[-1].keyframes[0].shape.points) == 6


def test_redacted_preview_shows_exactly_what_render_bgr_gives(viewer, editor, qtbot):
    doc = editor.doc
    show_frame(viewer, qtbot, doc, 9)
    plain = viewer.displayed_bgr.copy()
    viewer.set_preview(True)
    masks = [(shape, style) for _t, shape, style in masks_at(doc.project, 9)]
    assert masks  # track 1 (track 3 is off and must not be rendered)
    expected = render_bgr(plain, masks)
    assert np.array_equal(viewer.displayed_bgr, expected)
    # the pixels on screen are those pixels
    img = viewer._pixmap_item.pixmap().toImage().convertToFormat(QImage.Format.Format_BGR888)
    shown = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, :img.width() * 3]
    assert np.array_equal(shown.reshape(img.height(), img.width(), 3), expected)
    assert "PREVIEW" in viewer.status_text()
    # switching the disabled track on changes what goes out; the preview follows the document
    from anonymizer_gui.ui.document import commands
    doc.undo_stack.push(commands.set_enabled(doc, [3], True))
    masks = [(shape, style) for _t, shape, style in masks_at(doc.project, 9)]
    assert np.array_equal(viewer.displayed_bgr, render_bgr(plain, masks))
    viewer.set_preview(False)
    assert np.array_equal(viewer.displayed_bgr, plain)


def test_wheel_zooms_and_fit_restores(viewer, editor, qtbot):
    fitted = viewer.zoom()
    centre = viewer.viewport().rect().center()
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    ev = QWheelEvent(QPointF(centre), QPointF(viewer.viewport().mapToGlobal(centre)), QPoint(0, 0), QPoint(0, 240),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewer.viewport(), ev)
    assert viewer.zoom() == pytest.approx(fitted * 1.25 ** 2, rel=1e-3)
    viewer.zoom_out()
    assert viewer.zoom() == pytest.approx(fitted * 1.25, rel=1e-3)
    viewer.fit()
    assert viewer.zoom() == pytest.approx(fitted, rel=1e-3)


def test_a_still_image_is_a_one_frame_project(tmp_path, qtbot):
    from anonymizer_gui.core.media import probe
    from anonymizer_gui.ui.document.document import ProjectDocument
    from anonymizer_gui.ui.media.frames import FrameSource
    from tests.clips import make_still
    from tests.ui.views_support import project_for

    still = make_still(tmp_path / "photo.png", width=200, height=150, index=5)
    info = probe(still.path)
    doc, frames = ProjectDocument(), FrameSource()
    doc.set_project(project_for(still, info, []), info)
    v = VideoViewer(doc, frames)
    qtbot.addWidget(v)
    v.show()
    try:
        qtbot.waitUntil(lambda: v.displayed_frame() == 0, timeout=5000)
        assert read_frame_number(v.displayed_bgr) == 5
        assert "0 / 1" in v.status_text()
        v.set_tool("rect")
        drag(v.viewport(), v.mapFromScene(QPointF(20, 60)), v.mapFromScene(QPointF(80, 120)))
        assert [k.frame for k in doc.project.tracks[0].keyframes] == [0]  # holds "to the end": one frame
    finally:
        frames.close()
