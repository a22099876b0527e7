"""Analysis in the editor: core.analysis in a Worker, its tracks arriving in the document as it goes.

All tracks of one run form ONE undo step "Analyse": each batch that `on_tracks` delivers is pushed
as a command that merges into the previous one of the same run (QUndoCommand.mergeWith), so the
lanes fill in while the analysis runs and one Ctrl+Z takes the whole analysis back. A cancelled
analysis keeps the tracks it had found (Cancelled.partial).

Fail closed (issue 9): a Ctrl+Z that takes this run's step back while the run goes on would have the
next batch discard that step from the redo stack, losing its detections for good; the next push
carries them again instead. A cancelled "Replace" run gives back the replaced tracks' masks on the
frames it never reached.
"""

from __future__ import annotations

import copy
import itertools
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ...core.detect import with_fetch_hint
from ...core.foundation import ModelError
from ...core.project import Track
from ...core.project import track_edits as trackops
from ..document.commands import AnalysisTracks
from ..document.document import ProjectDocument
from .job_bar import JobBar
from .worker import Worker

# Asked before a new run when the project has automatic tracks: "Replace", "Keep Both" or "Cancel".
AskReplace = Callable[[int], str | None]

DEFAULT_CLASSES = ("face", "plate")
_run_ids = itertools.count(1)


class AnalysisRunner(QObject):
    """Starts, feeds and cancels the analysis of the open video."""

    tracksArrived = Signal(object)  # list[Track] from the worker thread (queued to the UI thread)
    stateChanged = Signal(bool)  # running
    status = Signal(str)  # one line for the status bar
    failed = Signal(str, str)  # message, details

    def __init__(self, doc: ProjectDocument, jobs: JobBar, ask_replace: AskReplace, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.jobs = jobs
        self.ask_replace = ask_replace
        self.worker: Worker | None = None
        self.classes: tuple[str, ...] = DEFAULT_CLASSES
        self.settings = None  # core.analysis.AnalysisSettings; None: its defaults
        self.detectors: dict | None = None  # ready Detector objects by class (reuse, or a test's); None: manifest
        self._run_id = 0
        self._delivered: dict[int, int] = {}  # analysis track id -> document track id, this run
        self._replace: list[Track] = []  # auto tracks of an earlier run that this run replaces
        self._replaced: list[Track] = []  # ... as they were when replaced (their tails return on cancel)
        self._commands: list[AnalysisTracks] = []  # this run's steps on the undo stack
        # Loaded models, kept for the next run: freeing an onnxruntime session holds the GIL for
        # about 100 ms (a visible stall at the end of every analysis), and loading one costs more.
        self._loaded_detectors: dict = {}
        self.tracksArrived.connect(self._add_batch)
        self.doc.projectReset.connect(self.abandon)

    def is_running(self) -> bool:
        return self.worker is not None

    def start(self) -> Worker | None:
        if self.doc.project is None or self.worker is not None:
            return None
        if self.doc.frame_count <= 0:
            return None
        earlier = [t for t in self.doc.project.tracks if t.source == "auto"]
        self._replace = []
        if earlier:
            answer = self.ask_replace(len(earlier))
            if answer in (None, "Cancel"):
                return None
            if answer == "Replace":
                self._replace = earlier
        video, classes, settings, injected = self.doc.project.media.path, self.classes, self.settings, self.detectors
        loaded = self._loaded_detectors
        self._run_id = next(_run_ids)
        self._delivered = {}
        self._replaced, self._commands = [], []
        run_id = self._run_id
        emit = self.tracksArrived.emit

        def job(progress, cancel):
            # Imported here, on the worker thread: core.analysis pulls in scipy and onnxruntime, whose
            # import would block the UI thread for half a second.
            from ...core.analysis import analyze

            try:
                run_settings, detectors = settings, injected
                if detectors is None:
                    run_settings, detectors = load_detectors(classes, settings, loaded)
                return analyze(video, classes, run_settings, progress, cancel,
                               on_tracks=lambda tracks: emit((run_id, list(tracks))), detectors=detectors)
            except ModelError as exc:
                raise ModelError(with_fetch_hint(str(exc))) from None

        worker = Worker(job, "Analysing faces and plates", self)
        worker.succeeded.connect(lambda project, r=run_id: self._finish(r, project))
        worker.cancelled.connect(lambda partial, r=run_id: self._finish(r, partial, cancelled=True))
        worker.failed.connect(self.failed)
        worker.finished.connect(self._on_finished)
        self.worker = worker
        self.jobs.run(worker, exclusive=True)
        self.stateChanged.emit(True)
        return worker

    def cancel(self) -> None:
        """Stop the analysis; the tracks found so far stay."""
        if self.worker is not None:
            self.worker.cancel()

    def abandon(self) -> None:
        """Stop and drop the results: the document they belong to is gone."""
        if self.worker is not None:
            self.worker.cancel()
            self._run_id = -1

    def _on_finished(self) -> None:
        if self.sender() is self.worker or self.sender() is None:
            self.worker = None
            self.stateChanged.emit(False)

    # -- tracks into the document -------------------------------------------------------------
    def _add_batch(self, payload) -> None:
        run_id, tracks = payload
        if run_id != self._run_id or self.doc.project is None:
            return
        fresh = [t for t in tracks if t.id not in self._delivered]
        if not fresh:
            return
        self._push(fresh, run_id)

    def _finish(self, run_id: int, result, cancelled: bool = False) -> None:
        if run_id != self._run_id or self.doc.project is None:
            return
        tracks, analysis = _tracks_of(result)
        fresh = [t for t in tracks if t.id not in self._delivered]
        tails = self._unreached_tails(analysis) if cancelled else []
        if fresh or analysis is not None or self._replace or tails:
            self._push(fresh, run_id, analysis, tails)
        self._apply_groups(tracks, run_id)
        found = len(self._delivered)
        word = "stopped" if cancelled else "done"
        self.status.emit(f"Analysis {word}: {found} track{'s' if found != 1 else ''}"
                         + (" kept" if cancelled else " found"))

    def _apply_groups(self, tracks: list[Track], run_id: int) -> None:
        """The person groups found at the end of the run, onto the tracks it delivered (same undo step).
        Group ids are moved above the document's other groups, so an earlier run's people stay apart."""
        if not any(t.group is not None for t in tracks):
            return
        mine = set(self._delivered.values())
        base = max((t.group for t in self.doc.project.tracks if t.id not in mine and t.group is not None), default=0)
        old, new = [], []
        for t in tracks:
            doc_id = self._delivered.get(t.id)
            if t.group is None or doc_id is None or not self.doc.has_track(doc_id):
                continue
            current = self.doc.track(doc_id)
            if current.group != t.group + base:
                old.append(current)
                updated = copy.deepcopy(current)
                updated.group = t.group + base
                new.append(updated)
        if new:
            self.doc.undo_stack.push(AnalysisTracks(self.doc, new, run_id, None, old))

    def _push(self, fresh: list[Track], run_id: int, analysis: dict | None = None,
              tails: list[Track] | None = None) -> None:
        stack = self.doc.undo_stack
        back, replace_again = self._taken_back(stack)
        replace = [t for t in [*self._replace, *replace_again] if self.doc.has_track(t.id)]
        replace = [self.doc.track(t.id) for t in replace]
        if self._replace:
            self._replaced = [copy.deepcopy(t) for t in replace]
        self._replace = []
        new = self._free_ids(back) + self._renumber(fresh) + self._free_ids(tails or [])
        stack.push(AnalysisTracks(self.doc, new, run_id, analysis, replace))
        top = stack.command(stack.index() - 1) if stack.index() > 0 else None
        if isinstance(top, AnalysisTracks) and top.run_id == run_id and all(top is not c for c in self._commands):
            self._commands.append(top)

    def _taken_back(self, stack) -> tuple[list[Track], list[Track]]:
        """Tracks of this run's steps that Ctrl+Z took back (the coming push would discard those
        steps for good), and the earlier tracks such a step had replaced (restored by the undo)."""
        applied = [stack.command(i) for i in range(stack.index())]
        undone = [c for c in self._commands if all(c is not a for a in applied)]
        self._commands = [c for c in self._commands if any(c is a for a in applied)]
        back = [t for c in undone for t in c.new
                if not (self.doc.has_track(t.id) and self.doc.track(t.id) is t)]
        return [copy.deepcopy(t) for t in back], [t for c in undone for t in c.old]

    def _free_ids(self, tracks: list[Track]) -> list[Track]:
        """The tracks with their own ids where those are free in the document, else new ones."""
        taken = {t.id for t in self.doc.project.tracks}
        next_id = max([self.doc.project.next_track_id(), *[v + 1 for v in self._delivered.values()]])
        out = []
        for t in tracks:
            if t.id in taken:
                t = copy.deepcopy(t)
                t.id, next_id = next_id, next_id + 1
            taken.add(t.id)
            out.append(t)
        return out

    def _unreached_tails(self, analysis: dict | None) -> list[Track]:
        """On cancel: the replaced tracks from the first frame the analysis never read (fail closed)."""
        done = (analysis or {}).get("frames_analyzed")
        if not self._replaced or not isinstance(done, int):
            return []
        tails = []
        for t in self._replaced:
            if t.last_frame < done:
                continue
            tails.append(copy.deepcopy(t) if t.first_frame >= done else trackops.split(t, done, t.id)[1])
        self._replaced = []
        return tails

    def _renumber(self, tracks: list[Track]) -> list[Track]:
        """Give the analysis' tracks ids that are free in the document (it may hold manual tracks)."""
        next_id = max([self.doc.project.next_track_id(), *[v + 1 for v in self._delivered.values()]])
        out = []
        for t in tracks:
            copy_ = copy.deepcopy(t)
            self._delivered[t.id] = next_id
            copy_.id = next_id
            next_id += 1
            out.append(copy_)
        return out


def load_detectors(classes, settings, cache: dict):
    """core.analysis.load_detectors, kept in `cache` across runs: freeing a model holds the GIL
    long enough to stall the UI, and loading one again costs seconds."""
    from ...core.analysis import AnalysisSettings
    from ...core.analysis import load_detectors as load

    settings = settings or AnalysisSettings()
    detectors = {}
    for label in classes:
        key = (label, settings.models.get(label, label), settings.thresholds.get(label), settings.device,
               settings.input_size, settings.batch_size, settings.low_score_ratio)
        if key not in cache:
            cache[key] = load([label], settings)[label]
        detectors[label] = cache[key]
    return settings, detectors


def _tracks_of(result) -> tuple[list[Track], dict | None]:
    """Tracks and analysis facts from analyze()'s Project, a Cancelled.partial, or a list of tracks."""
    if result is None:
        return [], None
    if isinstance(result, (list, tuple)):
        return list(result), None
    return list(getattr(result, "tracks", [])), getattr(result, "analysis", None)

