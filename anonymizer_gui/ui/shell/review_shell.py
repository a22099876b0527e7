"""The review's side of the shell: the queue and the people panel wired to the window, the
"12 / 57 reviewed" status, the operator name and reason list from the settings, the review and
analysis dialogs, and person grouping as a background job. The main window owns one."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from ..app import settings as S
from ..document import commands
from ..document.document import default_operator
from ..jobs.worker import Worker
from ..panels.review_queue import ReviewQueue
from ..panels.tracks_panel import review_text
from . import analysis_dialog, review_dialogs
from .error_dialog import show_error

if TYPE_CHECKING:
    from .main_window import MainWindow


class ReviewShell(QObject):
    def __init__(self, window: "MainWindow"):
        super().__init__(window)
        self.w = w = window
        self.doc = window.doc
        saved = analysis_dialog.load_saved()
        if saved is not None:  # the editor's analysis settings and Find Faces / Plates switches
            w.analysis.settings, w.analysis.classes = saved, saved.classes
        w.review = self.queue = ReviewQueue(self.doc, w.playback, w.tracks_panel.queue_order, window)
        w.tracks_panel.bulkRequested.connect(self._bulk_shown)
        w.tracks_panel.orderChanged.connect(self.sync_lane_order)
        w.people.keepVisibleRequested.connect(self.queue.keep_person_visible)
        w.people.acceptRequested.connect(self._accept_person)
        w.review_status = self.status = QLabel()
        self.status.setObjectName("reviewStatus")
        self.status.setToolTip("Tracks with a review decision (N: next unreviewed; A accept, X reject, V keep visible)")
        for signal in (self.doc.trackChanged, self.doc.trackListChanged, self.doc.projectReset):
            signal.connect(self.update_status)

    # -- wiring -----------------------------------------------------------------------------------
    def _bulk_shown(self, state: str) -> None:
        self.queue.bulk(state, self.w.tracks_panel.visible_track_ids())

    def _accept_person(self, group: int) -> None:
        ids = [t.id for t in self.doc.project.tracks if t.group == group]
        self.queue.bulk("accepted", ids, f"the tracks of person {group}")

    def update_status(self, *_args) -> None:
        project = self.doc.project
        self.status.setText(review_text(project) if project is not None else "")

    def sync_lane_order(self) -> None:
        """The timeline's lanes follow the tracks panel's filter and sort (project order when neither)."""
        panel = self.w.tracks_panel
        sorted_ids, shown = panel.queue_order()
        self.w.timeline.set_order(panel.visible_track_ids() if sorted_ids is not None or shown is not None else None)

    def project_reset(self) -> None:
        analysis_dialog.adopt_project_settings(self.w.analysis, self.doc.project)
        if hasattr(self.w, "menus"):
            self.w.menus.sync_classes()
        self.take_settings_reasons()

    # -- settings ---------------------------------------------------------------------------------
    def apply_settings(self) -> None:
        """Operator name, loop play and the reason list from the settings (again after the dialog)."""
        settings = S.app_settings()
        self.doc.operator = str(settings.value(S.OPERATOR, "") or "").strip() or default_operator()
        self.queue.autoplay = S.read_bool(settings, S.REVIEW_PLAY, True)
        self.take_settings_reasons()

    def take_settings_reasons(self) -> None:
        """The settings' reason list is the project's, plus any code its tracks still use."""
        project = self.doc.project
        if project is None:
            return
        reasons = review_dialogs.merged_reasons(project.reasons, S.read_reasons(S.app_settings()))
        if reasons != project.reasons:
            self.doc.adopt_reasons(reasons)

    # -- dialogs and actions ----------------------------------------------------------------------
    def edit_case(self):
        if self.doc.project is None:
            return None
        dialog = review_dialogs.CaseDialog(self.doc, self.w)
        dialog.open()
        return dialog

    def edit_settings(self):
        dialog = review_dialogs.ReviewSettingsDialog(self.w)
        dialog.accepted.connect(self.apply_settings)
        dialog.open()
        return dialog

    def edit_analysis_settings(self):
        dialog = analysis_dialog.AnalysisSettingsDialog(self.w.analysis, self.doc, self.w)
        dialog.accepted.connect(self.w.menus.sync_classes)
        dialog.open()
        return dialog

    def keep_person_visible(self) -> bool:
        ids = self.doc.selected_ids
        if not ids or self.doc.track(ids[0]).group is None:
            self.w.statusBar().showMessage("Select a track of a person first", 8000)
            return False
        return self.queue.keep_person_visible(self.doc.track(ids[0]).group)

    def regroup_people(self) -> Worker | None:
        """Group the tracks of one person again: new tracks join a person when they match; the
        existing groups (the operator's merges and splits included) stand. Off the UI thread (it
        decodes a few frames per track); one undo step."""
        if self.doc.project is None or not self.doc.project.tracks:
            return None
        from ...core.review import group_people

        snapshot = copy.deepcopy(self.doc.project)
        worker = Worker(lambda progress, cancel: group_people(snapshot, cancel), "Grouping people", self.w)
        worker.succeeded.connect(self._apply_groups)
        worker.failed.connect(lambda message, details: show_error(self.w, message, details, title="Grouping failed"))
        return self.w.run_worker(worker, exclusive=False)

    def _apply_groups(self, groups: dict) -> None:
        if self.doc.project is None:
            return
        change = {i: g for i, g in groups.items() if self.doc.has_track(i) and self.doc.track(i).group != g}
        if change:
            self.doc.undo_stack.push(commands.set_groups(self.doc, change, "Group people"))
        self.w.statusBar().showMessage(f"{len(set(groups.values()))} people in {len(groups)} tracks", 8000)
