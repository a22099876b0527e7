"""Errors as dialogs: one clear sentence for what the user can fix, details only for internal errors.

Dialogs open non-blocking (`QMessageBox.open()`), so the program keeps running behind them and
tests can read them with `open_error_dialogs()`. `install_excepthook()` routes exceptions that
escape a Qt slot into the same dialog instead of a traceback on the terminal (or an abort).
"""

from __future__ import annotations

import errno
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ...core.foundation import AnonymizerError, ExportError, MediaError, ModelError, ProjectFormatError
from ...core.detect import with_fetch_hint

ERROR_DIALOG_NAME = "errorDialog"

_TITLES = (
    (ModelError, "Detector model missing"),
    (MediaError, "Cannot open the media"),
    (ProjectFormatError, "Cannot open the project"),
    (ExportError, "Export failed"),
    (AnonymizerError, "Cannot do that"),
)


def describe(exc: BaseException, doing: str = "") -> tuple[str, str, str]:
    """(title, message, details) for an exception; details is empty for errors the user can fix."""
    if isinstance(exc, AnonymizerError):
        title = next(t for cls, t in _TITLES if isinstance(exc, cls))
        message = str(exc) or type(exc).__name__
        if isinstance(exc, ModelError):
            message = model_message(message)
        return title, message, ""
    if isinstance(exc, OSError):
        return "Cannot do that", os_error_message(exc, doing), ""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    what = f" while {doing}" if doing else ""
    return ("Internal error",
            f"Something went wrong inside the program{what}: {type(exc).__name__}: {exc}. "
            "The program keeps running; save your project under a new name to be safe.",
            details)


def model_message(message: str) -> str:
    return with_fetch_hint(message)


def os_error_message(exc: OSError, doing: str = "") -> str:
    where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
    what = f"while {doing}: " if doing else ""
    if exc.errno == errno.ENOSPC:
        return f"The disk is full {what}no space left on the device{where}. Free some space and try again."
    if isinstance(exc, PermissionError):
        return f"Permission denied {what}cannot write or read{where}."
    if isinstance(exc, FileNotFoundError):
        return f"File not found {what}{where.strip() or 'the file does not exist'}."
    if isinstance(exc, IsADirectoryError):
        return f"{where.strip()} is a folder, not a file."
    return f"{(what or '').capitalize()}{exc.strerror or exc}{(':' + where) if where else ''}."


def show_error(parent: QWidget | None, message: str, details: str = "",
               title: str | None = None) -> QMessageBox:
    """Open an error dialog without blocking; an identical dialog already open is reused."""
    for box in open_error_dialogs():
        if box.text() == message:
            box.raise_()
            return box
    internal = bool(details)
    box = QMessageBox(QMessageBox.Icon.Critical if internal else QMessageBox.Icon.Warning,
                      title or ("Internal error" if internal else "Cannot do that"), message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(ERROR_DIALOG_NAME)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if internal:
        box.setDetailedText(details)  # "Show Details..." expands the traceback
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_exception(parent: QWidget | None, exc: BaseException, doing: str = "") -> QMessageBox:
    title, message, details = describe(exc, doing)
    return show_error(parent, message, details, title)


def open_error_dialogs() -> list[QMessageBox]:
    app = QApplication.instance()
    if app is None:
        return []
    return [w for w in app.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == ERROR_DIALOG_NAME and w.isVisible()]


def _main_window() -> QWidget | None:
    app = QApplication.instance()
    if app is None:
        return None
    active = app.activeWindow()
    if active is not None:
        return active
    from PySide6.QtWidgets import QMainWindow

    return next((w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()), None)


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """sys.excepthook: show the error in a dialog; the event loop goes on."""
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    if exc.__traceback__ is None and tb is not None:
        exc = exc.with_traceback(tb)
    traceback.print_exception(exc_type, exc, tb, file=sys.stderr)  # keep a trace for bug reports
    if QApplication.instance() is None:
        return
    try:
        show_exception(_main_window(), exc)
    except Exception:  # noqa: BLE001 - the hook must never raise itself
        traceback.print_exc()


def install_excepthook() -> None:
    sys.excepthook = excepthook
