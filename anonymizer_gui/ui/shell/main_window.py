"""MainWindow: the viewer in the centre, the timeline below, tracks and inspector docked, and the shell.

The window owns the document (the one Project and its QUndoStack), the frame source the views
share, the job bar that runs every background job, autosave and the menus. Views only talk to
the document; the window only wires them together.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QUndoView, QWidget

from ...core.project import Project
from . import autosave as A
from . import prompts
from ..app import settings as S
from ..jobs.analysis_job import AnalysisRunner
from ..jobs.audio_job import AudioOverviewRunner
from .autosave import Autosave
from ..document.document import ProjectDocument
from .edit_actions import EditActions
from .error_dialog import show_error
from ..media.frames import FrameSource
from ..panels.inspector import Inspector
from ..jobs.job_bar import JobBar
from .menus import MainMenus
from ..media.playback import Playback
from .project_files import ProjectFiles
from .recovery_bar import RecoveryBar
from .track_files import TrackFiles
from ..timeline.timeline import TimelineView
from ..panels.people_panel import PeoplePanel
from ..panels.tracks_panel import TracksPanel
from .review_shell import ReviewShell
from ..viewer.viewer import VideoViewer
from ..jobs.worker import Worker

STATE_VERSION = 1


class MainWindow(QMainWindow):
    opened = Signal(object)  # project_io.Opened, once the document holds it

    def __init__(self, parent: QWidget | None = None, autosave_interval_ms: int | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.doc = ProjectDocument(self)
        self.frames = FrameSource(self)
        self.playback = Playback(self.doc, self.frames, self)
        self.viewer = VideoViewer(self.doc, self.frames, playback=self.playback)
        self.timeline = TimelineView(self.doc, self.frames)
        self.tracks_panel = TracksPanel(self.doc, self.frames)
        self.inspector = Inspector(self.doc)
        self.people = PeoplePanel(self.doc, self.frames)
        self.undo_view = QUndoView(self.doc.undo_stack)
        self.undo_view.setEmptyLabel("Opened")
        self.undo_view.setObjectName("undoView")

        self.job_bar = JobBar(self)
        self.autosave = Autosave(self.doc, self, autosave_interval_ms)
        self.autosave.failed.connect(self._show_status)
        self.analysis = AnalysisRunner(self.doc, self.job_bar, self._ask_replace_analysis, self)
        self.analysis.status.connect(self._show_status)
        self.analysis.failed.connect(lambda message, details: show_error(self, message, details,
                                                                         title="Analysis failed"))
        self.audio_overviews = AudioOverviewRunner(self.doc, self)
        self.audio_overviews.failed.connect(lambda message: self._show_status(f"Audio not shown: {message}"))
        self.files = ProjectFiles(self.doc, self.job_bar, self.autosave, self, self.set_document,
                                  self.confirm_discard_document)
        self.files.opened.connect(self.opened)
        self.files.status.connect(self._show_status)
        self.files.analyseRequested.connect(self.analysis.start)
        self.track_files = TrackFiles(self.doc, self)
        self.track_files.status.connect(self._show_status)
        self.edit = EditActions(self.doc, self)
        self.edit.visible_ids = self.tracks_panel.visible_track_ids
        self.review_shell = ReviewShell(self)  # sets self.review (the queue) and self.review_status
        self._follow_workers: list[Worker] = []
        self._quitting = False  # shutdown() asked no questions; closeEvent must not ask either
        self.recovery_bar: RecoveryBar | None = None

        self.setCentralWidget(self.viewer)
        self._timeline_dock = self._dock("Timeline", "timelineDock", self.timeline,
                                         Qt.DockWidgetArea.BottomDockWidgetArea)
        self._tracks_dock = self._dock("Tracks", "tracksDock", self.tracks_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self._inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector,
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        self._history_dock = self._dock("History", "historyDock", self.undo_view,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self._people_dock = self._dock("People", "peopleDock", self.people, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self._inspector_dock, self._history_dock)
        self.tabifyDockWidget(self._inspector_dock, self._people_dock)
        self._inspector_dock.raise_()
        # The timeline spans the full width under the side docks, as in an NLE.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self.menus = MainMenus(self)
        self.empty_hint = QLabel("Open a video, a picture or a project: File ▸ Open (Ctrl+O), or drop a file here.")
        self.empty_hint.setObjectName("emptyHint")
        self.statusBar().addWidget(self.empty_hint)
        self.statusBar().addPermanentWidget(self.review_status)
        self.statusBar().addPermanentWidget(self.job_bar)
        self.setAcceptDrops(True)

        # Bound methods, not lambdas: Qt drops them with the window, so no signal reaches a dead window.
        self.doc.projectReset.connect(self._on_project_reset)
        self.doc.pathChanged.connect(self._update_title)
        self.doc.undo_stack.cleanChanged.connect(self._on_clean_changed)
        for signal in (self.doc.selectionChanged, self.doc.frameChanged, self.doc.trackListChanged,
                       self.analysis.stateChanged):
            signal.connect(self._update_actions)
        self.apply_review_settings()

        self.resize(1280, 800)
        self._restore_layout()
        self._on_project_reset()

    # -- layout ---------------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def docks(self) -> list[QDockWidget]:
        return [self._timeline_dock, self._tracks_dock, self._inspector_dock, self._history_dock, self._people_dock]

    def _restore_layout(self) -> None:
        settings = S.app_settings()
        geometry = settings.value(S.GEOMETRY)
        if isinstance(geometry, (QByteArray, bytes)) and geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self._default_sizes()
        state = settings.value(S.WINDOW_STATE)
        if isinstance(state, (QByteArray, bytes)) and state:
            self.restoreState(QByteArray(state), STATE_VERSION)

    def _default_sizes(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            self.resize(min(1600, screen.width()), min(1000, screen.height()))
        self.resizeDocks([self._tracks_dock], [340], Qt.Orientation.Horizontal)
        self.resizeDocks([self._timeline_dock], [300], Qt.Orientation.Vertical)  # audio lanes sit above the tracks
        self.resizeDocks([self._tracks_dock, self._inspector_dock], [260, 300], Qt.Orientation.Vertical)

    def save_layout(self) -> None:
        settings = S.app_settings()
        settings.setValue(S.GEOMETRY, self.saveGeometry())
        settings.setValue(S.WINDOW_STATE, self.saveState(STATE_VERSION))

    # -- document -------------------------------------------------------------------------------
    def set_document(self, project: Project | None, info=None, path: Path | None = None) -> None:
        """Show another project: the frame source first, so the views find the new media on reset."""
        self.frames.set_media(project.media.path if project is not None else None, info)
        self.doc.set_project(project, info, path)

    def confirm_discard_document(self) -> bool:
        """Before replacing the open project: ask to save; stop jobs that write into it."""
        if not self.files.maybe_save():
            return False
        self.analysis.abandon()
        for worker in self._follow_workers:
            worker.cancel()
        self.autosave.discard()
        return True

    def close_document(self) -> bool:
        if self.doc.project is None or not self.confirm_discard_document():
            return False
        self.set_document(None)
        return True

    # -- review (the review's shell side lives in review_shell.py) ------------------------------------
    def apply_review_settings(self) -> None:
        self.review_shell.apply_settings()

    def edit_case(self):
        return self.review_shell.edit_case()

    def edit_review_settings(self):
        return self.review_shell.edit_settings()

    def regroup_people(self) -> Worker | None:
        return self.review_shell.regroup_people()

    def keep_person_visible(self) -> bool:
        return self.review_shell.keep_person_visible()

    def edit_analysis_settings(self):
        return self.review_shell.edit_analysis_settings()

    def _on_project_reset(self) -> None:
        self.review_shell.project_reset()
        has = self.doc.project is not None
        self.empty_hint.setVisible(not has)
        self._update_title()
        self.setWindowModified(self.doc.is_modified)
        self.menus.update_enabled()
        if has:
            QTimer.singleShot(0, self.viewer.fit)

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _update_actions(self, *_args) -> None:
        self.menus.update_enabled()

    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    def _ask_replace_analysis(self, count: int) -> str | None:
        return prompts.ask(self, "Analyse again?",
                           f"The project already has {count} automatic track(s) from an earlier analysis. "
                           "Replace them with the tracks of the new analysis? Manual tracks stay.",
                           ["Replace", "Keep Both", "Cancel"], default="Replace")

    def _update_title(self, *_args) -> None:
        project = self.doc.project
        if project is None:
            self.setWindowTitle("Anonymizer")
            return
        media_name = Path(project.media.path).name
        if self.doc.path is not None:
            self.setWindowTitle(f"{self.doc.path.name} ({media_name})[*] — Anonymizer")
        else:
            self.setWindowTitle(f"{media_name}[*] — Anonymizer")

    # -- jobs -------------------------------------------------------------------------------------
    def run_worker(self, worker: Worker, exclusive: bool = True) -> Worker:
        """Run a background job with a row in the job bar (progress, fps, time left, Cancel)."""
        return self.job_bar.run(worker, exclusive)

    def follow_selected(self) -> Worker | None:
        ids = self.doc.selected_ids
        if len(ids) != 1 or self.doc.project is None:
            return None
        from ..jobs.follow_job import make_follow_worker

        worker = make_follow_worker(self.doc, ids[0], self)
        if worker is None:
            return None
        worker.failed.connect(lambda message, details: show_error(self, message, details, title="Follow failed"))
        self._follow_workers.append(worker)
        worker.finished.connect(lambda w=worker: self._follow_workers.remove(w) if w in self._follow_workers
                                else None)
        return self.run_worker(worker, exclusive=False)

    def show_export_dialog(self):
        if self.doc.project is None:
            return None
        from .export_dialog import ExportDialog
        from .export_flow import start_export

        dialog = ExportDialog(self.doc, lambda output, settings: start_export(self, output, settings), self,
                              require_review=S.read_bool(S.app_settings(), S.REQUIRE_REVIEW, False))
        dialog.open()
        return dialog

    # -- start-up -------------------------------------------------------------------------------
    def start(self, file: str | None = None, demo: bool = False) -> None:
        """After show(): open FILE or the demo first and offer a crashed session's work in a bar beside
        it; with nothing to open, ask about that work straight away."""
        QTimer.singleShot(0, lambda: self._start(file, demo))

    def _start(self, file: str | None, demo: bool) -> None:
        if not file and not demo:
            self.offer_recovery()
            return
        if demo:
            self.open_demo()
        else:
            self.files.open_path(file)
        opening = Path(file).expanduser().resolve() if file else None
        # The autosave of the project being opened is asked about by open_path itself.
        recoveries = [r for r in A.pending_recoveries()
                      if r.project_path is None or opening is None or r.project_path.resolve() != opening]
        if recoveries:
            self.recovery_bar = RecoveryBar(recoveries, self.restore, self)
            self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.recovery_bar)

    def offer_recovery(self) -> bool:
        """Ask to restore the newest autosave a crashed session left; True when one is being restored."""
        for recovery in A.pending_recoveries():
            answer = prompts.ask(self, "Restore unsaved work?",
                                 f"An earlier session left unsaved work. Restore {recovery.describe()}?",
                                 ["Restore", "Discard", "Later"], default="Restore",
                                 informative="Discard deletes the autosave; Later keeps it for the next start.")
            if answer == "Restore":
                self.restore(recovery)
                return True
            if answer == "Discard":
                A.dismiss(recovery)
            else:
                return False
        return False

    def restore(self, recovery: A.Recovery) -> None:
        target = recovery.project_path or Path(recovery.media_name)
        self.files.open_path(target, analyse=False, restore_from=recovery.autosave,
                             restored_project_path=recovery.project_path)

    def open_demo(self) -> Worker:
        from ...demo import build_demo_clip

        worker = Worker(lambda progress, cancel: build_demo_clip(), "Building the demo clip", self)
        worker.succeeded.connect(lambda path: self.files.open_path(path, analyse=True))
        worker.failed.connect(lambda message, details: show_error(self, message, details, title="Demo"))
        return self.run_worker(worker, exclusive=False)

    # -- drag and drop --------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            event.ignore()
            return
        event.acceptProposedAction()
        path = urls[0].toLocalFile()
        QTimer.singleShot(0, lambda: self.files.open_path(path))  # not inside the drop: it may ask questions

    # -- closing --------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._quitting:
            running = self.job_bar.running() + self.job_bar.queued()
            if running:
                names = ", ".join(w.name.lower() for w in running)
                answer = prompts.ask(self, "Jobs running", f"Stop {names} and quit?", ["Stop and Quit", "Cancel"],
                                     default="Cancel")
                if answer != "Stop and Quit":
                    event.ignore()
                    return
            if not self.files.maybe_save():
                event.ignore()
                return
            self._wind_down(keep_unsaved=False)
        event.accept()

    def shutdown(self) -> None:
        """Quit without a question (SIGTERM, SIGINT, logout): jobs cancelled and their temporary files
        removed, unsaved edits flushed to the autosave (offered at the next start), the lock released."""
        if self._quitting:
            return
        self._quitting = True
        self._wind_down(keep_unsaved=True)
        self.close()

    def _wind_down(self, keep_unsaved: bool) -> None:
        self.job_bar.cancel_all()
        self.audio_overviews.cancel()
        self.job_bar.wait_all(10.0)  # cancelled jobs remove their own temporary files
        self.audio_overviews.wait(5.0)
        self.playback.stop()
        if keep_unsaved:
            self.autosave.flush()
        else:
            self.autosave.timer.stop()
            self.autosave.discard()
            self.autosave.release()
        self.save_layout()
        self.frames.close()
