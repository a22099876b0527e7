"""The audio range bar under the timeline's zoom buttons: the selected range's action and reason,
speech navigation, and "remove all audio". Every change is a command; the bar only mirrors the
document (its widgets' signals are blocked while it updates from it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QToolButton,
                               QWidget)

from ...core.project import AUDIO_ACTIONS, AudioRange
from ..document import commands
from ..document.document import ProjectDocument

SPEECH_EPS_S = 0.01


class AudioRangeBar(QWidget):
    def __init__(self, doc: ProjectDocument, lanes, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.lanes = lanes  # the canvas's AudioLanes: which lane speech navigation works on
        self.setObjectName("audioRangeBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 2)
        self.title = QLabel("Audio range:")
        self.action_box = QComboBox()
        self.action_box.addItems(list(AUDIO_ACTIONS))
        self.action_box.setAccessibleName("Audio range action")
        self.action_box.setToolTip("mute: silence · bleep: a 1 kHz tone · disguise: the voice made unrecognisable")
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("reason (for the audit report)")
        self.reason_edit.setAccessibleName("Audio range reason")
        self.tone_box = self._spin(" Hz", 20, 20000, 50, "Bleep tone frequency")
        self.level_box = self._spin(" dBFS", -60, 0, 1, "Bleep tone peak level")
        self.delete_button = QToolButton()
        self.delete_button.setText("Delete")
        self.delete_button.setToolTip("Delete the selected audio range")
        self.remove_all = QCheckBox("Remove all audio")
        self.remove_all.setToolTip("Export without any audio stream (the report says so)")
        self._actions: list[QAction] | None = None
        for w in (self.title, self.action_box):
            row.addWidget(w)
        row.addWidget(self.reason_edit, 1)
        row.addWidget(self.tone_box)
        row.addWidget(self.level_box)
        row.addWidget(self.delete_button)
        self.speech_buttons = []
        for text, tip, slot in (("\u25c0 speech", "Previous speech (Shift+S)", lambda: self.jump_speech(-1)),
                                ("speech \u25b6", "Next speech (S)", lambda: self.jump_speech(1)),
                                ("Mute speech", "Turn the speech under the playhead into a range (M)",
                                 self.range_from_speech)):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            row.addWidget(b)
            self.speech_buttons.append(b)
        row.addWidget(self.remove_all)

        self.action_box.activated.connect(self._on_action)
        self.reason_edit.editingFinished.connect(self._on_reason)
        self.tone_box.editingFinished.connect(lambda: self._on_tone("tone_hz", self.tone_box.value()))
        self.level_box.editingFinished.connect(lambda: self._on_tone("level_dbfs", self.level_box.value()))
        self.delete_button.clicked.connect(self.delete_selected)
        self.remove_all.toggled.connect(self._on_remove_all)
        doc.audioSelectionChanged.connect(lambda _i: self.refresh())
        doc.projectFieldsChanged.connect(lambda _name: self.refresh())
        doc.projectReset.connect(self.refresh)
        doc.audioOverviewsChanged.connect(self.refresh)
        self.refresh()

    def _spin(self, suffix: str, lo: float, hi: float, step: float, name: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setSingleStep(step)
        box.setDecimals(0)
        box.setSuffix(suffix)
        box.setKeyboardTracking(False)
        box.setAccessibleName(name)
        box.setToolTip(name)
        return box

    # -- mirror the document ----------------------------------------------------------------------
    def selected(self) -> AudioRange | None:
        i = self.doc.audio_selected
        return self.doc.project.audio_ranges[i] if i is not None and self.doc.project else None

    def refresh(self) -> None:
        project = self.doc.project
        self.setVisible(project is not None and self.doc.audio_stream_count > 0)
        r = self.selected()
        editors = (self.action_box, self.reason_edit, self.delete_button, self.tone_box, self.level_box)
        for w in editors:
            w.blockSignals(True)
            w.setEnabled(r is not None)
        self.action_box.setCurrentText(r.action if r else AUDIO_ACTIONS[0])
        bleep = r is not None and r.action == "bleep"
        self.tone_box.setVisible(bleep)
        self.level_box.setVisible(bleep)
        if bleep:
            self.tone_box.setValue(r.tone_hz)
            self.level_box.setValue(r.level_dbfs)
        if not self.reason_edit.hasFocus() or r is None:
            self.reason_edit.setText(r.reason if r else "")
        for w in editors:
            w.blockSignals(False)
        self.remove_all.blockSignals(True)
        self.remove_all.setChecked(bool(project and project.remove_audio))
        self.remove_all.blockSignals(False)
        has_speech = bool(self._speech())
        for b in self.speech_buttons:
            b.setEnabled(has_speech)

    # -- edits --------------------------------------------------------------------------------------
    def _on_action(self, _index: int) -> None:
        i, r = self.doc.audio_selected, self.selected()
        action = self.action_box.currentText()
        if r is not None and action != r.action:
            self.doc.undo_stack.push(commands.set_audio_range_fields(self.doc, i, f"Make audio range {action}",
                                                                     action=action))

    def _on_reason(self) -> None:
        i, r = self.doc.audio_selected, self.selected()
        text = self.reason_edit.text().strip()
        if r is not None and text != r.reason:
            self.doc.undo_stack.push(commands.set_audio_range_fields(self.doc, i, "Edit audio range reason",
                                                                     reason=text))

    def _on_tone(self, field: str, value: float) -> None:
        i, r = self.doc.audio_selected, self.selected()
        if r is not None and r.action == "bleep" and abs(getattr(r, field) - value) > 1e-9:
            text = "Change bleep tone" if field == "tone_hz" else "Change bleep level"
            self.doc.undo_stack.push(commands.set_audio_range_fields(self.doc, i, text, **{field: float(value)}))

    def delete_selected(self) -> None:
        if self.selected() is not None:
            self.doc.undo_stack.push(commands.delete_audio_range(self.doc, self.doc.audio_selected))

    def _on_remove_all(self, on: bool) -> None:
        if self.doc.project is not None and on != self.doc.project.remove_audio:
            self.doc.undo_stack.push(commands.set_remove_audio(self.doc, on))

    # -- speech -------------------------------------------------------------------------------------
    def _speech(self) -> list[tuple[float, float]]:
        for o in self.doc.audio_overviews:
            if o.stream == self.lanes.stream:
                return list(o.speech)
        return []

    def _now(self) -> float:
        return float(self.lanes.time_map().seconds(self.doc.frame)) if self.doc.project else 0.0

    def jump_speech(self, direction: int) -> bool:
        """Move the playhead to the start of the next (1) or previous (-1) speech segment."""
        now, speech = self._now(), self._speech()
        starts = [a for a, _ in speech]
        target = next((a for a in starts if a > now + SPEECH_EPS_S), None) if direction > 0 else \
            next((a for a in reversed(starts) if a < now - SPEECH_EPS_S), None)
        if target is None:
            return False
        self.doc.set_frame(int(self.lanes.time_map().frame_pos(target + SPEECH_EPS_S)))
        return True

    def range_from_speech(self) -> bool:
        """The speech segment under the playhead (or the next one) becomes a mute range."""
        now, speech = self._now(), self._speech()
        seg = next(((a, b) for a, b in speech if a - SPEECH_EPS_S <= now < b), None) or \
            next(((a, b) for a, b in speech if a > now), None)
        if seg is None or self.doc.project is None:
            return False
        self.doc.undo_stack.push(commands.add_audio_range(
            self.doc, AudioRange(self.lanes.stream, seg[0], seg[1], "mute", "speech found for review")))
        return True

    # -- in/out marks -------------------------------------------------------------------------------
    def mark(self, which: str) -> None:
        """Set the in ("in") or out ("out") mark at the playhead; the other one stays if it fits."""
        f, a, b = self.doc.frame, self.doc.mark_in, self.doc.mark_out
        if which == "in":
            self.doc.set_marks(f, b if b is not None and b >= f else None)
        else:
            self.doc.set_marks(a if a is not None and a <= f else None, f)

    def range_from_marks(self) -> bool:
        """A mute range on the current audio lane from the in mark's frame to the end of the out mark's."""
        a, b = self.doc.mark_in, self.doc.mark_out
        if a is None or b is None or self.doc.project is None or not self.doc.audio_stream_count:
            return False
        tm = self.lanes.time_map()
        start, end = float(tm.seconds(a)), float(tm.seconds(b + 1))
        self.doc.undo_stack.push(commands.add_audio_range(self.doc, AudioRange(self.lanes.stream, start, end, "mute")))
        return True

    def actions(self) -> list[QAction]:
        """Speech navigation and ranges with window-wide keys: S, Shift+S, M; marks [ ] and Shift+M."""
        if self._actions is None:
            self._actions = []
            for text, key, slot in (("Next Speech", "S", lambda: self.jump_speech(1)),
                                    ("Previous Speech", "Shift+S", lambda: self.jump_speech(-1)),
                                    ("Mute Speech at Playhead", "M", self.range_from_speech),
                                    ("Mark In", "[", lambda: self.mark("in")),
                                    ("Mark Out", "]", lambda: self.mark("out")),
                                    ("Audio Range from Marks", "Shift+M", self.range_from_marks),
                                    ("Delete Audio Range", "Ctrl+Shift+Delete", self.delete_selected)):
                a = QAction(text, self)
                a.setShortcut(QKeySequence(key))
                a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                a.setObjectName("audio_" + "".join(c for c in text.lower() if c.isalnum()))
                a.triggered.connect(lambda _c=False, s=slot: s())
                self._actions.append(a)
        return list(self._actions)
