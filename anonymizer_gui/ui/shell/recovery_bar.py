"""A bar across the top of the window that offers autosaves left by an earlier session, without blocking.

Used when the editor starts with a file to open: the file opens at once, and the bar waits for the
operator's answer (Restore / Discard / Later) as long as they like.
"""

from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtWidgets import QLabel, QPushButton, QToolBar, QWidget

from . import autosave as A


class RecoveryBar(QToolBar):
    """Offers each recovery in turn; `restore(recovery)` opens one; the bar closes after Restore or Later."""

    def __init__(self, recoveries: Sequence[A.Recovery], restore: Callable[[A.Recovery], None],
                 parent: QWidget | None = None):
        super().__init__("Unsaved work", parent)
        self.setObjectName("recoveryBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.recoveries = list(recoveries)
        self._restore = restore
        self.label = QLabel()
        self.label.setObjectName("recoveryText")
        self.addWidget(self.label)
        for name, slot in (("Restore", self._on_restore), ("Discard", self._on_discard), ("Later", self.dismiss)):
            button = QPushButton(name)
            button.setObjectName(f"recovery{name}")
            button.clicked.connect(slot)
            self.addWidget(button)
            setattr(self, f"{name.lower()}_button", button)
        self._show_first()

    def current(self) -> A.Recovery | None:
        return self.recoveries[0] if self.recoveries else None

    def _show_first(self) -> None:
        recovery = self.current()
        if recovery is None:
            self.dismiss()
            return
        more = f" ({len(self.recoveries) - 1} more)" if len(self.recoveries) > 1 else ""
        self.label.setText(f"Unsaved work from an earlier session: {recovery.describe()}{more}.  ")

    def _on_restore(self) -> None:
        recovery = self.current()
        self.dismiss()
        if recovery is not None:
            self._restore(recovery)

    def _on_discard(self) -> None:
        A.dismiss(self.recoveries.pop(0))
        self._show_first()

    def dismiss(self) -> None:
        """Later: keep the autosaves for the next start and take the bar away."""
        window = self.parentWidget()
        if window is not None and hasattr(window, "removeToolBar"):
            window.removeToolBar(self)
        self.hide()
        self.deleteLater()
