"""Video -> redacted video in one run: analysis and export as overlapped stages (`redact`).

    redact(video, output, settings, style=MaskStyle()) -> (Project, ExportResult)

The analysis (decode, detect, track) runs on a thread of its own; the export (decode, render,
encode: export_video's own pipeline) runs on the calling thread at the same time, each stage
behind a bounded queue. A frame is rendered only once it is *final*: every track that can mask
it has been found (analyze's `on_final`). A track masks at most `lead_frames` (TrackShapeSettings) before its first
detection, and its shape between keyframes depends on the whole track (smoothing, keyframe
reduction), so the export waits for tracks that end; it writes exactly the frames that analysis
followed by export writes (tested), and overlaps with the analysis wherever tracks end while the
video goes on. Where a face stays in view to the end, the export waits for the analysis, as
before. The export decodes the file itself: decoded frames are not kept for it, because a long
track would hold them all in memory (1080p: 3 MB a frame); decoding costs ~2-3 % of detection.

`pipelined=False` runs the two steps one after the other (the reference the tests compare with).
A still image always takes that path. Cancel stops both stages within about one batch; nothing
is written (the export's temporary file is removed) and AnalysisCancelled carries the tracks found.
"""

from __future__ import annotations

import heapq
import threading
from pathlib import Path
from typing import Callable, Mapping

from ..export import export_video
from ..foundation import Cancelled, CancelFn, ExportError, ProgressFn, file_sha256
from ..media import probe
from ..project import ExportSettings, MaskStyle, MediaRef, Project, Track, shape_at
from .analyzer import AnalysisSettings, analyze

POLL_S = 0.1


def redact(video: str | Path, output: str | Path, settings: AnalysisSettings | None = None,
           style: MaskStyle | None = None, export: ExportSettings | None = None,
           progress: ProgressFn | None = None, cancel: CancelFn | None = None,
           detectors: Mapping | None = None, report_path: str | Path | None = None,
           pipelined: bool = True, *, remove_audio: bool = False, force: bool = True,
           check: Callable | None = None, on_analysed: Callable[[Project], None] | None = None):
    """Analyse `video` and write it redacted to `output`; returns (project, export result).

    `force` as in export_video. `check(path, info, project)`: run on the written file before it is
    put in place; its result is the report's "verify". `on_analysed(project)`: called once the
    analysis is complete (style and export settings set), before the output is put in place
    (where the caller saves the project: it survives a failed export, as in the serial path).
    """
    settings = settings or AnalysisSettings()
    style = style or MaskStyle()
    export = export or ExportSettings()
    path = Path(video)
    info = probe(path)

    def setup(project: Project) -> Project:
        project.default_style, project.export, project.remove_audio = style, export, remove_audio
        return project

    if not pipelined or info.is_still:
        project = setup(analyze(path, settings=settings, progress=progress, cancel=cancel, detectors=detectors))
        if on_analysed is not None:
            on_analysed(project)
        result = export_video(project, output, export, progress=progress, cancel=cancel, report_path=report_path,
                              force=force, check=None if check is None else (lambda p, i: check(p, i, project)))
        return project, result
    pipeline = _Pipeline(path, info, settings, setup, progress, cancel, detectors, on_analysed)
    return pipeline.run(output, export, report_path, force, check)


class _LiveTracks:
    """Tracks as the analysis finds them, and how far the frames are final; the export waits here."""

    def __init__(self, project: Project, cancel: CancelFn):
        self.project = project
        self._cancel = cancel
        self._cond = threading.Condition()
        # Tracks wait in a heap by (first frame, id) until the export reaches their first frame, then
        # stay in `_active` (in that order: the project's, as analysis + export draws them) until
        # their last. A track is always found before the export asks for its first frame.
        self._pending: list[tuple[int, int, Track]] = []
        self._active: list[Track] = []
        self._final_before = 0
        self._done = False
        self._error: BaseException | None = None

    # -- the analysis thread ------------------------------------------------------------------------
    def add(self, tracks: list[Track]) -> None:
        with self._cond:
            for t in tracks:
                heapq.heappush(self._pending, (t.first_frame, t.id, t))

    def final(self, before: int) -> None:
        with self._cond:
            self._final_before = max(self._final_before, before)
            self._cond.notify_all()

    def complete(self, analysed: Project) -> None:
        """The project the report describes: the analysed one, with the style and settings chosen."""
        with self._cond:
            self.project.tracks = analysed.tracks
            self.project.analysis = analysed.analysis
            self.project.media = analysed.media

    def finish(self, error: BaseException | None = None) -> None:
        with self._cond:
            self._error = error
            self._done = True
            self._final_before = 1 << 62
            self._cond.notify_all()

    # -- the export's decoding thread ---------------------------------------------------------------
    def masks(self, index: int) -> list:
        with self._cond:
            while index >= self._final_before:
                if self._cancel():
                    raise Cancelled()
                self._cond.wait(POLL_S)
            if self._error is not None:
                raise Cancelled() if isinstance(self._error, Cancelled) else self._error
            while self._pending and self._pending[0][0] <= index:
                self._active.append(heapq.heappop(self._pending)[2])
        self._active = [t for t in self._active if t.last_frame >= index]
        style_of = self.project.style_of
        return [(shape, style_of(t)) for t in self._active
                if t.enabled and (shape := shape_at(t, index)) is not None]


class _Pipeline:
    def __init__(self, path: Path, info, settings: AnalysisSettings, setup: Callable[[Project], Project],
                 progress: ProgressFn | None, cancel: CancelFn | None, detectors: Mapping | None,
                 on_analysed: Callable[[Project], None] | None):
        self.path, self.info, self.settings = path, info, settings
        self.progress, self.user_cancel, self.detectors = progress, cancel, detectors
        self.on_analysed = on_analysed
        self._stop = threading.Event()  # the export failed: stop the analysis too
        self._progress_lock = threading.Lock()
        self._analysis_running = True
        sha = file_sha256(path, cancel=self.cancelled)
        media = MediaRef(path=str(path.resolve()), size=path.stat().st_size, sha256=sha, width=info.width,
                         height=info.height, frame_count=info.frame_count, fps=info.fps, probe=info.to_json())
        self.live = _LiveTracks(setup(Project(media=media, tracks=[])), self.cancelled)

    def cancelled(self) -> bool:
        return self._stop.is_set() or (self.user_cancel is not None and bool(self.user_cancel()))

    def run(self, output, export: ExportSettings, report_path, force: bool, check: Callable | None):
        worker = threading.Thread(target=self._analyse, name="redact-analysis", daemon=True)
        worker.start()
        project = self.live.project
        try:
            result = export_video(project, output, export, progress=self._export_progress, cancel=self.cancelled,
                                  report_path=report_path, force=force, masks_source=self.live.masks,
                                  check=None if check is None else (lambda p, i: check(p, i, project)))
        except BaseException:
            self._stop.set()
            worker.join()
            if self.live._error is not None and not isinstance(self.live._error, Cancelled) \
                    and not (self.user_cancel and self.user_cancel()):
                raise self.live._error from None  # the analysis failed first: its error is the cause
            if isinstance(self.live._error, Cancelled) and (self.user_cancel and self.user_cancel()):
                raise self.live._error from None  # AnalysisCancelled, with the tracks found so far
            raise
        worker.join()
        return self.live.project, result

    def _analyse(self) -> None:
        try:
            project = analyze(self.path, settings=self.settings, progress=self._analysis_progress,
                              cancel=self.cancelled, on_tracks=self.live.add, on_final=self.live.final,
                              detectors=self.detectors)
            done = project.analysis.get("frames_analyzed")
            if isinstance(done, int) and done < self.info.frame_count:
                # export_video refuses such a project; here it learns of it only now (fail closed)
                raise ExportError(f"the analysis stopped short after {done} of {self.info.frame_count} frames: "
                                  "faces on the frames it never read would go out unmasked; nothing was written")
            self.live.complete(project)
            if self.on_analysed is not None:
                self.on_analysed(self.live.project)
        except BaseException as exc:  # noqa: BLE001 - handed to the export, which stops and raises
            self.live.finish(exc)
            return
        with self._progress_lock:
            self._analysis_running = False
        self.live.finish()

    # Progress: the analysis's while it runs (it paces the job), then the export's.
    def _analysis_progress(self, p) -> None:
        if self.progress is not None:
            with self._progress_lock:
                self.progress(p)

    def _export_progress(self, p) -> None:
        if self.progress is not None:
            with self._progress_lock:
                if not self._analysis_running:
                    self.progress(p)
