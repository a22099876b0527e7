"""TracksPanel: every track with a thumbnail, label, source, mean score, frame range and on/off switch.

Selection is two-way with the document: picking rows selects those tracks (doc.select) and a
selection made in the viewer or the timeline selects the rows here, with a guard so that the
two never echo each other. Thumbnails are decoded off the UI thread by the FrameSource.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QTableView, QToolButton, QVBoxLayout, QWidget)

from ...core.project import shape_at
from ...core.project import Track
from ..document.document import ProjectDocument
from ..media.frames import FrameSource, bgr_to_pixmap, thumbnail_key
from ..app.label_colors import KNOWN_LABELS
from .tracks_model import (COL_ON, COL_RANGE, COL_REVIEW, COL_SCORE, COL_THUMB, COL_TRACK, TRACK_ID_ROLE,
                           TracksFilter, TracksModel)

THUMB_W, THUMB_H = 56, 40
ALL_LABELS = "All labels"
STATE_FILTERS = (("All states", None), ("Unreviewed", "unreviewed"), ("Accepted", "accepted"),
                 ("Rejected", "rejected"), ("Visible", "visible"))


def review_text(project) -> str:
    """ "12 / 57 reviewed": the panel's and the status bar's count."""
    counts = project.review_counts() if project is not None else {"reviewed": 0, "total": 0}
    return f"{counts['reviewed']} / {counts['total']} reviewed"


class TracksPanel(QWidget):
    orderChanged = Signal()  # the rows shown or their order changed (filter, sort, tracks)
    bulkRequested = Signal(str)  # a review state for every row shown

    def __init__(self, doc: ProjectDocument, frames: FrameSource, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.frames = frames
        self._syncing = False
        self._pixmaps: dict = {}  # ThumbKey -> QPixmap
        self._waiting: dict = {}  # ThumbKey -> track ids whose row waits for it

        self.model = TracksModel(doc, self._thumbnail_for, self)
        self.model.selection_ids = lambda: self.doc.selected_ids
        self.proxy = TracksFilter(self)
        self.proxy.setSourceModel(self.model)

        self.review_filter = QCheckBox("Needs review")
        self.review_filter.setToolTip("Show only short tracks and tracks with weak detections")
        self.review_filter.toggled.connect(self.proxy.set_review_only)
        self.label_filter = QComboBox()
        self.label_filter.setAccessibleName("Filter by label")
        self.label_filter.currentIndexChanged.connect(self._on_label_filter)
        self.state_filter = QComboBox()
        self.state_filter.setAccessibleName("Filter by review state")
        for text, _state in STATE_FILTERS:
            self.state_filter.addItem(text)
        self.state_filter.currentIndexChanged.connect(lambda i: self.proxy.set_state(STATE_FILTERS[i][1]))
        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 0)
        top.addWidget(self.review_filter)
        top.addWidget(self.label_filter, 1)
        top.addWidget(self.state_filter, 1)
        bulk = QHBoxLayout()
        bulk.setContentsMargins(4, 0, 4, 0)
        bulk.addWidget(self.summary, 1)
        self.bulk_buttons = {}
        for state, text, tip in (("accepted", "Accept all", "Accept every track shown (keep masked)"),
                                 ("rejected", "Reject all", "Reject every track shown (asks the reason)"),
                                 ("visible", "Visible all", "Keep every track shown visible (asks the reason)")):
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.setAccessibleName(text)
            b.clicked.connect(lambda _c=False, st=state: self.bulkRequested.emit(st))
            bulk.addWidget(b)
            self.bulk_buttons[state] = b

        self.table = QTableView(self)
        self.table.setAccessibleName("Tracks")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # document order until a header is clicked
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setIconSize(QSize(THUMB_W, THUMB_H))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_H + 6)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        # Widths from the font, not ResizeToContents: that measures every row at every change,
        # which made each review decision cost tens of ms with a few dozen tracks.
        fm = self.fontMetrics()
        widths = {COL_ON: fm.horizontalAdvance("On") + 28, COL_SCORE: fm.horizontalAdvance("Score") + 16,
                  COL_RANGE: fm.horizontalAdvance("00000\u201300000") + 12,
                  COL_REVIEW: fm.horizontalAdvance("\u2022 to review") + 14}
        for col, mode in ((COL_ON, QHeaderView.ResizeMode.Interactive),
                          (COL_THUMB, QHeaderView.ResizeMode.Fixed),
                          (COL_TRACK, QHeaderView.ResizeMode.Stretch),
                          (COL_SCORE, QHeaderView.ResizeMode.Interactive),
                          (COL_RANGE, QHeaderView.ResizeMode.Interactive),
                          (COL_REVIEW, QHeaderView.ResizeMode.Interactive)):
            header.setSectionResizeMode(col, mode)
            if col in widths:
                header.resizeSection(col, widths[col])
        header.resizeSection(COL_THUMB, THUMB_W + 8)
        header.moveSection(header.visualIndex(COL_REVIEW), 1)  # the decision beside the switch: always in view
        self.table.selectionModel().selectionChanged.connect(self._on_rows_selected)
        self.table.doubleClicked.connect(self._on_double_click)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(bulk)
        layout.addWidget(self.table, 1)
        self.setFocusProxy(self.table)

        doc.projectReset.connect(self._on_reset)
        doc.trackListChanged.connect(self._on_tracks_changed)
        doc.trackChanged.connect(lambda _id: self._on_tracks_changed())
        doc.selectionChanged.connect(self._on_doc_selection)
        frames.thumbnailReady.connect(self._on_thumbnail)
        for signal in (self.proxy.layoutChanged, self.proxy.modelReset, self.proxy.rowsInserted,
                       self.proxy.rowsRemoved):
            signal.connect(lambda *_a: self.orderChanged.emit())
        self._on_reset()

    # -- public -----------------------------------------------------------------------------
    def visible_track_ids(self) -> list[int]:
        """Ids of the rows shown (after filters and sorting), top to bottom."""
        return [self.proxy.index(r, 0).data(TRACK_ID_ROLE) for r in range(self.proxy.rowCount())]

    def row_rect(self, track_id: int, column: int = COL_TRACK):
        """Viewport rectangle of a track's cell (for tests and tooltips); None when filtered out."""
        index = self._proxy_index(track_id, column)
        return self.table.visualRect(index) if index is not None else None

    def queue_order(self) -> tuple[list[int] | None, set[int] | None]:
        """For the review queue: the rows in the operator's sort (None when unsorted) and the ids the
        filters show (None when nothing is filtered)."""
        shown = self.visible_track_ids()
        filtered = self.proxy.rowCount() != self.model.rowCount()
        sorted_ = self.proxy.sortColumn() >= 0
        return (shown if sorted_ else None), (set(shown) if filtered else None)

    def set_state_filter(self, state: str | None) -> None:
        self.state_filter.setCurrentIndex([s for _t, s in STATE_FILTERS].index(state))

    def set_review_only(self, on: bool) -> None:
        self.review_filter.setChecked(on)

    def set_label_filter(self, label: str | None) -> None:
        i = self.label_filter.findText(label) if label else 0
        self.label_filter.setCurrentIndex(max(0, i))

    # -- thumbnails -------------------------------------------------------------------------
    def _thumbnail_for(self, track: Track) -> QPixmap | None:
        key = self._thumb_key(track)
        if key is None:
            return None
        pix = self._pixmaps.get(key)
        if pix is not None:
            return pix
        img = self.frames.thumbnail(*key)
        if img is None:
            self._waiting.setdefault(key, set()).add(track.id)
            return None
        pix = bgr_to_pixmap(img, self.devicePixelRatioF())
        self._pixmaps[key] = pix
        return pix

    def _thumb_key(self, track: Track):
        kf = next((k for k in track.keyframes if not k.outside), None)
        if kf is None:
            return None
        x1, y1, x2, y2 = kf.shape.bbox()
        pad_x, pad_y = 0.15 * (x2 - x1), 0.15 * (y2 - y1)
        crop = (x1 - pad_x, y1 - pad_y, x2 + pad_x, y2 + pad_y)
        return thumbnail_key(kf.frame, crop, round(THUMB_H * self.devicePixelRatioF()))

    def _on_thumbnail(self, key) -> None:
        ids = self._waiting.pop(key, None)
        if ids:
            self.model.thumbnail_changed(ids)

    # -- document -> view -------------------------------------------------------------------
    def _on_reset(self) -> None:
        project = self.doc.project
        self.frames.ensure_media(project.media.path if project else None, self.doc.media_info)
        self._pixmaps.clear()
        self._waiting.clear()
        self._on_tracks_changed()
        self._on_doc_selection(self.doc.selected_ids)

    def _on_tracks_changed(self) -> None:
        tracks = self.doc.project.tracks if self.doc.project else []
        labels = sorted(set(KNOWN_LABELS) | {t.label for t in tracks})
        current = self.label_filter.currentText()
        self.label_filter.blockSignals(True)
        self.label_filter.clear()
        self.label_filter.addItem(ALL_LABELS)
        self.label_filter.addItems(labels)
        self.label_filter.setCurrentIndex(max(0, self.label_filter.findText(current)))
        self.label_filter.blockSignals(False)
        # The count of decisions, not of flags: a switched-off track is a decision (rejected) too.
        self.summary.setText(f"{len(tracks)} tracks, {review_text(self.doc.project)}")
        self._on_doc_selection(self.doc.selected_ids)  # rows were rebuilt

    def _on_doc_selection(self, ids: list) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            selection = QItemSelection()
            for tid in ids:
                index = self._proxy_index(tid, 0)
                if index is not None:
                    selection.select(index, index.siblingAtColumn(self.proxy.columnCount() - 1))
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().select(selection, flags)
            if ids:
                first = self._proxy_index(ids[0], COL_TRACK)
                if first is not None:
                    self.table.selectionModel().setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
                    self.table.scrollTo(first)
        finally:
            self._syncing = False

    def _proxy_index(self, track_id: int, column: int):
        if not self.doc.has_track(track_id):
            return None
        index = self.proxy.mapFromSource(self.model.index(self.model.row_of(track_id), column))
        return index if index.isValid() else None

    # -- view -> document -------------------------------------------------------------------
    def _on_label_filter(self, index: int) -> None:
        text = self.label_filter.itemText(index)
        self.proxy.set_label(None if text == ALL_LABELS else text)

    def _on_rows_selected(self, *_args) -> None:
        if self._syncing:
            return
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        ids = [self.proxy.index(r, 0).data(TRACK_ID_ROLE) for r in rows]
        current = self.table.currentIndex()
        current_id = current.data(TRACK_ID_ROLE) if current.isValid() else None
        if current_id in ids:  # the row the operator clicked leads: it decides where the playhead goes
            ids.remove(current_id)
            ids.insert(0, current_id)
        self._syncing = True
        try:
            self.doc.select(ids)
        finally:
            self._syncing = False
        if len(ids) >= 1:
            track = self.doc.track(ids[0])
            if track.keyframes and shape_at(track, self.doc.frame) is None:
                self.doc.set_frame(track.first_frame)

    def _on_double_click(self, index) -> None:
        track_id = index.data(TRACK_ID_ROLE)
        if track_id is not None and self.doc.has_track(track_id) and index.column() != COL_ON:
            self.doc.set_frame(self.doc.track(track_id).first_frame)
