"""TracksPanel: rows, selection both ways, the on/off switch, filters and thumbnails."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from anonymizer_gui.ui.timeline.timeline import TimelineView
from anonymizer_gui.ui.panels.tracks_model import COL_ON, COL_RANGE, COL_SCORE, COL_THUMB, COL_TRACK
from anonymizer_gui.ui.panels.tracks_panel import TracksPanel
from anonymizer_gui.ui.viewer.viewer import VideoViewer
from tests.ui.views_support import show_widget


@pytest.fixture
def panel(editor, qtbot):
    p = show_widget(qtbot, TracksPanel(editor.doc, editor.frames), 460, 360)
    return p


def cell_text(panel, track_id: int, column: int) -> str:
    index = panel.proxy.index(panel.visible_track_ids().index(track_id), column)
    return index.data()


def click_row(panel, track_id: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    rect = panel.row_rect(track_id)
    QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, modifiers, rect.center())


def checkbox_point(panel, track_id: int) -> QPoint:
    table = panel.table
    option = QStyleOptionViewItem()
    index = panel.proxy.index(panel.visible_track_ids().index(track_id), COL_ON)
    table.initViewItemOption(option)
    option.rect = table.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    return table.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, table).center()


def test_rows_show_label_source_score_and_range(panel):
    assert panel.visible_track_ids() == [1, 2, 3]
    assert cell_text(panel, 1, COL_TRACK) == "1  face\nauto"
    assert "review" in cell_text(panel, 2, COL_TRACK)
    assert cell_text(panel, 3, COL_TRACK).endswith("\nmanual")
    assert cell_text(panel, 1, COL_SCORE) == "0.90" and cell_text(panel, 3, COL_SCORE) == "\u2013"
    assert cell_text(panel, 2, COL_RANGE) == "4\u20138\n5 frames"
    assert panel.summary.text() == "3 tracks, 1 / 3 reviewed"  # the rejected manual track is decided


def test_clicking_a_row_selects_the_track_and_jumps_to_it_when_not_visible(panel, editor, qtbot):
    doc = editor.doc
    viewer = VideoViewer(doc, editor.frames)
    timeline = TimelineView(doc, editor.frames)
    for w in (viewer, timeline):
        qtbot.addWidget(w)
        w.show()
    doc.set_frame(20)
    click_row(panel, 2)
    assert doc.selected_ids == [2]
    assert doc.frame == 4  # track 2 is not on frame 20: go to its first frame
    assert viewer.mask_item(2).selected
    click_row(panel, 1)
    assert doc.selected_ids == [1] and doc.frame == 4  # track 1 shows at frame 4: stay
    click_row(panel, 3, Qt.KeyboardModifier.ControlModifier)
    assert sorted(doc.selected_ids) == [1, 3]
    # selecting in another view selects the rows here
    doc.select([2])
    rows = panel.table.selectionModel().selectedRows()
    assert [r.data(Qt.ItemDataRole.UserRole + 1) for r in rows] == [2]


def test_checkbox_switches_the_selection_off_in_one_undo_step(panel, editor, qtbot):
    doc = editor.doc
    QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     checkbox_point(panel, 2))
    assert not doc.track(2).enabled and doc.track(1).enabled
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.track(2).enabled
    doc.select([1, 2])
    QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     checkbox_point(panel, 1))
    assert not doc.track(1).enabled and not doc.track(2).enabled and not doc.track(3).enabled
    assert doc.undo_stack.count() == 1  # the redo branch was dropped; one command for both tracks
    assert "Disable 2 tracks" == doc.undo_stack.text(0)
    # the switch on a row outside the selection acts on that row alone
    QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     checkbox_point(panel, 3))
    assert doc.track(3).enabled and not doc.track(1).enabled


def test_filters_needs_review_and_label(panel):
    panel.set_review_only(True)
    assert panel.visible_track_ids() == [2]
    panel.set_review_only(False)
    panel.set_label_filter("manual")
    assert panel.visible_track_ids() == [3]
    panel.set_label_filter("face")
    assert panel.visible_track_ids() == [1]
    panel.set_label_filter(None)
    assert panel.visible_track_ids() == [1, 2, 3]


def test_thumbnails_arrive_from_the_decoder(panel, qtbot):
    def thumb():
        index = panel.proxy.index(0, COL_THUMB)
        return index.data(Qt.ItemDataRole.DecorationRole)

    qtbot.waitUntil(lambda: isinstance(thumb(), QPixmap) and not thumb().isNull(), timeout=5000)
    pix = thumb()
    assert pix.height() == round(40 * pix.devicePixelRatio())
    assert 0.8 < pix.width() / pix.height() < 1.25  # the square box of track 1, cropped
