"""Analysis settings in the editor: what to find, how sensitive per class, on which device, how often,
and what a close look at weak face candidates does.

Kept in the settings (the editor's defaults, with the Find Faces / Find Plates switches) and in the
project: a project opened again analyses with the settings recorded by its last analysis
(project.analysis["settings"], written by core.analysis), and OK records the chosen ones there too.
"""

from __future__ import annotations

import json
from dataclasses import replace

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QSpinBox, QVBoxLayout, QWidget)

from ...core.analysis import AnalysisSettings
from ...core.foundation import AnonymizerError
from ..app import settings as S
from ..document import commands

CLASSES = (("face", "Faces"), ("plate", "Licence plates"))
DEVICE_CHOICES = ("auto", "cpu", "cuda", "directml", "coreml")
FALLBACK_THRESHOLD = 0.3  # core.analysis.DEFAULT_THRESHOLD: for a manifest entry that names none
CLOSE_LOOK_CHOICES = (  # AnalysisSettings.close_look (core/analysis/second_look.py)
    ("verify", "Look closer; only confirmed ones start a track"),
    ("boost", "Look closer; never drop one"),
    ("off", "No closer look"),
)


def default_threshold(label: str) -> float:
    """The model's own score threshold from the manifest (what an unset threshold means)."""
    try:
        from ...core.detect import load_manifest

        for spec in load_manifest().values():
            if spec.task == label and "score_threshold" in spec.params:
                return float(spec.params["score_threshold"])
    except Exception:  # noqa: BLE001 - a broken user manifest must not stop the dialog
        pass
    return FALLBACK_THRESHOLD


def settings_from_json(data: dict | None) -> AnalysisSettings | None:
    """AnalysisSettings from its to_json() form (only the fields the dialog edits); None if unusable."""
    if not isinstance(data, dict):
        return None
    try:
        return AnalysisSettings(classes=tuple(data.get("classes") or ("face", "plate")),
                                thresholds={str(k): float(v) for k, v in (data.get("thresholds") or {}).items()},
                                device=str(data.get("device") or "auto"),
                                detect_every=int(data.get("detect_every") or 1),
                                full_every=int(data.get("full_every") or AnalysisSettings.full_every),
                                close_look=str(data.get("close_look") or AnalysisSettings.close_look))
    except (AnonymizerError, TypeError, ValueError):
        return None


def load_saved(settings=None) -> AnalysisSettings | None:
    settings = settings or S.app_settings()
    raw = settings.value(S.ANALYSIS_SETTINGS, "")
    try:
        return settings_from_json(json.loads(raw)) if raw else None
    except ValueError:
        return None


def save(settings: AnalysisSettings) -> None:
    S.app_settings().setValue(S.ANALYSIS_SETTINGS, json.dumps(editable_json(settings)))


def editable_json(settings: AnalysisSettings) -> dict:
    return {"classes": list(settings.classes), "thresholds": dict(settings.thresholds), "device": settings.device,
            "detect_every": settings.detect_every, "full_every": settings.full_every,
            "close_look": settings.close_look}


class AnalysisSettingsDialog(QDialog):
    def __init__(self, runner, doc=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner, self.doc = runner, doc
        self.setWindowTitle("Analysis settings")
        self.setObjectName("analysisSettingsDialog")
        current = runner.settings or AnalysisSettings(classes=runner.classes)
        form = QFormLayout()
        self.class_boxes: dict[str, QCheckBox] = {}
        self.thresholds: dict[str, QDoubleSpinBox] = {}
        for key, text in CLASSES:
            box = QCheckBox(text)
            box.setChecked(key in runner.classes)
            spin = QDoubleSpinBox()
            spin.setRange(0.05, 0.95)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setRange(0.01, 0.95)
            spin.setValue(float(current.thresholds.get(key, default_threshold(key))))
            spin.setToolTip("Minimum detector score: lower finds more (and more false detections)")
            spin.setAccessibleName(f"{text} minimum score")
            row = QHBoxLayout()
            row.addWidget(box)
            row.addStretch(1)
            row.addWidget(spin)
            form.addRow(text, row)
            self.class_boxes[key], self.thresholds[key] = box, spin
        self.device = QComboBox()
        self.device.addItems(DEVICE_CHOICES)
        self.device.setCurrentText(current.device if current.device in DEVICE_CHOICES else "auto")
        form.addRow("Device", self.device)
        self.detect_every = QSpinBox()
        self.detect_every.setRange(1, 12)
        self.detect_every.setValue(current.detect_every)
        self.detect_every.setSuffix(" frame(s)")
        self.detect_every.setToolTip("Detect on every k-th frame; the tracker carries the masks between (faster)")
        form.addRow("Detect every", self.detect_every)
        self.full_every = QSpinBox()
        self.full_every.setRange(1, 12)
        self.full_every.setValue(current.full_every)
        self.full_every.setSuffix(" detected frame(s)")
        self.full_every.setToolTip("The full-resolution pass on every k-th detected frame, a quick pass on the "
                                   "others (1: the full pass everywhere, slowest)")
        form.addRow("Full pass every", self.full_every)
        self.close_look = QComboBox()
        for key, text in CLOSE_LOOK_CHOICES:
            self.close_look.addItem(text, key)
        self.close_look.setCurrentIndex(max(0, self.close_look.findData(current.close_look)))
        self.close_look.setToolTip("Faint face candidates are cut out, enlarged and detected again before they "
                                   "may start a track: fewer false masks on cars and walls")
        self.close_look.setAccessibleName("Faint faces")
        form.addRow("Faint faces", self.close_look)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for box in self.class_boxes.values():
            box.toggled.connect(lambda _on: self.ok_button.setEnabled(bool(self.classes())))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)

    def classes(self) -> tuple[str, ...]:
        return tuple(k for k, box in self.class_boxes.items() if box.isChecked())

    def chosen(self) -> AnalysisSettings:
        base = self.runner.settings or AnalysisSettings()
        return replace(base, classes=self.classes() or base.classes,
                       thresholds={k: round(s.value(), 3) for k, s in self.thresholds.items()},
                       device=self.device.currentText(), detect_every=self.detect_every.value(),
                       full_every=self.full_every.value(), close_look=self.close_look.currentData())

    def accept(self) -> None:
        if not self.classes():
            return
        chosen = self.chosen()
        self.runner.settings = chosen
        self.runner.classes = chosen.classes
        save(chosen)
        if self.doc is not None and self.doc.project is not None:
            analysis = dict(self.doc.project.analysis)
            if analysis.get("requested_settings") != editable_json(chosen):
                analysis["requested_settings"] = editable_json(chosen)
                self.doc.undo_stack.push(commands.set_analysis(self.doc, analysis))
        super().accept()


def adopt_project_settings(runner, project) -> None:
    """A project brings its own analysis settings: the ones asked for last, else the last run's."""
    if project is None:
        return
    analysis = project.analysis or {}
    chosen = settings_from_json(analysis.get("requested_settings")) or settings_from_json(analysis.get("settings"))
    if chosen is not None:
        runner.settings = chosen
        runner.classes = chosen.classes
