"""verify_export: does the exported file hide what the project says it hides? Compared with the
source frame by frame (see findings.py for what is reported).

Inside: every enabled track's own shape (no margin) on every frame it covers; a leak where the
output's fine detail there still correlates with the source's (render.retained_detail).
Outside: the project's detector classes run on the output at `sensitivity` times the analysis
threshold (more sensitive than the analysis); every box that overlaps no enabled mask and still
carries the source's detail is a possible leak. Detection is the costly half, so it runs on one
frame in `detect_every` (default: DETECTIONS_PER_S a second) and on the frames just outside
every track's masked ranges (where a face most often goes unmasked); a face shown for less than
the stride elsewhere can go unseen. The inside check runs on every frame.
Tracks switched off are reported as visible by decision, never as leaks.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import cv2
import numpy as np

from ..analysis import AnalysisSettings, load_detectors
from ..audio import AudioFinding, check_muted_ranges
from ..detect import resolve_spec
from ..foundation import AnonymizerError, CancelFn, MediaError, ProgressFn, ProgressMeter, file_sha256, prefetched
from ..media import MediaInfo, iter_frames, probe
from ..project import MaskSchedule, MaskStyle, Project, Shape, masked_ranges
from ..render import LEAK_DETAIL, grown_outline, mask_extent, retained_detail, retained_detail_max
from .findings import Box, Finding, RangeBuilder

DETECTIONS_PER_S = 1.0  # outside check: detector runs per second of video (benchmarks/verify_cost.py)
SENSITIVITY = 0.5  # outside check: detector threshold as a share of the analysis threshold
DEFAULT_THRESHOLD = 0.3
BATCH = 4
CHECK_MAX_WINDOW = (1280, 736)  # the check's largest detector window (see verify_detectors)
# outside check, a detection touching masks: the share of its box where the eyes, nose and mouth
# lie (x1, y1, x2, y2), and how much of that must be left uncovered for it to be judged
CENTRE = (0.2, 0.2, 0.8, 0.8)
UNCOVERED_CENTRE = 0.4
HALF_MIN_PX = 12  # inside check: halves of a shape are judged on their own from this size up
PREFETCH_BYTES = 24 << 20  # decoded frames read ahead per file: 8 at 720p, 4 at 1080p (3: -60 MB, as fast), 2 at 4K
EXIT_CLEAN, EXIT_LEAKS = 0, 3
_BARE = MaskStyle(margin=0.0, feather=0.0)


@dataclass
class VerifyResult:
    leaks: list[Finding]
    possible_leaks: list[Finding]
    visible_by_decision: list[Finding]
    frames_checked: int
    frames_detected: int
    detect_every: int
    thresholds: dict[str, float]
    timings: dict = field(default_factory=dict)
    audio_leaks: list[AudioFinding] = field(default_factory=list)  # sound in a muted range, or kept audio

    @property
    def clean(self) -> bool:
        return not self.leaks and not self.possible_leaks and not self.audio_leaks

    @property
    def exit_code(self) -> int:
        return EXIT_CLEAN if self.clean else EXIT_LEAKS

    def verdict(self) -> str:
        """One line for the terminal."""
        decided = f"; {len(self.visible_by_decision)} visible by decision" if self.visible_by_decision else ""
        if self.clean:
            return f"verify: no leak in {self.frames_checked} frames{decided}"
        parts = []
        if self.leaks:
            frames = sum(f.frames for f in self.leaks)
            parts.append(f"{len(self.leaks)} leak{'s' if len(self.leaks) != 1 else ''} ({frames} track-frames)")
        if self.possible_leaks:
            n = len(self.possible_leaks)
            parts.append(f"{n} possible leak{'s' if n != 1 else ''} outside the masks")
        if self.audio_leaks:
            n = len(self.audio_leaks)
            parts.append(f"{n} audio range{'s' if n != 1 else ''} not silent")
        return "verify: LEAKS: " + ", ".join(parts) + decided

    def to_json(self) -> dict:
        return {"verdict": "clean" if self.clean else "leaks", "exit_code": self.exit_code,
                "leak_detail": LEAK_DETAIL, "frames_checked": self.frames_checked,
                "frames_detected": self.frames_detected, "detect_every": self.detect_every,
                "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
                "leaks": [f.to_json() for f in self.leaks],
                "possible_leaks": [f.to_json() for f in self.possible_leaks],
                "visible_by_decision": [f.to_json() for f in self.visible_by_decision],
                "audio_leaks": [f.to_json() for f in self.audio_leaks],
                "timings": self.timings}


def verify_export(project: Project, output: str | Path, *, detectors: Mapping[str, object] | None = None,
                  classes: Sequence[str] | None = None, detect_every: int | None = None,
                  sensitivity: float = SENSITIVITY, device: str = "auto", check_source: bool = True,
                  output_info: MediaInfo | None = None, progress: ProgressFn | None = None,
                  cancel: CancelFn | None = None) -> VerifyResult:
    """Compare `output` with the project's source video; see the module text.

    detectors: ready Detector objects by class (reused from an analysis, or injected in tests);
    None loads the manifest's. classes=() skips the outside check. check_source: refuse a source
    whose SHA-256 differs from the project's (export has checked it already). Raises MediaError
    when the two files cannot be compared (not the same size or frame count).
    """
    started = time.monotonic()
    source = Path(project.media.path)
    src_info = probe(source)
    out_info = output_info or probe(output)
    _check_comparable(project, source, src_info, output, out_info, check_source)
    classes = _classes(project, classes)
    thresholds = _thresholds(project, classes, sensitivity)
    if classes and detectors is None:
        detectors = verify_detectors(project, classes, device, sensitivity)
    detectors = {c: detectors[c] for c in classes} if classes else {}
    fps = src_info.fps if src_info.fps and src_info.fps > 0 else 25.0
    every = detect_every or max(1, round(fps / DETECTIONS_PER_S))
    run = _Run(project, detectors, thresholds, every, src_info.frame_count)
    meter = ProgressMeter("verify", src_info.frame_count, progress, cancel)
    load_s = time.monotonic() - started
    # The two files decode on threads of their own and the detector runs on a third, while this
    # thread compares the masks' insides: the check takes ~60 % of its serial time on 2 cores.
    ahead = max(2, min(8, PREFETCH_BYTES // (3 * src_info.width * src_info.height)))
    sources = prefetched(iter_frames(source, info=src_info), ahead, "verify-source")
    outputs = prefetched(iter_frames(output, info=out_info), ahead, "verify-output")
    try:
        for (i, src), (j, out) in zip(sources, outputs):
            run.frame(i, src, out)
            meter.advance()
        run.finish()
    finally:
        sources.close()
        outputs.close()
        run.close()
    decided = _visible_by_decision(project, src_info.frame_count)
    audio = check_muted_ranges(output, project) if project.audio_ranges or project.remove_audio else []
    return VerifyResult(run.leaks.finish(), run.possible.finish(), decided, run.frames_checked,
                        run.frames_detected, every, thresholds,
                        {"load_s": round(load_s, 3), "detect_s": round(run.detect_s, 3),
                         "total_s": round(time.monotonic() - started, 3)}, audio)


def verify_detectors(project: Project, classes: Sequence[str] | None = None, device: str = "auto",
                     sensitivity: float = SENSITIVITY) -> dict:
    """The detectors verify_export loads for `project` when given none (its classes, at
    `sensitivity` times the analysis thresholds)."""
    classes = _classes(project, classes)
    if not classes:
        return {}
    # A few runs per second of video: onnxruntime's planned block per run is not worth its memory
    # (1080p: the check's peak 1.47 -> 1.09 GB), and the fine pass runs in tiles no larger than
    # the whole-frame pass's (1080p: four 984x564 tiles instead of one 1920x1088 window; 1.00 ->
    # 0.81 GB at the same speed; the analysis tiles 4K the same way).
    return load_detectors(classes, AnalysisSettings(classes=classes, device=device,
                                                    thresholds=_thresholds(project, classes, sensitivity)),
                          planned_memory=False, max_window=CHECK_MAX_WINDOW)


def preload_verify_detectors(project: Project, device: str = "auto") -> Future:
    """verify_detectors on a thread of its own, started now: an export loads them while it
    encodes (a second of importing onnxruntime and creating sessions) and its check takes them
    with .result(), which raises what loading raised (no weights: AnonymizerError)."""
    loader = ThreadPoolExecutor(1, thread_name_prefix="verify-load")
    try:
        return loader.submit(verify_detectors, project, device=device)
    finally:
        loader.shutdown(wait=False)  # the thread ends when the loading does


def _classes(project: Project, classes: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(classes if classes is not None else project.analysis.get("classes") or ("face", "plate"))


def _thresholds(project: Project, classes: Sequence[str], sensitivity: float) -> dict[str, float]:
    return {c: _analysis_threshold(project, c) * sensitivity for c in classes}


def _check_comparable(project: Project, source: Path, src: MediaInfo, output, out: MediaInfo,
                      check_source: bool) -> None:
    name = Path(output).name
    if (src.width, src.height) != (out.width, out.height):
        raise MediaError(f"{name} is {out.width}x{out.height} but the project's video is {src.width}x{src.height}; "
                         "verify compares an export with its own source")
    if src.frame_count != out.frame_count:
        raise MediaError(f"{name} has {out.frame_count} frames but the project's video has {src.frame_count}; "
                         "verify compares an export with its own source")
    if project.media.frame_count and project.media.frame_count != src.frame_count:
        raise MediaError(f"{source.name} has {src.frame_count} frames but the project expects "
                         f"{project.media.frame_count}; it is not the project's video")
    if check_source and project.media.sha256 and file_sha256(source) != project.media.sha256.lower():
        raise MediaError(f"{source.name} is not the video this project was made from (its SHA-256 differs)")


def _analysis_threshold(project: Project, label: str) -> float:
    """The threshold the analysis used for `label`, else the one it would use (the model's default)."""
    value = (project.analysis.get("thresholds") or {}).get(label)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    models = {m.get("class"): m.get("name") for m in project.analysis.get("models") or [] if isinstance(m, dict)}
    try:
        spec = resolve_spec(models.get(label) or label)
    except AnonymizerError:
        return DEFAULT_THRESHOLD
    return float(spec.params.get("score_threshold", DEFAULT_THRESHOLD))


def _visible_by_decision(project: Project, frame_count: int) -> list[Finding]:
    out = []
    for t in project.tracks:
        if t.enabled:
            continue
        for a, b in masked_ranges(t):
            a, b = max(a, 0), min(b, frame_count - 1)
            if a > b:
                continue
            boxes = [k.shape.bbox() for k in t.keyframes if a <= k.frame <= b + 1 and not k.outside]
            box = (min(x[0] for x in boxes), min(x[1] for x in boxes), max(x[2] for x in boxes),
                   max(x[3] for x in boxes)) if boxes else (0.0, 0.0, 0.0, 0.0)
            out.append(Finding("visible_by_decision", a, b, box, t.label, t.id, reason=t.reason, frames=b - a + 1))
    return out


class _Run:
    def __init__(self, project: Project, detectors: dict, thresholds: dict[str, float], every: int, count: int):
        self.project, self.detectors, self.thresholds = project, detectors, thresholds
        self.every, self.last = every, count - 1
        self.leaks = RangeBuilder("leak", gap=1)
        self.possible = RangeBuilder("possible_leak", gap=every, match_iou=True)
        self.boundaries = _track_boundaries(project, count)
        self.pending: list[tuple[int, np.ndarray, tuple, list, list]] = []
        # Only the tracks that span a frame are asked about it: an hour of a crowd has thousands.
        self.masks, self.switched_off = MaskSchedule(project), MaskSchedule(project, enabled=False)
        self.frames_checked = self.frames_detected = 0
        self.detect_s = 0.0
        # One batch is detected on its own thread while the next is gathered; `possible` and the
        # detection counts belong to that thread until finish().
        self._detector_thread = ThreadPoolExecutor(1, thread_name_prefix="verify-detect") if detectors else None
        self._detecting: Future | None = None

    def frame(self, index: int, src: np.ndarray, out: np.ndarray) -> None:
        src_grey = cv2.cvtColor(src, cv2.COLOR_BGR2GRAY)
        out_grey = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
        masks = self.masks(index)
        for track, shape, style in masks:
            found = _inside_leak(src_grey, out_grey, shape, halves=style.kind != "pixelate")
            if found is not None:
                self.leaks.add(index, track.id, found[0], track.label, found[1], track.id)
        self.leaks.close_before(index)
        self.frames_checked += 1
        if self.detectors and (index % self.every == 0 or index == self.last or index in self.boundaries):
            extents = [mask_extent(s, st) for _, s, st in masks]
            off = [s.bbox() for _, s, _ in self.switched_off(index)]
            self.pending.append((index, out, (src_grey, out_grey), extents, off))
            if len(self.pending) >= BATCH:
                self.flush()

    def flush(self) -> None:
        """Hand the pending frames to the detection thread (after the batch before: memory stays
        bounded, and findings are added in frame order)."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        self._wait()
        self._detecting = self._detector_thread.submit(self._detect, batch)

    def finish(self) -> None:
        self.flush()
        self._wait()

    def close(self) -> None:
        if self._detector_thread is not None:
            self._detector_thread.shutdown(wait=True, cancel_futures=True)

    def _wait(self) -> None:
        if self._detecting is not None:
            done, self._detecting = self._detecting, None
            done.result()  # raises what the detection raised

    def _detect(self, pending: list) -> None:
        t0 = time.monotonic()
        images = [out for _, out, _, _, _ in pending]
        per_label = {label: det.detect_raw(images) for label, det in self.detectors.items()}
        self.detect_s += time.monotonic() - t0
        for row, (index, _, (src_grey, out_grey), masks, off) in enumerate(pending):
            for label, dets in per_label.items():
                d = dets[row]
                for box, score in zip(d.boxes, d.scores):
                    box = tuple(float(v) for v in box)
                    if score < self.thresholds[label]:
                        continue
                    covers = [o for o in (*masks, *off) if _overlaps(box, o)]
                    if covers and score < self.thresholds[label] / SENSITIVITY:
                        continue  # weak, and touching a mask: most often the masked face, seen wider
                    c = (_box_detail(src_grey, out_grey, box) if not covers
                         else _uncovered_centre_detail(src_grey, out_grey, box, covers))
                    if c >= LEAK_DETAIL:
                        self.possible.add(index, label, box, label, c, score=float(score))
            self.possible.close_before(index)
            self.frames_detected += 1


def _track_boundaries(project: Project, count: int) -> set[int]:
    """Frames just outside every masked range of every track (where it starts, ends or is
    switched off by an `outside` keyframe): where a face most often goes out unmasked, so the
    outside check looks there whatever its stride."""
    frames = set()
    for t in project.tracks:
        for a, b in masked_ranges(t):
            frames.update(f for f in (a - 1, b + 1) if 0 <= f < count)
    return frames


def _overlaps(box: Box, other: Box) -> bool:
    return min(box[2], other[2]) > max(box[0], other[0]) and min(box[3], other[3]) > max(box[1], other[1])


def _uncovered_centre_detail(src: np.ndarray, out: np.ndarray, box: Box, covers: list[Box]) -> float:
    """Retained detail in the part of a detection's centre (where a face's eyes, nose and mouth lie)
    that no mask and no switched-off track covers; 0 when the masks cover nearly all of it.

    A detection on the output that touches a mask is most often the masked face itself, seen a
    little wider than its mask (a weak one, with the neck below it: such a detection under the
    analysis's own threshold is dropped before this). But a mask on a forehead, or one drawn beside
    the face, leaves the eyes and mouth in view next to it, which the detector then finds at a
    face's score (before, any touch dropped the detection: both went out clean); what the masks
    leave of the centre is judged like an unmasked face."""
    h, w = src.shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    x1, y1 = max(int(round(box[0] + CENTRE[0] * bw)), 0), max(int(round(box[1] + CENTRE[1] * bh)), 0)
    x2, y2 = min(int(round(box[0] + CENTRE[2] * bw)), w), min(int(round(box[1] + CENTRE[3] * bh)), h)
    if x2 - x1 < 3 or y2 - y1 < 3:
        return 0.0
    open_ = np.ones((y2 - y1, x2 - x1), bool)
    for o in covers:  # a pixel touched by a cover counts as covered: the check errs towards quiet here
        ox1, oy1 = max(int(math.floor(o[0])) - x1, 0), max(int(math.floor(o[1])) - y1, 0)
        ox2, oy2 = int(math.ceil(o[2])) - x1, int(math.ceil(o[3])) - y1
        open_[oy1:max(oy2, oy1), ox1:max(ox2, ox1)] = False
    if open_.mean() < UNCOVERED_CENTRE:
        return 0.0
    return retained_detail(src[y1:y2, x1:x2], out[y1:y2, x1:x2], max(bw, bh), open_)


def _inside_leak(src: np.ndarray, out: np.ndarray, shape: Shape, halves: bool = True) -> tuple[Box, float] | None:
    """(box, retained detail) when the shape's own pixels still carry the source's detail.

    With `halves` (blur and solid, which leave next to nothing: under 0.02), each half of the shape
    (left, right, top, bottom) is judged too: a mask drawn a third of its width beside the face
    leaves an eye sharp, which the whole shape's measure dilutes under the line. Pixelation keeps
    block edges that line up with some of the face's (up to 0.2 over a whole face, render.floor),
    more in a half: it is judged whole."""
    outline = grown_outline(shape, _BARE)
    h, w = src.shape[:2]
    x1, y1 = np.floor(outline.min(axis=0)).astype(int)
    x2, y2 = np.ceil(outline.max(axis=0)).astype(int)
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if cx2 - cx1 < 3 or cy2 - cy1 < 3:
        return None
    where = np.zeros((cy2 - cy1, cx2 - cx1), np.uint8)
    cv2.fillPoly(where, [np.round((outline - (cx1, cy1)) * 16).astype(np.int32)], 1, shift=4)
    size = max(x2 - x1, y2 - y1)
    inside = where.astype(bool)
    parts = [inside]
    rh, rw = inside.shape
    if halves and min(rw, rh) >= 2 * HALF_MIN_PX:
        for cut in (np.s_[:, :rw // 2], np.s_[:, rw // 2:], np.s_[:rh // 2, :], np.s_[rh // 2:, :]):
            part = np.zeros_like(inside)
            part[cut] = inside[cut]
            parts.append(part)
    c = retained_detail_max(src[cy1:cy2, cx1:cx2], out[cy1:cy2, cx1:cx2], size, parts)
    if c < LEAK_DETAIL:
        return None
    return (float(cx1), float(cy1), float(cx2), float(cy2)), c


def _box_detail(src: np.ndarray, out: np.ndarray, box: Box) -> float:
    h, w = src.shape[:2]
    x1, y1 = max(int(math.floor(box[0])), 0), max(int(math.floor(box[1])), 0)
    x2, y2 = min(int(math.ceil(box[2])), w), min(int(math.ceil(box[3])), h)
    if x2 - x1 < 3 or y2 - y1 < 3:
        return 0.0
    return retained_detail(src[y1:y2, x1:x2], out[y1:y2, x1:x2], max(x2 - x1, y2 - y1))
