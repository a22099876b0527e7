"""The tracks table's model: one row per track of the document, read-only except the on/off switch.

The model never changes the Project: ticking a row's switch pushes commands.set_enabled (for the
whole selection when the row is part of it), and the document's trackChanged signal updates the row.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPalette, QPixmap

from ..document import commands
from ..document.document import ProjectDocument
from ..app.label_colors import label_color

COL_ON, COL_THUMB, COL_TRACK, COL_SCORE, COL_RANGE, COL_REVIEW = range(6)
HEADERS = ("On", "", "Track", "Score", "Frames", "Review")
REVIEW_MARKS = {"unreviewed": "\u2022 to review", "accepted": "\u2713 masked", "rejected": "\u2717 rejected",
                "visible": "\u25cb visible"}
TRACK_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
REVIEW_ROLE = Qt.ItemDataRole.UserRole + 3
LABEL_ROLE = Qt.ItemDataRole.UserRole + 4
STATE_ROLE = Qt.ItemDataRole.UserRole + 5


class TracksModel(QAbstractTableModel):
    def __init__(self, doc: ProjectDocument, thumbnail_for, parent=None):
        """`thumbnail_for(track) -> QPixmap | None` gives a row's picture (None while it is decoded)."""
        super().__init__(parent)
        self.doc = doc
        self.thumbnail_for = thumbnail_for
        self.selection_ids = lambda: []  # set by the panel: ids the switch applies to
        self._stats: dict[int, tuple[float | None, bool]] = {}
        doc.projectReset.connect(self._reset)
        doc.trackListChanged.connect(self._reset)
        doc.trackChanged.connect(self._track_changed)

    def _tracks(self):
        return self.doc.project.tracks if self.doc.project is not None else []

    def _reset(self) -> None:
        self.beginResetModel()
        self._stats.clear()
        self.endResetModel()

    def stats_of(self, t) -> tuple[float | None, bool]:
        """(mean score, needs review), cached: both average every score, and cells ask often."""
        stats = self._stats.get(t.id)
        if stats is None:
            stats = self._stats[t.id] = (t.mean_score, t.needs_review)
        return stats

    def _track_changed(self, track_id: int) -> None:
        self._stats.pop(track_id, None)
        try:
            row = self.doc.track_index(track_id)
        except KeyError:
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def row_of(self, track_id: int) -> int:
        return self.doc.track_index(track_id)

    def thumbnail_changed(self, track_ids: set[int]) -> None:
        for row, t in enumerate(self._tracks()):
            if t.id in track_ids:
                i = self.index(row, COL_THUMB)
                self.dataChanged.emit(i, i, [Qt.ItemDataRole.DecorationRole])

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._tracks())

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return ("Switch the mask on or off", "Picture at the track's first keyframe",
                    "Id and label; found by the analysis (auto) or drawn (manual)", "Mean detection score",
                    "First and last frame", "Review decision, reason and who decided")[section]
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.column() == COL_ON else base

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        t = self._tracks()[index.row()]
        col = index.column()
        if role == TRACK_ID_ROLE:
            return t.id
        mean, review = self.stats_of(t)
        if role == REVIEW_ROLE:
            return review
        if role == LABEL_ROLE:
            return t.label
        if role == STATE_ROLE:
            return t.review
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_TRACK:  # two lines: the row is as high as its thumbnail
                return f"{t.id}  {t.label}\n{t.source}" + ("  \u26a0 review" if review else "")
            if col == COL_SCORE:
                return "\u2013" if mean is None else f"{mean:.2f}"
            if col == COL_RANGE:
                n = t.last_frame - t.first_frame + 1
                return f"{t.first_frame}\u2013{t.last_frame}\n{n} frame{'s' if n != 1 else ''}" if t.keyframes else ""
            if col == COL_REVIEW:
                reason = self.doc.project.reason(t.reason_code) if t.reason_code else None
                return REVIEW_MARKS[t.review] + (f"\n{reason.text}" if reason else (f"\n{t.review_by}" if t.review_by else ""))
            return None
        if role == SORT_ROLE:
            return (t.enabled, 0, t.id, -1.0 if mean is None else mean, t.first_frame,
                    ("unreviewed", "rejected", "visible", "accepted").index(t.review))[col]
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_ON:
            return Qt.CheckState.Checked if t.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and col == COL_THUMB:
            return self.thumbnail_for(t)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_TRACK:
            return label_swatch(t.label, t.enabled)
        if role == Qt.ItemDataRole.ForegroundRole and not t.enabled:
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = [f"Track {t.id}: {t.label} ({t.source})", "switched off" if not t.enabled else "masked"]
            if review:
                tip.append("needs review: short or weak detections")
            tip.append(f"review: {t.review}" + (f" by {t.review_by} at {t.review_at}" if t.review_by else ""))
            reason = self.doc.project.reason(t.reason_code) if t.reason_code else None
            if reason:
                tip.append(f"reason: {reason.text}" + (f" ({reason.legal_basis})" if reason.legal_basis else ""))
            if t.group is not None:
                tip.append(f"person {t.group}")
            if t.reason:
                tip.append(f"note: {t.reason}")
            return "\n".join(tip)
        if role == Qt.ItemDataRole.AccessibleTextRole and col == COL_ON:
            return f"track {t.id} {'on' if t.enabled else 'off'}"
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != COL_ON:
            return False
        t = self._tracks()[index.row()]
        enabled = Qt.CheckState(value) == Qt.CheckState.Checked
        selected = self.selection_ids()
        ids = selected if t.id in selected else [t.id]
        ids = [i for i in ids if self.doc.track(i).enabled != enabled]
        if ids:
            self.doc.undo_stack.push(commands.set_enabled(self.doc, ids, enabled))
        return True


_SWATCHES: dict = {}


def label_swatch(label: str, enabled: bool) -> QIcon:
    """A small square of the label's colour (an icon never scales a pixmap up to the icon size)."""
    key = (label, enabled)
    icon = _SWATCHES.get(key)
    if icon is None:
        pix = QPixmap(12, 12)  # a flat colour: no detail to lose on HiDPI
        color = label_color(label)
        if not enabled:
            color.setAlpha(90)
        pix.fill(color)
        icon = _SWATCHES[key] = QIcon(pix)
    return icon


class TracksFilter(QSortFilterProxyModel):
    """Rows that need review only, and/or of one label, and/or in one review state."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.review_only = False
        self.label: str | None = None
        self.state: str | None = None
        self.setSortRole(SORT_ROLE)

    def set_review_only(self, on: bool) -> None:
        self._refilter(lambda: setattr(self, "review_only", on))

    def set_label(self, label: str | None) -> None:
        self._refilter(lambda: setattr(self, "label", label or None))

    def set_state(self, state: str | None) -> None:
        self._refilter(lambda: setattr(self, "state", state or None))

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter is deprecated there
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        index = self.sourceModel().index(row, 0, parent)
        if self.review_only and not index.data(REVIEW_ROLE):
            return False
        if self.state is not None and index.data(STATE_ROLE) != self.state:
            return False
        return self.label is None or index.data(LABEL_ROLE) == self.label

