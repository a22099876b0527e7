"""The export dialog: where to write, in which format and quality, what to keep; then the export job.

The output path is checked while it is typed, by core's one output check: never the input (not even
through another path to the same file), an existing folder that can be written to, a name that fits
the format. OK stays disabled, with the reason shown, until the path is fine; an existing file is
replaced only after a question.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QRadioButton, QSlider, QVBoxLayout, QWidget)

from ...core.export import check_export
from ...core.foundation import AnonymizerError
from ...core.media import STILL_SUFFIXES
from ...core.project import ExportSettings
from ..document import commands
from . import prompts
from ..document.document import ProjectDocument
from ..jobs.worker import Worker

StartExport = Callable[[Path, ExportSettings], Worker]

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
# ExportSettings.hardware_encoder's modes (core/export/hardware_encoder.py), as the operator reads them.
HARDWARE_ENCODER_TEXTS = (("auto", "GPU (NVENC) where available, else CPU"), ("off", "CPU only"),
                          ("nvenc", "GPU (NVENC) only"))


@dataclass(frozen=True)
class OutputFormat:
    key: str
    text: str
    codec: str | None  # ExportSettings.codec; None: by container
    suffix: str | None  # None: the input's own
    max_crf: int


FORMATS = (
    OutputFormat("h264", "H.264 in MP4 (plays everywhere)", "libx264", ".mp4", 51),
    OutputFormat("keep", "Keep the container ({suffix}) with H.264", None, None, 51),
    OutputFormat("vp9", "VP9 in WebM (open format)", "libvpx-vp9", ".webm", 63),
)


def default_output(input_path: Path, suffix: str | None = None) -> Path:
    """`<input stem>.redacted.<ext>` beside the input."""
    input_path = Path(input_path)
    return input_path.with_name(f"{input_path.stem}.redacted{suffix or input_path.suffix}")


def output_problem(output: str, input_path: Path, suffix: str, project_path: Path | None = None,
                   settings: ExportSettings | None = None) -> str | None:
    """Why `output` cannot be written, in one sentence; None when it can.

    Beyond what the dialog itself asks (a full path, the format's suffix) this is core's one output
    check (export.check_export): never the input or the project in any spelling, nor the report over
    either; a writable folder; valid encoder settings. An existing file is allowed here: accept() asks.
    """
    if not output.strip():
        return "Choose a file to write."
    out = Path(output).expanduser()
    if not out.is_absolute():
        return "Give the full path of the output file."
    if out.suffix.lower() != suffix.lower() and not (suffix.lower() in (".jpg", ".jpeg")
                                                       and out.suffix.lower() in (".jpg", ".jpeg")):
        if not out.is_dir():
            return f"The file name must end in {suffix} for this format."
    try:
        check_export(input_path, out, settings or ExportSettings(), reads=[("project file", project_path)],
                     force=True)
    except AnonymizerError as exc:
        message = str(exc)
        return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    if out.exists() and not os.access(out, os.W_OK):
        return f"{out.name} exists and cannot be replaced (permission denied)."
    return None


class ExportDialog(QDialog):
    def __init__(self, doc: ProjectDocument, start_export: StartExport, parent: QWidget | None = None,
                 require_review: bool = False):
        super().__init__(parent)
        self.doc = doc
        self.require_review_default = require_review  # the editor's setting; the project's own wins when on
        self._start_export = start_export
        project = self.doc.project
        self.input_path = Path(project.media.path)
        self.is_still = self.input_path.suffix.lower() in STILL_SUFFIXES
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export redacted " + ("picture" if self.is_still else "video"))
        self.setMinimumWidth(560)
        self._suffix = self.input_path.suffix

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("exportPath")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("exportProblem")
        self.problem_label.setWordWrap(True)
        # Room for two lines from the start, so a reason never appears clipped or resizes the dialog.
        self.problem_label.setMinimumHeight(2 * self.problem_label.fontMetrics().lineSpacing() + 4)

        self.format_combo = QComboBox()
        self.format_combo.setObjectName("exportFormat")
        for fmt in FORMATS:
            self.format_combo.addItem(fmt.text.format(suffix=self.input_path.suffix.lower()), fmt.key)
        self.crf_slider = QSlider(Qt.Orientation.Horizontal)
        self.crf_slider.setObjectName("exportCrf")
        self.crf_label = QLabel()
        self.crf_label.setMinimumWidth(260)
        crf_row = QHBoxLayout()
        crf_row.addWidget(self.crf_slider, 1)
        crf_row.addWidget(self.crf_label)
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("exportPreset")
        self.preset_combo.addItems(PRESETS)
        self.hardware_combo = QComboBox()
        self.hardware_combo.setObjectName("exportHardwareEncoder")
        for mode, text in HARDWARE_ENCODER_TEXTS:
            self.hardware_combo.addItem(text, mode)
        self.hardware_combo.setToolTip("H.264 and H.265 can be encoded by an NVIDIA GPU's encoder (NVENC). "
                                       "Where it does not work on this machine, the CPU encodes and the "
                                       "audit report says why.")

        self.strip_metadata = QRadioButton("Strip (location, device, dates) — recommended")
        self.strip_metadata.setObjectName("exportStripMetadata")
        self.keep_metadata = QRadioButton("Keep")
        self.drop_subtitles = QRadioButton("Drop (they may hold names) — recommended")
        self.drop_subtitles.setObjectName("exportDropSubtitles")
        self.keep_subtitles = QRadioButton("Keep")
        self.style_combo = QComboBox()
        self.style_combo.setObjectName("exportStyle")
        for kind, text in (("blur", "Blur"), ("pixelate", "Pixelate"), ("solid", "Solid fill")):
            self.style_combo.addItem(text, kind)

        form = QFormLayout()
        form.addRow("Output file", path_row)
        form.addRow("", self.problem_label)
        if not self.is_still:
            form.addRow("Format", self.format_combo)
            form.addRow("Quality (CRF)", crf_row)
            form.addRow("Encoder speed", self.preset_combo)
            form.addRow("Encoder", self.hardware_combo)
        form.addRow("Metadata", self._pair(self.strip_metadata, self.keep_metadata))
        if not self.is_still:
            form.addRow("Subtitles, data", self._pair(self.drop_subtitles, self.keep_subtitles))
        form.addRow("Default mask style", self.style_combo)
        self.require_review = QCheckBox("Refuse while tracks are unreviewed")
        self.require_review.setObjectName("exportRequireReview")
        self.require_review.toggled.connect(lambda _on: self.validate())
        form.addRow("Review", self.require_review)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self._load(project.export, project.default_style.kind)
        self.path_edit.textChanged.connect(self.validate)
        self.format_combo.currentIndexChanged.connect(self._on_format)
        self.crf_slider.valueChanged.connect(self._show_crf)
        self.validate()

    @staticmethod
    def _pair(a: QRadioButton, b: QRadioButton) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        group = QButtonGroup(box)
        for r in (a, b):
            group.addButton(r)
            row.addWidget(r)
        row.addStretch(1)
        return box

    def _load(self, settings: ExportSettings, style_kind: str) -> None:
        key = {"libx264": "h264", "libvpx-vp9": "vp9"}.get(settings.codec or "", "keep")
        if key == "keep" and self.input_path.suffix.lower() in (".mp4", ".m4v"):
            key = "h264"
        self.format_combo.setCurrentIndex([f.key for f in FORMATS].index(key))
        self._apply_format_limits()
        self.crf_slider.setValue(settings.crf)
        self.preset_combo.setCurrentText(settings.preset if settings.preset in PRESETS else "medium")
        self.hardware_combo.setCurrentIndex(max(0, self.hardware_combo.findData(settings.hardware_encoder)))
        (self.keep_metadata if settings.keep_metadata else self.strip_metadata).setChecked(True)
        (self.keep_subtitles if settings.keep_subtitles else self.drop_subtitles).setChecked(True)
        self.style_combo.setCurrentIndex(max(0, self.style_combo.findData(style_kind)))
        self.require_review.setChecked(settings.require_review or self.require_review_default)
        if self.is_still:
            self._suffix = self.input_path.suffix
        else:
            self._suffix = self.current_format().suffix or self.input_path.suffix
        self.path_edit.setText(str(default_output(self.input_path, self._suffix)))
        self._show_crf(self.crf_slider.value())

    # -- reading the form -------------------------------------------------------------------------
    def current_format(self) -> OutputFormat:
        return FORMATS[self.format_combo.currentIndex()]

    def settings(self) -> ExportSettings:
        fmt = self.current_format()
        return ExportSettings(codec=None if self.is_still else fmt.codec, crf=self.crf_slider.value(),
                              preset=self.preset_combo.currentText(),
                              keep_metadata=self.keep_metadata.isChecked(),
                              keep_subtitles=self.keep_subtitles.isChecked(),
                              require_review=self.require_review.isChecked(),
                              hardware_encoder=(self.hardware_combo.currentData() or "auto")
                              if self.hardware_combo.isEnabled() else "auto")

    def output_path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def problem(self) -> str | None:
        problem = output_problem(self.path_edit.text(), self.input_path, self._suffix, self.doc.path, self.settings())
        if problem is None and self.require_review.isChecked() and self.unreviewed():
            problem = f"{self.unreviewed_text()}; review them first (N goes to the next one)."
        return problem

    def unreviewed(self) -> list[int]:
        return [t.id for t in self.doc.project.tracks if not t.reviewed]

    def unreviewed_text(self) -> str:
        ids = self.unreviewed()
        shown = ", ".join(map(str, ids[:12])) + (" \u2026" if len(ids) > 12 else "")
        return f"{len(ids)} of {len(self.doc.project.tracks)} tracks are unreviewed (track {shown})"

    # -- live behaviour ---------------------------------------------------------------------------
    def validate(self) -> bool:
        problem = self.problem()
        self.ok_button.setEnabled(problem is None)
        notes = []
        if problem is None and self.output_path().exists():
            notes.append(f"{self.output_path().name} exists and will be replaced.")
        if problem is None and not any(t.enabled for t in self.doc.project.tracks):
            notes.append("No mask is switched on: the output will show everything.")
        if problem is None and self.unreviewed():
            notes.append(f"{self.unreviewed_text()}: they stay masked.")
        if notes:
            self.problem_label.setText(" ".join(notes))
            self.problem_label.setStyleSheet("color: #e0a030;")
        else:
            self.problem_label.setText(problem or "")
            self.problem_label.setStyleSheet("color: #ff6b6b;")
        self.ok_button.setToolTip(problem or "")
        return problem is None

    def _on_format(self) -> None:
        self._apply_format_limits()
        new_suffix = self.current_format().suffix or self.input_path.suffix
        text = self.path_edit.text().strip()
        if text and Path(text).suffix.lower() == self._suffix.lower():
            self.path_edit.setText(str(Path(text).with_suffix(new_suffix)))
        self._suffix = new_suffix
        self.validate()

    def _apply_format_limits(self) -> None:
        self.crf_slider.setRange(0, self.current_format().max_crf)
        self.hardware_combo.setEnabled(self.current_format().key != "vp9")  # NVENC stands in for H.264/H.265 only

    def _show_crf(self, value: int) -> None:
        top = self.current_format().max_crf
        if value <= 17:
            hint = "very large files, no visible loss"
        elif value <= 20:
            hint = "visually lossless (recommended)"
        elif value <= 26:
            hint = "smaller, slight loss in fine detail"
        else:
            hint = "small, visible loss"
        self.crf_label.setText(f"{value} of {top}: {hint}")

    def _browse(self) -> None:
        fmt = self.current_format()
        suffix = self._suffix
        path = prompts.choose_save_file(self, "Export to", self.path_edit.text(),
                                        f"{fmt.text.split(' (')[0]} (*{suffix});;All files (*)")
        if path:
            self.path_edit.setText(path)
            self._confirmed = Path(path)  # the file dialog asked about replacing it

    # -- go -----------------------------------------------------------------------------------------
    def accept(self) -> None:
        if not self.validate():
            return
        output = self.output_path()
        if output.exists() and output != getattr(self, "_confirmed", None):
            answer = prompts.ask(self, "Replace file?", f"{output.name} already exists in {output.parent}. "
                                 "Replace it with the export?", ["Replace", "Cancel"], default="Cancel")
            if answer != "Replace":
                return
        doc = self.doc
        settings = self.settings()
        style_kind = self.style_combo.currentData()
        changes = []
        if settings != doc.project.export:
            changes.append(commands.set_export_settings(doc, settings))
        if style_kind != doc.project.default_style.kind:
            style = copy.deepcopy(doc.project.default_style)
            style.kind = style_kind
            changes.append(commands.SetDefaultStyle(doc, style))
        if len(changes) == 1:
            doc.undo_stack.push(changes[0])
        elif changes:
            doc.undo_stack.beginMacro("Change export settings")
            for change in changes:
                doc.undo_stack.push(change)
            doc.undo_stack.endMacro()
        self.worker = self._start_export(self.output_path(), settings)
        super().accept()
