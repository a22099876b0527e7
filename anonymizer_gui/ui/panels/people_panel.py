"""PeoplePanel: the tracks of one person as one row, with a gallery of that person's face crops.

A row per person group (core.review groups tracks by appearance and motion): the crops at each
track's best frame, how many tracks and how many still to review. Actions on the chosen rows:
keep this person visible (the subject-access case: every track, one reason), accept the person,
merge rows into one person, and take the selected track out of its person (split). Every change
is a command on the document (commands.set_groups / set_review through the review queue).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout,
                               QWidget)

from ...core.project import shape_at
from ...core.review import best_frame
from ..document import commands
from ..document.document import ProjectDocument
from ..media.frames import FrameSource, bgr_to_pixmap, thumbnail_key

CROP_H = 56
MAX_CROPS = 8
GROUP_ROLE = Qt.ItemDataRole.UserRole + 1


class PersonRow(QWidget):
    """One person: a title line and the crops side by side."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title = QLabel(title)
        self.crops = QHBoxLayout()
        self.crops.setSpacing(3)
        self.crop_labels: list[QLabel] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(self.crops)
        self.crops.addStretch(1)

    def set_crops(self, pixmaps: list[QPixmap | None]) -> None:
        while len(self.crop_labels) < len(pixmaps):
            label = QLabel()
            label.setFixedSize(CROP_H, CROP_H)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: #222;")
            self.crops.insertWidget(len(self.crop_labels), label)
            self.crop_labels.append(label)
        for label, pix in zip(self.crop_labels, pixmaps):
            if pix is not None:
                label.setPixmap(pix)


class PeoplePanel(QWidget):
    keepVisibleRequested = Signal(int)  # group
    acceptRequested = Signal(int)  # group

    def __init__(self, doc: ProjectDocument, frames: FrameSource, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.frames = frames
        self._rows: dict[int, tuple[QListWidgetItem, PersonRow]] = {}
        self._members: dict[int, int] = {}  # track id -> group, as the rows show them
        self._pixmaps: dict = {}
        self._syncing = False
        self.list = QListWidget(self)
        self.list.setAccessibleName("People")
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._on_rows_selected)
        self.summary = QLabel()
        self.keep_visible = QPushButton("Keep visible\u2026")
        self.keep_visible.setToolTip("Keep every track of this person visible, with one reason (Shift+V)")
        self.keep_visible.clicked.connect(lambda: self._emit(self.keepVisibleRequested))
        self.accept_person = QPushButton("Accept")
        self.accept_person.setToolTip("Keep every track of this person masked")
        self.accept_person.clicked.connect(lambda: self._emit(self.acceptRequested))
        self.merge = QPushButton("Merge")
        self.merge.setToolTip("The chosen rows are one person")
        self.merge.clicked.connect(self.merge_selected)
        self.split = QPushButton("Split track out")
        self.split.setToolTip("The selected track is someone else: give it a person of its own")
        self.split.clicked.connect(self.split_selected_track)
        buttons = QHBoxLayout()
        for b in (self.keep_visible, self.accept_person, self.merge, self.split):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        doc.projectReset.connect(self.rebuild)
        doc.trackListChanged.connect(self.rebuild)
        doc.trackChanged.connect(self._on_track_changed)
        doc.selectionChanged.connect(self._on_doc_selection)
        frames.thumbnailReady.connect(self._on_thumbnail)
        self.rebuild()

    # -- queries --------------------------------------------------------------------------------
    def groups(self) -> dict[int, list]:
        out: dict[int, list] = {}
        for t in self.doc.project.tracks if self.doc.project else []:
            if t.group is not None:
                out.setdefault(t.group, []).append(t)
        return out

    def selected_groups(self) -> list[int]:
        return [item.data(GROUP_ROLE) for item in self.list.selectedItems()]

    def select_group(self, group: int) -> None:
        row = self._rows.get(group)
        if row is not None:
            self.list.setCurrentItem(row[0])

    def row(self, group: int) -> PersonRow | None:
        row = self._rows.get(group)
        return row[1] if row else None

    # -- view -----------------------------------------------------------------------------------
    def rebuild(self) -> None:
        groups = self.groups()
        chosen = set(self.selected_groups())
        self._syncing = True
        try:
            self.list.clear()
            self._rows.clear()
            self._members = {t.id: g for g, ts in groups.items() for t in ts}
            for group, tracks in sorted(groups.items(), key=lambda kv: min(t.first_frame for t in kv[1])):
                title = self._title(group, tracks)
                item = QListWidgetItem()
                item.setData(GROUP_ROLE, group)
                widget = PersonRow(title)
                item.setSizeHint(QSize(100, CROP_H + 30))
                self.list.addItem(item)
                self.list.setItemWidget(item, widget)
                self._rows[group] = (item, widget)
                widget.set_crops([self._crop(t) for t in tracks[:MAX_CROPS]])
                item.setSelected(group in chosen)
        finally:
            self._syncing = False
        loose = sum(1 for t in (self.doc.project.tracks if self.doc.project else []) if t.group is None)
        self.summary.setText(f"{len(groups)} people" + (f", {loose} tracks without a person" if loose else ""))

    def _on_track_changed(self, track_id: int) -> None:
        """A review decision changes one row's title; only a change of person rebuilds the list."""
        if not self.doc.has_track(track_id):
            return
        group = self.doc.track(track_id).group
        members = self._members.get(track_id)
        if group is None and members is None:
            return
        if members != group or group not in self._rows:
            self.rebuild()
            return
        self._rows[group][1].title.setText(self._title(group, self.groups_of(group)))

    def groups_of(self, group: int) -> list:
        return [t for t in self.doc.project.tracks if t.group == group]

    @staticmethod
    def _title(group: int, tracks: list) -> str:
        todo = sum(not t.reviewed for t in tracks)
        states = sorted({t.review for t in tracks if t.reviewed})
        return (f"Person {group}  \u00b7  {len(tracks)} track{'s' if len(tracks) != 1 else ''}  \u00b7  "
                + (f"{todo} to review" if todo else ", ".join(states)))

    def _crop(self, track) -> QPixmap | None:
        frame = best_frame(track)
        shape = shape_at(track, frame)
        if shape is None:
            return None
        x1, y1, x2, y2 = shape.bbox()
        pad = 0.2 * max(x2 - x1, y2 - y1)
        key = thumbnail_key(frame, (x1 - pad, y1 - pad, x2 + pad, y2 + pad), round(CROP_H * self.devicePixelRatioF()))
        pix = self._pixmaps.get(key)
        if pix is None:
            img = self.frames.thumbnail(*key)
            if img is None:
                return None
            pix = self._pixmaps[key] = bgr_to_pixmap(img, self.devicePixelRatioF())
        return pix

    def _on_thumbnail(self, _key) -> None:
        for group, tracks in self.groups().items():
            row = self.row(group)
            if row is not None:
                row.set_crops([self._crop(t) for t in tracks[:MAX_CROPS]])

    # -- selection both ways --------------------------------------------------------------------
    def _on_rows_selected(self) -> None:
        if self._syncing:
            return
        groups = set(self.selected_groups())
        ids = [t.id for t in self.doc.project.tracks if t.group in groups] if groups else []
        if ids:
            self._syncing = True
            try:
                self.doc.select(ids)
            finally:
                self._syncing = False

    def _on_doc_selection(self, ids: list) -> None:
        if self._syncing or not ids or not self.doc.has_track(ids[0]):
            return
        group = self.doc.track(ids[0]).group
        self._syncing = True
        try:
            for g, (item, _w) in self._rows.items():
                item.setSelected(g == group)
        finally:
            self._syncing = False

    # -- edits ----------------------------------------------------------------------------------
    def _emit(self, signal) -> None:
        groups = self.selected_groups()
        if len(groups) == 1:
            signal.emit(groups[0])

    def merge_selected(self) -> bool:
        groups = self.selected_groups()
        if len(groups) < 2:
            return False
        keep = groups[0]
        change = {t.id: keep for t in self.doc.project.tracks if t.group in groups[1:]}
        self.doc.undo_stack.push(commands.set_groups(self.doc, change, f"Merge {len(groups)} people"))
        self.select_group(keep)
        return True

    def split_selected_track(self) -> bool:
        ids = [i for i in self.doc.selected_ids if self.doc.has_track(i)]
        if len(ids) != 1 or self.doc.track(ids[0]).group is None:
            return False
        new_group = max((t.group or 0 for t in self.doc.project.tracks), default=0) + 1
        self.doc.undo_stack.push(commands.set_groups(self.doc, {ids[0]: new_group},
                                                     f"Split track {ids[0]} into person {new_group}"))
        return True
