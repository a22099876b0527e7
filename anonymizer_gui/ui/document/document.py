"""ProjectDocument: the open Project, its undo stack, and the editor state the views share.

Views observe the document's signals and never mutate the Project themselves: edits go
through commands.py on `undo_stack`, and only those commands call the `_`-prefixed mutators.
"""

from __future__ import annotations

import getpass
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from ...core.project import Project, Track


class ProjectDocument(QObject):
    projectReset = Signal()  # a different project (or none) is open
    trackChanged = Signal(int)  # content of one track changed (keyframes, style, enabled ...)
    trackListChanged = Signal()  # tracks added, removed or reordered
    defaultStyleChanged = Signal()
    frameChanged = Signal(int)  # the playhead moved
    selectionChanged = Signal(list)  # ids of the selected tracks
    pathChanged = Signal(object)  # Path | None of the project file
    projectFieldsChanged = Signal(str)  # a project-level field ("export", "analysis", "audio_ranges") changed
    audioOverviewsChanged = Signal()  # waveforms and speech of the media's audio streams arrived
    audioSelectionChanged = Signal(object)  # index into project.audio_ranges, or None
    marksChanged = Signal()  # the in/out marks moved (view state, like the playhead)
    findingsChanged = Signal()  # the leak check of the last export (core.verify) changed

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.project: Project | None = None
        self.media_info = None  # core.media.MediaInfo of project.media.path
        self.path: Path | None = None
        self._frame = 0
        self._selected: list[int] = []
        self.audio_overviews: list = []  # core.audio.AudioOverview per audio stream (view data, not saved)
        self._audio_selected: int | None = None
        self.mark_in: int | None = None  # frames; an audio range can be made from them
        self.mark_out: int | None = None
        # What the last export's leak check found (VerifyResult.to_json() lists of leaks and possible
        # leaks): view state for the timeline's markers, not part of the project.
        self.findings: list[dict] = []
        # Who reviews, for the record each review command writes (the shell sets it from the settings).
        self.operator = default_operator()
        self.clock = lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")

    # -- whole project ------------------------------------------------------------------------
    def set_project(self, project: Project | None, media_info=None, path: Path | None = None) -> None:
        self.project = project
        self.media_info = media_info
        self.path = Path(path) if path else None
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._frame = 0
        self._selected = []
        self.audio_overviews = []
        self._audio_selected = None
        self.mark_in = self.mark_out = None
        self.findings = []
        self.projectReset.emit()
        self.pathChanged.emit(self.path)
        self.selectionChanged.emit([])
        self.frameChanged.emit(0)

    def set_findings(self, verify: dict | None) -> None:
        """The leak check's findings (the report's "verify" entry), sorted by first frame."""
        verify = verify or {}
        found = [*verify.get("leaks", []), *verify.get("possible_leaks", [])]
        self.findings = sorted(found, key=lambda f: (f["frames"][0], f["frames"][1]))
        self.findingsChanged.emit()

    def set_path(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self.pathChanged.emit(self.path)

    @property
    def frame_count(self) -> int:
        return self.project.media.frame_count if self.project else 0

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    # -- view state ---------------------------------------------------------------------------
    @property
    def frame(self) -> int:
        return self._frame

    def set_frame(self, frame: int) -> None:
        frame = max(0, min(int(frame), max(0, self.frame_count - 1)))
        if frame != self._frame:
            self._frame = frame
            self.frameChanged.emit(frame)

    @property
    def selected_ids(self) -> list[int]:
        return list(self._selected)

    def select(self, ids: list[int]) -> None:
        ids = [i for i in dict.fromkeys(ids) if self.has_track(i)]
        if ids != self._selected:
            self._selected = ids
            self.selectionChanged.emit(list(ids))

    def set_marks(self, mark_in: int | None, mark_out: int | None) -> None:
        if (mark_in, mark_out) != (self.mark_in, self.mark_out):
            self.mark_in, self.mark_out = mark_in, mark_out
            self.marksChanged.emit()

    @property
    def audio_selected(self) -> int | None:
        return self._audio_selected

    def select_audio_range(self, index: int | None) -> None:
        ranges = self.project.audio_ranges if self.project else []
        index = index if index is not None and 0 <= index < len(ranges) else None
        if index != self._audio_selected:
            self._audio_selected = index
            self.audioSelectionChanged.emit(index)

    def set_audio_overviews(self, overviews: list) -> None:
        """What the audio lanes draw (from a background job); not part of the project."""
        self.audio_overviews = list(overviews)
        self.audioOverviewsChanged.emit()

    @property
    def audio_stream_count(self) -> int:
        """Audio streams of the media: probed facts when known, else what the overviews found."""
        info = self.media_info
        return len(info.audio) if info is not None else len(self.audio_overviews)

    # -- queries ------------------------------------------------------------------------------
    def has_track(self, track_id: int) -> bool:
        return self.project is not None and any(t.id == track_id for t in self.project.tracks)

    def track(self, track_id: int) -> Track:
        assert self.project is not None
        return self.project.track(track_id)

    def track_index(self, track_id: int) -> int:
        assert self.project is not None
        for i, t in enumerate(self.project.tracks):
            if t.id == track_id:
                return i
        raise KeyError(track_id)

    # -- mutators: for commands.py only ------------------------------------------------------
    def _replace_track(self, track: Track) -> None:
        self.project.tracks[self.track_index(track.id)] = track
        self.trackChanged.emit(track.id)

    def _insert_track(self, index: int, track: Track) -> None:
        self.project.tracks.insert(min(index, len(self.project.tracks)), track)
        self.trackListChanged.emit()

    def _remove_track(self, track_id: int) -> tuple[int, Track]:
        index = self.track_index(track_id)
        track = self.project.tracks.pop(index)
        if track_id in self._selected:
            self._selected.remove(track_id)
            self.selectionChanged.emit(list(self._selected))
        self.trackListChanged.emit()
        return index, track

    def _set_default_style(self, style) -> None:
        self.project.default_style = style
        self.defaultStyleChanged.emit()

    def adopt_reasons(self, reasons: list) -> None:
        """The editor's reason list becomes the open project's (on open, after the settings change): not an
        edit of the operator's, so no undo step, but the views hear of it like any field change."""
        self._set_field("reasons", reasons)

    def _set_field(self, name: str, value) -> None:
        """Set a project-level field (export settings, analysis facts); for commands only."""
        setattr(self.project, name, value)
        if name == "audio_ranges" and self._audio_selected is not None and self._audio_selected >= len(value):
            self._audio_selected = None
            self.audioSelectionChanged.emit(None)
        self.projectFieldsChanged.emit(name)


def default_operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "operator"
