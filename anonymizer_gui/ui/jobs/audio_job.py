"""Waveforms and speech for the audio lanes: one background decode per file, cached on disk.

A light job on the one Worker, started whenever another file is opened; its result lands in the
document only if that file is still the one open, so a file closed meanwhile is never drawn. It
is not shown in the job bar: it takes seconds for an hour of audio, needs no decision from the
operator, and the lanes say "reading the audio" until it is done.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ...core.audio import load_overviews
from ..document.document import ProjectDocument
from .worker import Worker


def make_audio_overview_worker(doc: ProjectDocument, parent=None) -> Worker | None:
    """A Worker (not started) that fills doc.audio_overviews, or None when there is no audio."""
    project, info = doc.project, doc.media_info
    if project is None or info is None or not info.audio or info.is_still:
        return None
    path, origin, duration, sha = project.media.path, info.start_time, info.duration, project.media.sha256

    def job(progress, cancel):
        return load_overviews(path, origin, duration, sha, progress, cancel)

    worker = Worker(job, "Reading audio", parent)

    def apply(overviews) -> None:
        if doc.project is project:
            doc.set_audio_overviews(overviews)

    worker.succeeded.connect(apply)
    return worker


class AudioOverviewRunner(QObject):
    """Starts the overview job on every projectReset; cancels the previous file's job."""

    failed = Signal(str)

    def __init__(self, doc: ProjectDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.worker: Worker | None = None
        doc.projectReset.connect(self.start)

    def start(self) -> Worker | None:
        self.cancel()
        self.worker = make_audio_overview_worker(self.doc, self)
        if self.worker is not None:
            # A file whose audio cannot be read still opens; the lanes just stay empty.
            self.worker.failed.connect(lambda message, _details: self.failed.emit(message))
            self.worker.start()
        return self.worker

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def wait(self, timeout_s: float = 10.0) -> bool:
        return self.worker is None or self.worker.wait(timeout_s)
