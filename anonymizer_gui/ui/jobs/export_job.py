"""Export as a background job: core.export.export_video on a snapshot of the project.

The job works on a deep copy taken when it starts, so the operator can go on editing while it
runs. When it is done, a non-blocking message offers to open the folder or the audit report.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QUndoCommand
from PySide6.QtWidgets import QMessageBox

from ...core.project import ExportSettings
from ..shell.error_dialog import show_error
from .worker import Worker

if TYPE_CHECKING:
    from ..document.document import ProjectDocument
    from ..shell.main_window import MainWindow

DONE_DIALOG_NAME = "exportDoneDialog"


class SetExportSettings(QUndoCommand):
    """The project's export settings (codec, quality, metadata and subtitle policy) as one undo step."""

    def __init__(self, doc: "ProjectDocument", settings: ExportSettings):
        super().__init__("Change export settings")
        self.doc = doc
        self.old = copy.deepcopy(doc.project.export)
        self.new = copy.deepcopy(settings)

    def redo(self) -> None:
        self.doc.project.export = copy.deepcopy(self.new)

    def undo(self) -> None:
        self.doc.project.export = copy.deepcopy(self.old)


def open_url(path: Path) -> bool:
    """Open a file or folder with the desktop's default program (tests replace this)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def start_export(window: "MainWindow", output: Path, settings: ExportSettings) -> Worker:
    project = copy.deepcopy(window.doc.project)
    project.export = copy.deepcopy(settings)
    output = Path(output)
    def job(progress, cancel):
        from ...core.export import export_video  # on the worker thread: its imports would stall the UI

        return export_video(project, output, settings, progress, cancel)

    worker = Worker(job, f"Exporting {output.name}", window)
    worker.succeeded.connect(lambda result: show_export_done(window, output, result))
    worker.cancelled.connect(lambda _partial: window.statusBar().showMessage(
        f"Export cancelled; {output.name} was not written", 8000))
    worker.dropped.connect(lambda: window.statusBar().showMessage(
        f"Export of {output.name} taken off the queue; nothing was written", 8000))
    worker.failed.connect(lambda message, details: show_error(window, message, details, title="Export failed"))
    window.run_worker(worker, exclusive=True)
    return worker


def show_export_done(window: "MainWindow", output: Path, result) -> QMessageBox:
    """Non-blocking: the export's output, its warnings and notices, Open Folder / Open Report."""
    report = Path(result.report_path)
    box = QMessageBox(QMessageBox.Icon.Information, "Export finished", f"Wrote {output.name}.",
                      QMessageBox.StandardButton.NoButton, window)
    box.setObjectName(DONE_DIALOG_NAME)
    lines = [str(output), f"Audit report: {report.name}"]
    lines += [f"Warning: {w}" for w in result.warnings] + [f"Note: {n}" for n in result.notices]
    box.setInformativeText("\n".join(lines))
    folder = box.addButton("Open Folder", QMessageBox.ButtonRole.ActionRole)
    folder.setObjectName("openFolder")
    folder.clicked.connect(lambda: open_url(output.parent))
    rep = box.addButton("Open Report", QMessageBox.ButtonRole.ActionRole)
    rep.setObjectName("openReport")
    rep.clicked.connect(lambda: open_url(report))
    box.addButton(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    window.statusBar().showMessage(f"Exported {output}", 8000)
    return box
