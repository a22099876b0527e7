"""Video -> detections -> tracks: the automatic half of a redaction project.

Three things run at once: a decoder thread reads frames into a small bounded queue, a hasher
thread takes the file's SHA-256 for the project, and the calling thread runs the detectors on
batches of frames (onnxruntime and PyAV both release the GIL, so they overlap) and feeds the
trackers. Each tracklet that ends is turned into a keyframed Track at once and handed to
`on_tracks`, so an editor can show tracks while the analysis goes on.

Cancel: `cancel()` is polled at least every 0.1 s and after each batch; the analysis then stops
within about one batch and raises `AnalysisCancelled`, a `Cancelled` whose `.partial` is a
Project with every track found up to the last analysed frame (fail closed: a cancelled analysis
keeps what it had found) and `analysis["cancelled"] = True`.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from ... import __version__
from ..foundation import AnonymizerError, Cancelled
from ..foundation import file_sha256
from ..foundation import CancelFn, ProgressFn, ProgressMeter
from ..media import MediaInfo, iter_frames, probe
from ..project import MediaRef, Project, Track
from ..review import group_people
from ..tracking import CameraMotion, IdCounter, LabelTrackers, LinkSettings, TrackerSettings, Tracklet, TrackletLinker
from ..tracking import DEFAULT_SHAPES, TrackShapeSettings, tracklet_to_track
from .schedule import DetectionSchedule
from .second_look import MODES as CLOSE_LOOK_MODES, SecondLook

if TYPE_CHECKING:
    from ..detect import Detector

STAGE = "analyse"
DEFAULT_THRESHOLD = 0.3  # for a manifest entry that names none
POLL_S = 0.1
GPU_BATCH_SIZE = 16  # frames per detector call when every detector runs on a GPU: fills the device
LINK_EXTRA_S = 0.1  # how much longer than max_lost_s a gap between two fragments may be
FULL_EVERY = 3  # multi-rate detection, chosen on the accuracy benchmark (benchmarks/README.md)
REDUCED_SIZE = 640
OnTracks = Callable[[list[Track]], None]
OnFinal = Callable[[int], None]


@dataclass(frozen=True)
class AnalysisSettings:
    """What to find and how hard to look. Every field is recorded in project.analysis["settings"].

    thresholds: per class, the detector score a detection needs to start a track (the tracker's
        high_score); a class not listed uses its model's default from the manifest. Detections
        down to `low_score_ratio` times the threshold still continue a known track (a model's
        manifest entry may name its own `low_score_ratio`: the plate model's candidates are
        scored down by its look check, and a plate leaving the frame scores low).
    detect_every: run the detectors on every k-th frame only and let the motion model carry the
        tracks in between; k times faster, but a face that appears for less than k frames can be
        missed and turns are followed less closely. 1 (every frame) is the default.
    full_every, reduced_size: multi-rate detection (analysis/schedule.py): the full detector pass
        on every full_every-th detected frame only, and on the others the whole frame fitted into
        reduced_size x reduced_size px, which finds large and fast objects, plus a full-scale close
        look round each small object the tracker follows or the latest full pass found (even below
        the start score). full_every = 1: the full pass on every frame.
    extend_s: seconds of mask added before the first and after the last detection of a track.
    interior_extend_s: the same at an end where a confirmed track's box lies well inside the
        picture (a face found or lost mid-picture was there before and after; benchmarks/README.md).
    max_lost_s: how long a track lost from sight may be bridged if it is found again.
    link_tracks: join fragments of one object across gaps up to max_lost_s + LINK_EXTRA_S, by
        motion and colour (tentative ones too, and ones the tracker's IoU gate lost on fast
        motion), and fold short detections that lie inside another track into it
        (tracking/linking.py). A finished track is handed on that long after its last detection,
        once no later one can continue it.
    smoothing, keyframe_tolerance, motion_growth: see tracking.TrackShapeSettings.
    input_size: the detectors' working size (width, height); None: each model's default.
    group_people: after tracking, group the tracks of one person (appearance + motion; one more
        decode pass over a few frames per track) for the review's person rows.
    models: per class, a manifest model name instead of the class's default model.
    camera_motion: move every track's prediction with the picture's own motion between frames
        (tracking/camera.py): whip pans and shake no longer break tracks.
    close_look: what a close look at weak candidates does (analysis/second_look.py): "verify"
        (confirmed ones are raised, unconfirmed ones cannot start a track), "boost" (raise only),
        "off". For the classes whose detector has a close look (faces).
    """

    classes: tuple[str, ...] = ("face", "plate")
    thresholds: Mapping[str, float] = field(default_factory=dict)
    device: str = "auto"
    detect_every: int = 1
    full_every: int = FULL_EVERY
    reduced_size: int = REDUCED_SIZE
    extend_s: float = 0.3
    interior_extend_s: float = 1.0
    max_lost_s: float = 1.0
    link_tracks: bool = True
    low_score_ratio: float = 0.5
    smoothing: float = 1.0
    keyframe_tolerance: float = 0.04
    motion_growth: float = 0.5
    input_size: tuple[int, int] | None = None
    batch_size: int = 4
    models: Mapping[str, str] = field(default_factory=dict)
    group_people: bool = True  # link tracks of one person into groups (core.review) after tracking
    close_look: str = "verify"
    camera_motion: bool = True

    def __post_init__(self):
        if not self.classes:
            raise AnonymizerError("choose at least one class to detect (e.g. face, plate)")
        if self.detect_every < 1 or self.full_every < 1:
            raise AnonymizerError(f"detect_every and full_every must be 1 or more, not "
                                  f"{self.detect_every} and {self.full_every}")
        if self.reduced_size < 64:
            raise AnonymizerError(f"reduced_size must be 64 px or more, not {self.reduced_size}")
        for label, value in self.thresholds.items():
            if not 0.0 < value <= 1.0:
                raise AnonymizerError(f"the {label} threshold must lie in (0, 1], not {value}")
        if self.close_look not in CLOSE_LOOK_MODES:
            raise AnonymizerError(f"close_look must be one of {', '.join(CLOSE_LOOK_MODES)}, not {self.close_look!r}")
        if self.batch_size < 1 or self.extend_s < 0 or self.max_lost_s < 0:
            raise AnonymizerError("batch_size must be >= 1; extend_s and max_lost_s must not be negative")

    def to_json(self) -> dict:
        d = asdict(self)
        d["classes"] = list(self.classes)
        d["thresholds"] = dict(self.thresholds)
        d["models"] = dict(self.models)
        d["input_size"] = list(self.input_size) if self.input_size else None
        return d

    @property
    def full_stride(self) -> int:
        """Frames from one full detector pass to the next: the longest a small object goes unseen."""
        return self.detect_every * self.full_every

    def tracker_settings(self, threshold: float, fps: float, low_score_ratio: float | None = None) -> TrackerSettings:
        k = self.full_stride
        ratio = self.low_score_ratio if low_score_ratio is None else low_score_ratio
        return TrackerSettings(
            high_score=threshold,
            low_score=threshold * ratio,
            # one detection well above the user's threshold is enough evidence on its own
            confirm_score=min(1.0, max(0.5, threshold + 0.3)),
            tentative_max_age=3 * k,
            max_age=max(2 * k, round(self.max_lost_s * fps)),
        )

    def link_settings(self, fps: float) -> LinkSettings:
        # a little longer than the tracker's own max_age: a finished track is still streamed soon
        # after the tracker gives it up (the editor shows tracks while the analysis runs)
        return LinkSettings(max_gap=max(2 * self.full_stride, round((self.max_lost_s + LINK_EXTRA_S) * fps)))

    def shape_settings(self, fps: float) -> TrackShapeSettings:
        # detect-every-K and multi-rate: a small face may show up to K - 1 frames before its
        # first full pass (and after its last); the extension grows with K (unseen_frames).
        return TrackShapeSettings(extend_frames=round(self.extend_s * fps), smoothing=self.smoothing,
                                  motion_growth=self.motion_growth, keyframe_tolerance=self.keyframe_tolerance,
                                  unseen_frames=self.full_stride - 1,
                                  interior_extend_frames=round(self.interior_extend_s * fps),
                                  shapes=DEFAULT_SHAPES)


class AnalysisCancelled(Cancelled):
    """The user stopped the analysis; `.partial` holds the tracks found so far."""

    def __init__(self, partial: Project):
        super().__init__("analysis cancelled")
        self.partial = partial


def analyze(video: str | Path, classes: Sequence[str] | None = None, settings: AnalysisSettings | None = None,
            progress: ProgressFn | None = None, cancel: CancelFn | None = None,
            on_tracks: OnTracks | None = None, detectors: Mapping[str, "Detector"] | None = None,
            on_final: OnFinal | None = None) -> Project:
    """Analyse `video` (or a still image) and return a Project of automatic tracks.

    classes: labels to find; None takes `settings.classes`. detectors: ready Detector objects by
    label (reuse loaded models, or inject one in tests); the other classes get the manifest's model.
    on_tracks is called, on this thread, with each batch of finished tracks. on_final(F) follows it
    after every batch: every track that masks any frame below F has been handed to on_tracks, so
    frames below F can be rendered now (what `redact`'s pipeline waits for).
    Raises MediaError / ModelError for bad input, AnalysisCancelled (see module text) on cancel.
    """
    settings = settings or AnalysisSettings()
    classes = tuple(dict.fromkeys(classes if classes is not None else settings.classes))
    if not classes:
        raise AnonymizerError("choose at least one class to detect (e.g. face, plate)")
    path = Path(video)
    info = probe(path)
    started = time.monotonic()
    given = {label: det for label, det in (detectors or {}).items() if label in classes}
    missing = [label for label in classes if label not in given]
    active = {**given, **(load_detectors(missing, settings) if missing else {})}
    active = {label: active[label] for label in classes}
    thresholds = {label: threshold_of(label, det, settings) for label, det in active.items()}
    load_s = time.monotonic() - started
    run = _AnalysisRun(path, info, settings, active, thresholds, on_tracks, on_final)
    project = run.execute(progress, cancel, load_s)
    if settings.group_people and len(project.tracks) > 1:
        try:
            groups = group_people(project, cancel)
        except Cancelled:  # grouping is an aid: a cancel here keeps the tracks, ungrouped
            groups = {}
        for t in project.tracks:
            t.group = groups.get(t.id, t.group)
    return project


def load_detectors(classes: Sequence[str], settings: AnalysisSettings | None = None,
                   **options) -> dict[str, "Detector"]:
    """Detectors for `classes` from the manifest (ModelError names the fetch command if missing);
    `options`: more detector settings (e.g. planned_memory=False for the leak check).

    Each returns detections down to low_score_ratio times its class threshold, for the tracker's
    second pass. Load them once and pass them to analyze() to reuse them across videos.
    """
    from ..detect import create_detector, resolve_spec  # loads onnxruntime: only when analysing

    settings = settings or AnalysisSettings()
    out = {}
    for label in classes:
        spec = resolve_spec(settings.models.get(label, label))
        threshold = settings.thresholds.get(label, float(spec.params.get("score_threshold", DEFAULT_THRESHOLD)))
        out[label] = create_detector(spec.name, device=settings.device, input_size=settings.input_size,
                                     batch_size=settings.batch_size,
                                     score_threshold=threshold * low_ratio_of(spec, settings), **options)
    return out


def batch_size_for(settings: AnalysisSettings, detectors: Mapping[str, "Detector"]) -> int:
    """Frames per detector call: the setting, raised to GPU_BATCH_SIZE when every detector runs on a
    GPU (one large batch per call keeps it busy; on the CPU a larger batch gains nothing)."""
    on_gpu = bool(detectors) and all(getattr(det.provider, "device", "cpu") != "cpu" for det in detectors.values())
    if not on_gpu:
        return settings.batch_size
    for det in detectors.values():  # windowed detectors batch their windows as well
        if hasattr(det, "batch_size"):
            det.batch_size = max(det.batch_size, GPU_BATCH_SIZE)
    return max(settings.batch_size, GPU_BATCH_SIZE)


def low_ratio_of(spec, settings: AnalysisSettings) -> float:
    """The share of the threshold down to which a detection still continues a track."""
    params = getattr(spec, "params", None) or {}
    return float(params.get("low_score_ratio", settings.low_score_ratio))


def threshold_of(label: str, detector, settings: AnalysisSettings) -> float:
    """The score a detection of `label` needs to start a track: the setting, else the model's default."""
    if label in settings.thresholds:
        return float(settings.thresholds[label])
    spec = getattr(detector, "spec", None)
    if spec is not None and "score_threshold" in spec.params:
        return float(spec.params["score_threshold"])
    return float(detector.score_threshold)


class _AnalysisRun:
    def __init__(self, path: Path, info: MediaInfo, settings: AnalysisSettings, detectors: dict,
                 thresholds: dict[str, float], on_tracks: OnTracks | None, on_final: OnFinal | None = None):
        self.path, self.info, self.settings = path, info, settings
        self.detectors, self.thresholds, self.on_tracks = detectors, thresholds, on_tracks
        self.on_final = on_final
        fps = info.fps if info.fps and info.fps > 0 else 25.0
        self.schedule = DetectionSchedule(info.frame_count, settings.detect_every, settings.full_every)
        self.reduced = (settings.reduced_size, settings.reduced_size)
        self.candidates: dict[str, np.ndarray] = {}  # per class: small detections of the latest full pass
        # per class: below which size the reduced pass is blind; None: that class gets the full
        # pass on every detected frame (no reduced pass, or none cheaper at this frame size)
        self.blind_below = {label: _blind_size(det, info.width, info.height, self.reduced) if settings.full_every > 1
                            else None for label, det in detectors.items()}
        plain = replace(settings, full_every=1)  # the settings of a class with the full pass only
        per_class = {label: settings if self.blind_below[label] else plain for label in detectors}
        multi_rate = settings if any(self.blind_below.values()) else plain
        self.trackers = LabelTrackers(thresholds, {label: per_class[label].tracker_settings(
                                                       threshold, fps, low_ratio_of(getattr(detectors[label], "spec", None), settings))
                                                   for label, threshold in thresholds.items()}, IdCounter())
        self.shape = multi_rate.shape_settings(fps)
        self.linker = TrackletLinker(multi_rate.link_settings(fps)) if settings.link_tracks else None
        self.second_looks = {label: SecondLook(det, settings.close_look) for label, det in detectors.items()
                             if settings.close_look != "off" and getattr(det, "can_look_closer", False)}
        self.camera = CameraMotion() if settings.camera_motion else None
        self.tracks: list[Track] = []
        self.timings = {"detect_s": 0.0, "look_s": 0.0, "track_s": 0.0, "wait_for_decode_s": 0.0}
        self.batch = batch_size_for(settings, detectors)
        self.frames_done = 0  # frames decoded and analysed (skipped ones included)
        self.frames_detected = 0

    def execute(self, progress: ProgressFn | None, cancel: CancelFn | None, load_s: float) -> Project:
        start = time.monotonic()
        meter = ProgressMeter(STAGE, self.info.frame_count, progress, cancel)
        decoder = _FrameFeeder(self.path, self.info, self.schedule.detects, 2 * self.batch)
        hasher = _FileHasher(self.path)
        try:
            while True:
                batch, skipped, ended = self._next_batch(decoder, meter)
                if batch:
                    self._analyse(batch)
                self.frames_done += len(batch) + skipped
                if self.on_final is not None and not ended:
                    self.on_final(self._final_before())
                meter.advance(len(batch) + skipped, force=ended)
                if ended:
                    break
        except Cancelled:
            decoder.stop()
            hasher.stop()
            raise AnalysisCancelled(self._project(hasher, start, load_s, cancelled=True)) from None
        finally:
            decoder.stop()
        hasher.join()
        return self._project(hasher, start, load_s, cancelled=False)

    def _final_before(self) -> int:
        """Frames below this are final: a live tracklet, or one born on a frame not analysed yet,
        masks at most `lead_frames` before its first detection (see
        tracklet_to_track); finished ones are emitted, or held by the linker (which may still join
        them to a later one), and count as live."""
        first = [tl.first_frame for tracker in self.trackers.trackers.values() for tl in tracker.live_tracklets]
        if self.linker is not None:
            first += self.linker.held_first_frames()
        return max(0, min([self.frames_done, *first]) - self.shape.lead_frames)

    def _next_batch(self, decoder: "_FrameFeeder", meter: ProgressMeter):
        """Up to batch_size frames to detect on, the count of skipped frames, and whether the video ended."""
        batch: list[tuple[int, np.ndarray]] = []
        skipped = 0
        while len(batch) < self.batch:
            waited = time.monotonic()
            item = decoder.get(POLL_S)
            self.timings["wait_for_decode_s"] += time.monotonic() - waited
            if item is None:  # nothing decoded yet: poll the cancel flag while we wait
                meter.check_cancel()
                continue
            kind, index, image = item
            if kind == "end":
                return batch, skipped, True
            if kind == "error":
                raise image
            if image is None:
                skipped += 1
                if skipped >= 4 * self.batch:  # report progress through long skips
                    return batch, skipped, False
            else:
                batch.append((index, image))
        return batch, skipped, False

    def _detect(self, label: str, batch: list[tuple[int, np.ndarray]]) -> list[tuple]:
        """Per frame of the batch: the detections of `label`, the size below which they are blind,
        and the boxes where a reduced pass looked closely (round the small objects it knows of)."""
        detector, blind = self.detectors[label], self.blind_below[label]
        if blind is None:
            return [(d, 0.0, None) for d in detector.detect([img for _, img in batch])]
        full = [self.schedule.full(index) for index, _ in batch]
        out: list = [None] * len(batch)
        rows = [row for row, f in enumerate(full) if f]
        if rows:
            for row, dets in zip(rows, detector.detect([batch[row][1] for row in rows])):
                out[row] = (dets, 0.0, None)
        # every small detection of the latest full pass, down to the score that continues a track:
        # where a small object is (or may be, before it has a track) and the reduced pass is blind
        candidates = self.candidates.get(label, np.zeros((0, 4)))
        tracker = self.trackers.trackers[label]
        floor = (tracker.settings.low_score + tracker.settings.high_score) / 2
        regions: dict[int, np.ndarray] = {}
        for row, is_full in enumerate(full):
            if is_full:
                candidates = _small(out[row][0], blind, floor)
            else:  # round the small objects the tracker follows and the latest full pass's candidates
                regions[row] = np.concatenate([tracker.small_boxes(batch[row][0], blind), candidates])
        self.candidates[label] = candidates
        if regions:
            rows = list(regions)
            found = detector.detect([batch[row][1] for row in rows], reduced=self.reduced, full=False,
                                    regions=[regions[row] for row in rows])
            for row, dets in zip(rows, found):
                out[row] = (dets, blind, regions[row])
        return out

    def _analyse(self, batch: list[tuple[int, np.ndarray]]) -> None:
        per_label = {}
        t0 = time.monotonic()
        for label in self.detectors:
            per_label[label] = self._detect(label, batch)
        t1 = time.monotonic()
        look_s = 0.0
        for row, (index, image) in enumerate(batch):
            shift = self.camera.shift(image) if self.camera is not None else None
            for label, tracker in self.trackers.trackers.items():
                dets, blind, looked = per_label[label][row]
                second = self.second_looks.get(label)
                if second is not None:
                    t = time.monotonic()
                    dets, confirmed = second.check(tracker, index, image, dets, shift)
                    look_s += time.monotonic() - t
                matched = tracker.update(index, dets.boxes, dets.scores, blind, looked, shift)
                if second is not None:
                    second.learn(index, matched, confirmed, tracker.live_tracklets)
                if self.linker is not None:
                    for tracklet in matched:
                        self.linker.observe(tracklet, image)
        finished = self.trackers.pop_finished()
        if self.linker is not None:
            live = [t for tr in self.trackers.trackers.values() for t in tr.live_tracklets]
            finished = self.linker.push(finished, live, batch[-1][0])
        self._emit(finished)
        self.timings["detect_s"] += t1 - t0
        self.timings["look_s"] += look_s
        self.timings["track_s"] += time.monotonic() - t1 - look_s
        self.frames_detected += len(batch)

    def _emit(self, tracklets: list[Tracklet]) -> None:
        size = (self.info.width, self.info.height)
        new = [t for t in (tracklet_to_track(tl, self.info.frame_count, size, self.shape) for tl in tracklets)
               if t is not None]
        if new:
            self.tracks.extend(new)
            if self.on_tracks is not None:
                self.on_tracks(new)

    def _project(self, hasher: "_FileHasher", start: float, load_s: float, cancelled: bool) -> Project:
        t0 = time.monotonic()
        remaining = self.trackers.finish()
        self._emit(self.linker.finish(remaining) if self.linker is not None else remaining)
        self.timings["track_s"] += time.monotonic() - t0
        total = time.monotonic() - start
        info = self.info
        stat = self.path.stat()
        media = MediaRef(path=str(self.path.resolve()), size=stat.st_size, sha256=hasher.digest or "",
                         width=info.width, height=info.height, frame_count=info.frame_count, fps=info.fps,
                         probe=info.to_json())
        analysis = {
            "tool": f"anonymizer-gui {__version__}",
            "classes": list(self.detectors),
            "thresholds": dict(self.thresholds),
            "models": [_model_record(label, det) for label, det in self.detectors.items()],
            "provider": _provider_record(self.detectors),
            "settings": self.settings.to_json(),
            "linking": dict(self.linker.counts) if self.linker is not None else None,
            "frames_analyzed": self.frames_done,
            "frames_detected": self.frames_detected,
            # weak candidates given a close look, per class (analysis/second_look.py)
            "close_looks": {label: look.looks for label, look in self.second_looks.items()},
            # multi-rate detection: per class, the size (px) below which its reduced pass is blind;
            # null: that class had the full pass on every detected frame
            "reduced_pass_blind_below": {label: (round(b, 1) if b else None) for label, b in self.blind_below.items()},
            "cancelled": cancelled,
            "timings": {"load_models_s": round(load_s, 3), "total_s": round(total, 3),
                        "fps": round(self.frames_done / total, 2) if total > 0 else 0.0,
                        **{k: round(v, 3) for k, v in self.timings.items()}},
        }
        tracks = sorted(self.tracks, key=lambda t: (t.first_frame, t.id))
        return Project(media=media, tracks=tracks, analysis=analysis)


def _small(dets, below: float, min_score: float) -> np.ndarray:
    """Boxes of the detections smaller than `below` (longer side) scoring at least min_score."""
    b = np.asarray(dets.boxes, np.float64).reshape(-1, 4)
    keep = (np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) < below) & (np.asarray(dets.scores) >= min_score)
    return b[keep]


def _blind_size(detector, width: int, height: int, reduced: tuple[int, int]) -> float | None:
    blind = detector.reduced_blind_size(width, height, reduced) if hasattr(detector, "reduced_blind_size") else None
    return blind if blind else None


def _model_record(label: str, detector) -> dict:
    record = {"class": label, "name": detector.name, "family": getattr(detector, "family", ""),
              "score_floor": float(detector.score_threshold)}
    spec = getattr(detector, "spec", None)
    if spec is not None:
        record.update(sha256=spec.sha256, package=spec.source, licence=spec.licence)
    return record


def _provider_record(detectors: dict) -> dict:
    choices = {label: det.provider for label, det in detectors.items()}
    first = next(iter(choices.values()))
    return {"device": first.device, "reason": first.reason,
            "per_class": {label: {"device": c.device, "reason": c.reason} for label, c in choices.items()}}


class _FrameFeeder:
    """Decodes on its own thread into a bounded queue; frames not `wanted` are passed as None."""

    def __init__(self, path: Path, info: MediaInfo, wanted: Callable[[int], bool], maxsize: int):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, maxsize))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(path, info, wanted), name="analysis-decode",
                                        daemon=True)
        self._thread.start()

    def _run(self, path: Path, info: MediaInfo, wanted: Callable[[int], bool]) -> None:
        frames = iter_frames(path, info=info)
        try:
            for index, image in frames:
                if self._stop.is_set():
                    return
                self._put(("frame", index, image if wanted(index) else None))
            self._put(("end", None, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the analysing thread, which raises it
            self._put(("error", None, exc))
        finally:
            frames.close()

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=POLL_S)
                return
            except queue.Full:
                continue

    def get(self, timeout: float):
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class _FileHasher:
    """SHA-256 of the media file on its own thread (hashlib releases the GIL on large chunks)."""

    def __init__(self, path: Path):
        self.digest: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(path,), name="analysis-hash", daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self.digest = file_sha256(path, cancel=self._stop.is_set)
        except (OSError, Cancelled):
            self.digest = None  # the decoder reports unreadable files; the hash just stays empty

    def join(self) -> None:
        self._thread.join()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
