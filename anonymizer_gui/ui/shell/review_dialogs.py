"""Dialogs of the review: the case details (kept in the project, one undo step) and the review
settings (operator name, reason list with legal basis, require review, loop play)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLineEdit,
                               QPlainTextEdit, QPushButton, QHBoxLayout, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.project import CaseDetails, Reason
from ..app import settings as S
from ..document import commands
from ..document.document import ProjectDocument, default_operator


class CaseDialog(QDialog):
    def __init__(self, doc: ProjectDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.setWindowTitle("Case details")
        self.setObjectName("caseDialog")
        case = doc.project.case
        self.reference = QLineEdit(case.reference)
        self.requester = QLineEdit(case.requester)
        self.operator = QLineEdit(case.operator or doc.operator)
        self.notes = QPlainTextEdit(case.notes)
        form = QFormLayout()
        form.addRow("Reference / case number", self.reference)
        form.addRow("Requester", self.requester)
        form.addRow("Operator", self.operator)
        form.addRow("Notes", self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def case(self) -> CaseDetails:
        return CaseDetails(self.reference.text().strip(), self.requester.text().strip(),
                           self.operator.text().strip(), self.notes.toPlainText().strip())

    def accept(self) -> None:
        if self.case() != self.doc.project.case:
            self.doc.undo_stack.push(commands.set_case(self.doc, self.case()))
        super().accept()


class ReviewSettingsDialog(QDialog):
    """Operator name, the reason list (text and legal basis; codes follow from the text), options."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Review settings")
        self.setObjectName("reviewSettingsDialog")
        settings = S.app_settings()
        self.operator = QLineEdit(str(settings.value(S.OPERATOR, "") or ""))
        self.operator.setPlaceholderText(default_operator())
        self.require_review = QCheckBox("Refuse to export while tracks are unreviewed")
        self.require_review.setChecked(S.read_bool(settings, S.REQUIRE_REVIEW, False))
        self.play_span = QCheckBox("Play the track in a loop when the queue shows it")
        self.play_span.setChecked(S.read_bool(settings, S.REVIEW_PLAY, True))
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Code", "Reason", "Legal basis"])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for r in S.read_reasons(settings):
            self._add_row(r)
        add = QPushButton("Add reason")
        add.clicked.connect(lambda: self._add_row(Reason("", "", "")))
        remove = QPushButton("Remove reason")
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("Operator name", self.operator)
        form.addRow("", self.require_review)
        form.addRow("", self.play_span)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(720, 420)

    def _add_row(self, r: Reason) -> None:
        n = self.table.rowCount()
        self.table.insertRow(n)
        for col, text in enumerate((r.code, r.text, r.legal_basis)):
            self.table.setItem(n, col, QTableWidgetItem(text))

    def reasons(self) -> list[Reason]:
        out, codes = [], set()
        for n in range(self.table.rowCount()):
            code, text, basis = (self.table.item(n, c).text().strip() if self.table.item(n, c) else ""
                                 for c in range(3))
            if not text:
                continue
            code = code or re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
            if code in codes:
                continue
            codes.add(code)
            out.append(Reason(code, text, basis))
        return out

    def accept(self) -> None:
        settings = S.app_settings()
        settings.setValue(S.OPERATOR, self.operator.text().strip())
        settings.setValue(S.REQUIRE_REVIEW, self.require_review.isChecked())
        settings.setValue(S.REVIEW_PLAY, self.play_span.isChecked())
        S.write_reasons(settings, self.reasons())
        super().accept()


def merged_reasons(project_reasons: list[Reason], settings_reasons: list[Reason]) -> list[Reason]:
    """The settings' list, plus any reason the project uses that the settings no longer hold
    (a track's code must always resolve)."""
    codes = {r.code for r in settings_reasons}
    return list(settings_reasons) + [r for r in project_reasons if r.code not in codes]
