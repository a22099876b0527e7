"""Questions the editor asks the user and waits for: the one place that blocks on a dialog.

Every blocking question (save before closing?, restore an autosave?, which file?) goes through a
function of this module, called as `prompts.ask(...)`, so tests replace the function with
`monkeypatch.setattr(prompts, "ask", ...)` and answer it without a modal event loop.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

_STANDARD = {
    "Save": QMessageBox.StandardButton.Save,
    "Discard": QMessageBox.StandardButton.Discard,
    "Cancel": QMessageBox.StandardButton.Cancel,
    "Yes": QMessageBox.StandardButton.Yes,
    "No": QMessageBox.StandardButton.No,
}

VIDEO_FILTER = ("Videos, pictures and projects (*.mp4 *.mov *.m4v *.mkv *.webm *.avi *.mts *.m2ts *.jpg "
                "*.jpeg *.png *.webp *.json);;Projects (*.json);;All files (*)")
PROJECT_FILTER = "Projects (*.json);;All files (*)"


def ask(parent: QWidget | None, title: str, text: str, buttons: Sequence[str],
        default: str | None = None, informative: str = "") -> str | None:
    """Ask a question with named buttons; returns the chosen name, or None if the dialog was closed."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("question")
    if informative:
        box.setInformativeText(informative)
    by_button = {}
    for name in buttons:
        if name in _STANDARD:
            button = box.addButton(_STANDARD[name])
            button.setText(name)
        else:
            button = box.addButton(name, QMessageBox.ButtonRole.AcceptRole)
        by_button[button] = name
        if name == default:
            box.setDefaultButton(button)
    if "Cancel" in buttons:
        box.setEscapeButton(next(b for b, n in by_button.items() if n == "Cancel"))
    box.exec()
    return by_button.get(box.clickedButton())


def choose_open_file(parent: QWidget | None, title: str, directory: str = "",
                     file_filter: str = VIDEO_FILTER) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, directory, file_filter)
    return path or None


def choose_save_file(parent: QWidget | None, title: str, suggested: str = "",
                     file_filter: str = PROJECT_FILTER) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return path or None
