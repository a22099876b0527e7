"""The editor's side of an export: run the export job in the job bar and tell the operator how it went.

A non-blocking message at the end offers to open the folder or the audit report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from ...core.project import ExportSettings
from ..jobs.export_job import export_worker
from ..jobs.worker import Worker
from . import prompts
from .error_dialog import show_error

if TYPE_CHECKING:
    from .main_window import MainWindow

DONE_DIALOG_NAME = "exportDoneDialog"


def open_url(path: Path) -> bool:
    """Open a file or folder with the desktop's default program (tests replace this)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def start_export(window: "MainWindow", output: Path, settings: ExportSettings) -> Worker:
    output = Path(output)
    worker = export_worker(window.doc, output, settings, window,
                           ask_incomplete=lambda state: ask_export_incomplete(window, state))
    status = window.statusBar()
    worker.succeeded.connect(lambda result: show_export_done(window, output, result))
    worker.cancelled.connect(lambda _partial: status.showMessage(
        f"Export cancelled; {output.name} was not written", 8000))
    worker.dropped.connect(lambda: status.showMessage(
        f"Export of {output.name} taken off the queue; nothing was written", 8000))
    worker.failed.connect(lambda message, details: show_error(window, message, details, title="Export failed"))
    window.run_worker(worker, exclusive=True)
    return worker


def verify_line(verify: dict | None) -> str:
    """The leak check's verdict in one line for the export dialog."""
    if not verify:
        return "Leak check: not run"
    if verify.get("verdict") == "not_run":
        return f"Leak check: not run ({verify.get('error', '')}); the export is unproven"
    leaks, possible = len(verify.get("leaks", [])), len(verify.get("possible_leaks", []))
    if not leaks and not possible:
        return f"Leak check: no leak in {verify.get('frames_checked', 0)} frames"
    return (f"Leak check: {leaks} leak(s), {possible} possible leak(s) outside the masks: see the red "
            "markers on the timeline (Next Finding, Mask Finding)")


def ask_export_incomplete(window: "MainWindow", state: dict) -> bool:
    """The analysis was cancelled or stopped short: export anyway? (the report will say so)"""
    done, total = state.get("frames_analyzed"), state.get("frame_count")
    where = f" after {done} of {total} frames" if isinstance(done, int) else ""
    answer = prompts.ask(window, "Export an incomplete analysis?",
                         f"The analysis {'was cancelled' if state.get('cancelled') else 'stopped short'}{where}. "
                         "Faces on the frames it never read are not masked.",
                         ["Export Anyway", "Cancel"], default="Cancel",
                         informative="Analyse the video again to search every frame. If you export anyway, "
                                     "the audit report says that the analysis was incomplete.")
    return answer == "Export Anyway"


def show_export_done(window: "MainWindow", output: Path, result) -> QMessageBox:
    """Non-blocking: the export's output, its warnings and notices, Open Folder / Open Report."""
    report = Path(result.report_path)
    verify = result.report.get("verify") or {}
    clean = verify.get("verdict") == "clean"
    box = QMessageBox(QMessageBox.Icon.Information if clean else QMessageBox.Icon.Warning, "Export finished",
                      f"Wrote {output.name}." + ("" if clean else " The leak check did not pass."),
                      QMessageBox.StandardButton.NoButton, window)
    box.setObjectName(DONE_DIALOG_NAME)
    window.doc.set_findings(verify)
    lines = [str(output), f"Audit report: {report.name}", verify_line(verify)]
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
