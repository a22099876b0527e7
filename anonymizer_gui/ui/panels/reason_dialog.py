"""ReasonDialog: pick the reason for a review decision from the project's reason list.

Keyboard first: the digits 1-9 pick a reason and accept at once, so "V 4" keeps a track visible
as "requester kept visible" in two key presses; Enter takes the highlighted (pre-selected) one.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.project import Reason


class ReasonDialog(QDialog):
    def __init__(self, reasons: list[Reason], title: str, default: str = "", note: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("reasonDialog")
        self.list = QListWidget(self)
        self.list.setAccessibleName("Reasons")
        for n, r in enumerate(reasons, 1):
            text = f"{n}  {r.text}" if n <= 9 else f"   {r.text}"
            item = QListWidgetItem(text + (f"  \u2014 {r.legal_basis}" if r.legal_basis else ""))
            item.setData(Qt.ItemDataRole.UserRole, r.code)
            self.list.addItem(item)
            if r.code == default:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and reasons:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        self.list.installEventFilter(self)
        self.note = QLineEdit(note, self)
        self.note.setPlaceholderText("Note for the report (optional)")
        self.note.setAccessibleName("Note")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Reason (1\u20139 picks one):"))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.list.setFocus()

    def code(self) -> str:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def eventFilter(self, watched, event) -> bool:
        # The list would take a digit for keyboard search; here it picks that reason and accepts.
        if watched is self.list and event.type() == QEvent.Type.KeyPress:
            text = event.text()
            if text.isdigit() and 1 <= int(text) <= min(9, self.list.count()):
                self.list.setCurrentRow(int(text) - 1)
                self.accept()
                return True
        return super().eventFilter(watched, event)


def ask_reason(parent: QWidget | None, reasons: list[Reason], title: str, default: str = "",
               note: str = "") -> tuple[str, str] | None:
    """(reason code, note), or None when cancelled."""
    dialog = ReasonDialog(reasons, title, default, note, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.code():
        return None
    return dialog.code(), dialog.note.text()
