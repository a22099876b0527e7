"""Inspector: the selected tracks' style, label, reason and on/off; with no selection, the project's default style.

Each change is one command: a style field sets a whole MaskStyle on each selected track
(commands.set_track_fields, one undo step), text commits on editingFinished rather than per key,
and the form is refreshed from the document with its widgets' signals blocked.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QComboBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from ...core.project import MIN_STRENGTH, STYLE_KINDS, MaskStyle
from ..document import commands
from ..document.document import ProjectDocument
from ..app.label_colors import KNOWN_LABELS

PROJECT_DEFAULT = "Project default"
STYLE_NAMES = {"blur": "Blur", "pixelate": "Pixelate", "solid": "Solid colour"}


class Inspector(QWidget):
    def __init__(self, doc: ProjectDocument, parent=None):
        super().__init__(parent)
        self.doc = doc
        self._shown_text: tuple | None = None  # (track ids, label, reason) last put into the text fields
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)

        self.style_combo = QComboBox()
        # The floor: below MIN_STRENGTH a face stays recognisable, so the renderer never goes there.
        self.strength = self._spin(MIN_STRENGTH, 8.0, 0.25, 2,
                                   f"Larger is coarser: fewer blocks across the mask. {MIN_STRENGTH:g} is the "
                                   "irreversible floor (about five blocks across for pixelate); weaker is refused")
        self.margin = self._spin(0.0, 100.0, 5.0, 0, "Grow the mask by this share of its size on each side", "%")
        self.feather = self._spin(0.0, 100.0, 5.0, 0, "Soft edge outside the mask, as a share of its size", "%")
        self.color_button = QPushButton()
        self.color_button.setToolTip("Fill colour of a solid mask")
        self.color_button.clicked.connect(self._pick_color)
        self.label_combo = QComboBox()
        self.label_combo.setEditable(True)
        self.label_combo.addItems(list(KNOWN_LABELS))
        self.label_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why this mask is on or off (goes into the audit report)")
        self.enabled = QCheckBox("Mask this track")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._rows = {}
        for name, text, widget in (("style", "&Style", self.style_combo), ("strength", "S&trength", self.strength),
                                   ("margin", "&Margin", self.margin), ("feather", "&Feather", self.feather),
                                   ("color", "&Colour", self.color_button), ("label", "&Label", self.label_combo),
                                   ("reason", "&Reason", self.reason), ("enabled", "", self.enabled)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
            self._rows[name] = (label, widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addStretch(1)

        self.style_combo.activated.connect(self._on_style_kind)
        self.strength.valueChanged.connect(lambda v: self._set_style_field("strength", float(v), "strength"))
        self.margin.valueChanged.connect(lambda v: self._set_style_field("margin", v / 100.0, "margin"))
        self.feather.valueChanged.connect(lambda v: self._set_style_field("feather", v / 100.0, "feather"))
        self.label_combo.activated.connect(lambda _i: self._commit_label())
        self.label_combo.lineEdit().editingFinished.connect(self._commit_label)
        self.reason.editingFinished.connect(self._commit_reason)
        self.enabled.clicked.connect(self._on_enabled)  # clicked, not toggled: partial -> checked toggles nothing
        for w in (self.enabled, self.color_button, self.style_combo):
            w.installEventFilter(self)

        for sig in (doc.projectReset, doc.trackListChanged, doc.defaultStyleChanged):
            sig.connect(self.refresh)
        doc.selectionChanged.connect(lambda _ids: self.refresh())
        doc.trackChanged.connect(lambda tid: self.refresh() if tid in doc.selected_ids else None)
        self.refresh()

    def eventFilter(self, watched, event) -> bool:
        # Space is the window's play/pause shortcut; a focused switch, button or list takes it first,
        # as a keyboard user expects.
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space:
            event.accept()
            return True
        return super().eventFilter(watched, event)

    def _spin(self, lo: float, hi: float, step: float, decimals: int, tip: str, suffix: str = "") -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(lo, hi)
        spin.setSingleStep(step)
        spin.setDecimals(decimals)
        spin.setSuffix(suffix and f" {suffix}")
        spin.setToolTip(tip)
        spin.setKeyboardTracking(False)  # one command when the value is entered, not one per digit typed
        return spin

    # -- model -> form ----------------------------------------------------------------------
    def _tracks(self):
        return [self.doc.track(i) for i in self.doc.selected_ids] if self.doc.project else []

    def _shown_style(self) -> MaskStyle | None:
        """The style the form shows: the first selected track's (resolved), or the default."""
        if self.doc.project is None:
            return None
        tracks = self._tracks()
        return self.doc.project.style_of(tracks[0]) if tracks else self.doc.project.default_style

    def refresh(self) -> None:
        project = self.doc.project
        tracks = self._tracks()
        widgets = [self.style_combo, self.strength, self.margin, self.feather, self.label_combo,
                   self.label_combo.lineEdit(), self.reason, self.enabled]
        for w in widgets:
            w.blockSignals(True)
        try:
            self.setEnabled(project is not None)
            for name, row in self._rows.items():
                shown = project is not None and (bool(tracks) or name not in ("label", "reason", "enabled"))
                for w in row:
                    w.setVisible(shown)
            self.style_combo.clear()
            if tracks:
                self.style_combo.addItem(PROJECT_DEFAULT, None)
            for kind in STYLE_KINDS:
                self.style_combo.addItem(STYLE_NAMES[kind], kind)
            if not tracks:
                self._shown_text = None
            if project is None:
                self.title.setText("No project open")
                return
            style = self._shown_style()
            if not tracks:
                self.title.setText("Default style of the project\n(used by every track set to \u201cProject default\u201d)")
                self.style_combo.setCurrentIndex(self.style_combo.findData(style.kind))
            else:
                first = tracks[0]
                self.title.setText(f"Track {first.id}: {first.label} ({first.source})" if len(tracks) == 1
                                   else f"{len(tracks)} tracks selected")
                uses_default = all(t.style is None for t in tracks)
                self.style_combo.setCurrentIndex(0 if uses_default else self.style_combo.findData(style.kind))
                # Text the operator is typing survives refreshes that do not change what it edits
                # (tracks arriving from an analysis, another track's edit): only new values are shown.
                shown = (tuple(t.id for t in tracks),
                         first.label if len({t.label for t in tracks}) == 1 else "",
                         first.reason if len({t.reason for t in tracks}) == 1 else "")
                last = self._shown_text
                if last is None or last[0] != shown[0] or last[1] != shown[1]:
                    self.label_combo.setEditText(shown[1])
                if last is None or last[0] != shown[0] or last[2] != shown[2]:
                    self.reason.setText(shown[2])
                self._shown_text = shown
                states = {t.enabled for t in tracks}
                self.enabled.setTristate(len(states) > 1)
                self.enabled.setCheckState(Qt.CheckState.PartiallyChecked if len(states) > 1 else
                                           Qt.CheckState.Checked if first.enabled else Qt.CheckState.Unchecked)
            self.strength.setValue(style.strength)
            self.margin.setValue(style.margin * 100.0)
            self.feather.setValue(style.feather * 100.0)
            self._show_color(style)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def _show_color(self, style: MaskStyle) -> None:
        r, g, b = style.color
        self.color_button.setText(f"#{r:02x}{g:02x}{b:02x}")
        self.color_button.setStyleSheet(
            f"QPushButton {{ background-color: rgb({r},{g},{b}); color: {'black' if r + g + b > 380 else 'white'}; }}")
        for w in self._rows["color"]:
            w.setVisible(style.kind == "solid")

    # -- form -> commands -------------------------------------------------------------------
    def _on_style_kind(self, index: int) -> None:
        kind = self.style_combo.itemData(index)
        tracks = self._tracks()
        if tracks and kind is None:
            if any(t.style is not None for t in tracks):
                self._push_tracks(tracks, "Use the project's default style", style=None)
            return
        self._apply_style(lambda s: replace(s, kind=kind), f"Style: {STYLE_NAMES[kind].lower()}")

    def _set_style_field(self, field: str, value, name: str) -> None:
        self._apply_style(lambda s: replace(s, **{field: value}), f"Style {name}: {value:g}")

    def set_color(self, rgb: tuple[int, int, int]) -> None:
        """Solid fill colour of the selection (or of the default style)."""
        self._apply_style(lambda s: replace(s, color=tuple(int(c) for c in rgb)), "Style colour")

    def _pick_color(self) -> None:
        style = self._shown_style()
        if style is None:
            return
        color = QColorDialog.getColor(QColor(*style.color), self, "Mask colour")
        if color.isValid():
            self.set_color((color.red(), color.green(), color.blue()))

    def _apply_style(self, change, text: str) -> None:
        """Apply `change(old_style) -> new_style` to every selected track, or to the default style."""
        project = self.doc.project
        if project is None:
            return
        tracks = self._tracks()
        if not tracks:
            new = change(copy.deepcopy(project.default_style))
            if new != project.default_style:
                self.doc.undo_stack.push(commands.SetDefaultStyle(self.doc, new))
            return
        # Tracks may start from different styles: each keeps its own other fields.
        groups: dict[tuple, list[int]] = {}
        styles = {}
        for t in tracks:
            new = change(copy.deepcopy(project.style_of(t)))
            if t.style is None or new != t.style:
                key = tuple(vars(new).values())
                groups.setdefault(key, []).append(t.id)
                styles[key] = new
        if not groups:
            return
        stack = self.doc.undo_stack
        if len(groups) > 1:
            stack.beginMacro(text)
        for key, ids in groups.items():
            stack.push(commands.set_track_fields(self.doc, ids, text, style=styles[key]))
        if len(groups) > 1:
            stack.endMacro()

    def _push_tracks(self, tracks, text: str, **fields) -> None:
        self.doc.undo_stack.push(commands.set_track_fields(self.doc, [t.id for t in tracks], text, **fields))

    def _commit_label(self) -> None:
        label = self.label_combo.currentText().strip()
        tracks = [t for t in self._tracks() if t.label != label]
        if label and tracks:
            self._push_tracks(tracks, f"Label: {label}", label=label)

    def _commit_reason(self) -> None:
        reason = self.reason.text().strip()
        tracks = [t for t in self._tracks() if t.reason != reason]
        if tracks:
            self._push_tracks(tracks, "Reason", reason=reason)

    def _on_enabled(self, on: bool) -> None:
        ids = [t.id for t in self._tracks() if t.enabled != on]
        if ids:
            self.doc.undo_stack.push(commands.set_enabled(self.doc, ids, on))
