"""Detections -> tracklets: multi-object tracking by detection in the style of ByteTrack.

Each track carries a constant-velocity Kalman filter (kalman.py). Every frame with detections:

1. predict every live track to this frame;
2. match the confident detections (score >= high_score) to the confirmed and the lost tracks
   on IoU with the Hungarian method (scipy's linear_sum_assignment);
3. match the weak detections (low_score <= score < high_score) to the confirmed tracks still
   unmatched, with a stricter IoU: a weak box only keeps a known object alive (a face turning
   away, half hidden, blurred), it never starts one (ByteTrack's key idea);
4. match the remaining confident detections to the tentative tracks;
5. start a tentative track from each confident detection still unmatched.

Multi-rate detection (a cheap reduced pass on most frames, the full pass every K-th) calls
`update` with `blind_below`: a track whose predicted box is smaller than that could not have been
found on this frame, so not matching it is no evidence that it is gone: it counts no miss (its
weak detections may still continue it, its size keeps its trend) and the frame is recorded in
`Tracklet.blind_frames` (the review counts such frames as seen, scores stay detections only).
Its age in frames still grows, so a track is still given up after `max_age` frames unseen.

Birth and death have hysteresis. A track is confirmed by `confirm_hits` hits, or at once by one
detection of at least `confirm_score`. A tentative track dies after `tentative_max_age` frames
without a hit, a confirmed one after `max_age`. Dead tentative tracks are still returned (the
analysis keeps them as short tracks marked for review: recall first), but a one-off false positive
does not turn into a long bridged mask.

The tracker only records what it matched (frames, detector boxes, scores); filling gaps,
smoothing and keyframes happen offline in postprocess.py. One Tracker follows one label,
so faces never merge with plates; `LabelTrackers` holds one per label with a shared id counter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from .kalman import BoxMotionModel

IdSource = Callable[[], int]


class IdCounter:
    """Hands out track ids; injected so that several trackers (one per label) never reuse an id."""

    def __init__(self, start: int = 1):
        self._start = start
        self._next = itertools.count(start)

    def __call__(self) -> int:
        return next(self._next)

    def reset(self) -> None:
        self._next = itertools.count(self._start)


@dataclass(frozen=True)
class TrackerSettings:
    """Thresholds of the tracker, with their trade-offs.

    high_score: detections at or above it take part in the first pass and may start tracks. Lower
        finds more faces and more false masks; the analysis sets it to the user's threshold.
    low_score: detections between low_score and high_score can only continue a confirmed track.
        Lower bridges more partial occlusion and motion blur; too low lets a track wander onto
        background clutter.
    match_iou: minimum IoU of a prediction and a confident detection to match. Lower keeps fast or
        erratic objects on one track; higher avoids swapping ids between neighbours.
    low_match_iou: the same for weak detections; stricter, since weak boxes are often noise.
    confirm_hits / confirm_score: a tentative track is confirmed after this many hits, or by one
        detection this strong. Fewer hits bridge more flicker on marginal faces; more hits keep
        flickering false positives short.
    tentative_max_age / max_age: frames without a hit before a tentative / confirmed track dies.
        A longer max_age bridges longer occlusions but may re-attach a track to another object
        that shows up where the lost one was predicted.
    gate_sigmas: before IoU, the predicted and the detected box are both widened by this many
        standard deviations of the predicted centre (buffered IoU). A new track, whose velocity
        is unknown, a lost one, or one predicted across skipped frames then still meets a box
        that moved further than predicted, while an established track keeps a tight gate. 0 gives
        plain IoU; more tolerates faster starts but lets neighbours compete for a detection.
    """

    high_score: float = 0.5
    low_score: float = 0.1
    match_iou: float = 0.2
    low_match_iou: float = 0.5
    confirm_hits: int = 3
    confirm_score: float = 0.7
    tentative_max_age: int = 3
    max_age: int = 30
    gate_sigmas: float = 1.0
    motion: BoxMotionModel = field(default_factory=BoxMotionModel)

    def __post_init__(self):
        if not 0 <= self.low_score <= self.high_score:
            raise ValueError(f"need 0 <= low_score ({self.low_score}) <= high_score ({self.high_score})")
        if self.confirm_hits < 1 or self.max_age < 0 or self.tentative_max_age < 0:
            raise ValueError("confirm_hits must be >= 1 and the max ages >= 0")


@dataclass
class Tracklet:
    """What the tracker matched to one object: detector boxes on the frames it was seen."""

    id: int
    label: str
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)  # (4,) x1y1x2y2 each, as detected
    scores: list[float] = field(default_factory=list)
    confirmed: bool = False
    blind_frames: list[int] = field(default_factory=list)  # detector ran, but too coarse to see it

    @property
    def first_frame(self) -> int:
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    def box_array(self) -> np.ndarray:
        return np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)


@dataclass
class _LiveTrack:
    tracklet: Tracklet
    mean: np.ndarray  # (4, 2)
    cov: np.ndarray  # (4, 2, 2)
    hits: int = 1
    missed: int = 0  # frames since the last hit
    misses: int = 0  # detector runs since the last hit that could have seen it (not blind ones)
    best: float = 0.0  # its highest score so far

    @property
    def confirmed(self) -> bool:
        return self.tracklet.confirmed


def box_iou(a: np.ndarray, b: np.ndarray, buffer: np.ndarray | None = None) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of x1y1x2y2 boxes.

    buffer (len(a), 2): widen row i's box and every column box by buffer[i] (x, y) on each side
    before comparing (buffered IoU, as in C-BIoU), so that a row whose position is uncertain
    still overlaps a box that moved further than expected.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    pad = np.zeros((len(a), 1, 2)) if buffer is None else np.asarray(buffer, dtype=np.float64)[:, None, :]
    a_lo, a_hi = a[:, None, :2] - pad, a[:, None, 2:] + pad
    b_lo, b_hi = b[None, :, :2] - pad, b[None, :, 2:] + pad
    inter = np.prod(np.clip(np.minimum(a_hi, b_hi) - np.maximum(a_lo, b_lo), 0, None), axis=2)
    area_a = np.prod(np.clip(a_hi - a_lo, 0, None), axis=2)
    area_b = np.prod(np.clip(b_hi - b_lo, 0, None), axis=2)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match_by_iou(iou: np.ndarray, min_iou: float) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Optimal one-to-one matching maximising total IoU; pairs below min_iou are not matches."""
    rows, cols = iou.shape
    if rows == 0 or cols == 0:
        return [], list(range(rows)), list(range(cols))
    from scipy.optimize import linear_sum_assignment  # here: scipy takes ~0.4 s to import, which
    # every start paid (the export and the editor import this module) before any tracking

    cost = np.where(iou >= min_iou, 1.0 - iou, 1e6)  # gated pairs priced out, not removed
    r, c = linear_sum_assignment(cost)
    pairs = [(i, j) for i, j in zip(r, c) if iou[i, j] >= min_iou]
    used_r = {i for i, _ in pairs}
    used_c = {j for _, j in pairs}
    return pairs, [i for i in range(rows) if i not in used_r], [j for j in range(cols) if j not in used_c]


class Tracker:
    """ByteTrack-style tracker of one label. Feed frames in increasing order with `update`."""

    def __init__(self, label: str, settings: TrackerSettings | None = None, ids: IdSource | None = None):
        self.label = label
        self.settings = settings or TrackerSettings()
        self._ids = ids if ids is not None else IdCounter()
        self._live: list[_LiveTrack] = []
        self._finished: list[Tracklet] = []
        self._frame: int | None = None

    def reset(self) -> None:
        """Forget every track (the id source is the caller's to reset)."""
        self._live = []
        self._finished = []
        self._frame = None

    @property
    def live_tracklets(self) -> list[Tracklet]:
        return [t.tracklet for t in self._live]

    def update(self, frame: int, boxes: np.ndarray, scores: np.ndarray, blind_below: float = 0.0,
               looked: np.ndarray | None = None, shift: tuple[float, float] | None = None) -> list[Tracklet]:
        """Take the detections of `frame` (boxes (N, 4) x1y1x2y2, scores (N,)).

        Returns the tracklets matched on this frame. Frames may be skipped (detect every k-th
        frame): the motion model predicts across them and ages count in frames. blind_below: the
        detections come from a pass that cannot see objects smaller than this (longer side, px),
        except in the `looked` boxes (N, 4), where the full pass looked closely. shift: how far the
        camera moved the picture since the last update (camera.py); every prediction moves with it.
        """
        s = self.settings
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if self._frame is not None and frame <= self._frame:
            raise ValueError(f"frames must increase: got {frame} after {self._frame}")
        steps = 1 if self._frame is None else frame - self._frame
        self._frame = frame
        self._predict(steps)
        if shift is not None:
            for t in self._live:  # the state is (cx, cy, w, h) x (value, velocity)
                t.mean[:2, 0] += shift

        high = np.flatnonzero(scores >= s.high_score)
        low = np.flatnonzero((scores >= s.low_score) & (scores < s.high_score))
        matched: list[_LiveTrack] = []

        # 1. confident detections <-> confirmed tracks, tracked or lost
        pool = [t for t in self._live if t.confirmed]
        pairs, free_tracks, free_high = self._associate(pool, boxes[high], s.match_iou)
        for ti, di in pairs:
            self._hit(pool[ti], frame, boxes[high[di]], scores[high[di]], matched)
        high = high[free_high]

        # 2. weak detections <-> confirmed tracks seen on the last detector run that could see them
        pool = [pool[i] for i in free_tracks if pool[i].misses == 0]
        pairs, _, _ = self._associate(pool, boxes[low], s.low_match_iou)
        for ti, di in pairs:
            self._hit(pool[ti], frame, boxes[low[di]], scores[low[di]], matched)

        # 3. remaining confident detections <-> tentative tracks
        pool = [t for t in self._live if not t.confirmed]
        pairs, _, free_high = self._associate(pool, boxes[high], s.match_iou)
        for ti, di in pairs:
            self._hit(pool[ti], frame, boxes[high[di]], scores[high[di]], matched)
        high = high[free_high]

        # 4. births
        for di in high:
            self._birth(frame, boxes[di], scores[di], matched)

        matched_ids = {id(t) for t in matched}
        unmatched = [t for t in self._live if id(t) not in matched_ids]
        blind = self._too_small(unmatched, blind_below, looked)
        for t, unseen in zip(unmatched, blind):
            t.missed += steps
            if unseen:
                t.tracklet.blind_frames.append(frame)
            else:
                t.misses += 1
        self._bury()
        return [t.tracklet for t in matched]

    def pop_finished(self) -> list[Tracklet]:
        """Tracklets that died since the last call (they will not change any more)."""
        done, self._finished = self._finished, []
        return done

    def finish(self) -> list[Tracklet]:
        """End every track; returns all tracklets not yet popped (the end of the video)."""
        done = self._finished + [t.tracklet for t in self._live]
        self._live, self._finished = [], []
        return done

    # -- internals ---------------------------------------------------------------------------
    def _predict(self, steps: int) -> None:
        if not self._live:
            return
        mean = np.stack([t.mean for t in self._live])
        cov = np.stack([t.cov for t in self._live])
        for i, t in enumerate(self._live):
            if t.misses > 0:
                # A lost box keeps moving but stops growing or shrinking, so a long occlusion
                # does not leave a prediction that balloons or vanishes (as ByteTrack does).
                mean[i, 2:, 1] = 0.0
        mean, cov = self.settings.motion.predict(mean, cov, steps)
        for i, t in enumerate(self._live):
            t.mean, t.cov = mean[i], cov[i]

    def _too_small(self, tracks: list[_LiveTrack], blind_below: float, looked: np.ndarray | None
                   ) -> list[bool]:
        """Per track: whether its predicted box is below `blind_below` (longer side) and its centre
        in none of the `looked` boxes."""
        if blind_below <= 0 or not tracks:
            return [False] * len(tracks)
        boxes = self.settings.motion.boxes(np.stack([t.mean for t in tracks]))
        longer = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        blind = longer < blind_below
        if looked is not None and len(looked):
            looked = np.asarray(looked, np.float64).reshape(-1, 4)
            centre = (boxes[:, None, :2] + boxes[:, None, 2:]) / 2
            inside = ((centre >= looked[None, :, :2]) & (centre <= looked[None, :, 2:])).all(axis=2).any(axis=1)
            blind &= ~inside
        return list(blind)

    def small_boxes(self, frame: int, below: float) -> np.ndarray:
        """(N, 4) boxes of the live tracks smaller than `below` (longer side), carried on at their
        speed to `frame`: where a reduced pass should look closely."""
        if not self._live or below <= 0:
            return np.zeros((0, 4))
        mean = np.stack([t.mean for t in self._live])
        ahead = self._carried(mean, frame)
        ahead[:, 2:, 0] = np.maximum(ahead[:, 2:, 0], mean[:, 2:, 0])  # never predicted smaller
        now = self.settings.motion.boxes(mean)
        later = self.settings.motion.boxes(ahead)
        longer = np.maximum(now[:, 2] - now[:, 0], now[:, 3] - now[:, 1])
        boxes = np.concatenate([np.minimum(now[:, :2], later[:, :2]), np.maximum(now[:, 2:], later[:, 2:])], axis=1)
        return boxes[longer < below]

    def predicted_boxes(self, frame: int, min_best: float | None = None, shift: tuple[float, float] | None = None
                        ) -> tuple[list[Tracklet], np.ndarray]:
        """The live tracklets (with min_best: the confirmed ones whose best score reached it) and
        their boxes (N, 4) carried on at their speed to `frame` (and moved by the camera's `shift`,
        as update will): where each expects its object before this frame's update."""
        live = [t for t in self._live if min_best is None or (t.confirmed and t.best >= min_best)]
        if not live:
            return [], np.zeros((0, 4))
        return [t.tracklet for t in live], self.settings.motion.boxes(
            self._carried(np.stack([t.mean for t in live]), frame, shift))

    def _carried(self, mean: np.ndarray, frame: int, shift: tuple[float, float] | None = None) -> np.ndarray:
        """States (N, 4, 2) carried on at their speed from the last update to `frame`, and by `shift`."""
        steps = 0 if self._frame is None else max(0, frame - self._frame)
        ahead = mean.copy()
        ahead[:, :, 0] += mean[:, :, 1] * steps
        if shift is not None:
            ahead[:, :2, 0] += shift
        return ahead

    def _associate(self, pool: list[_LiveTrack], det_boxes: np.ndarray, min_iou: float):
        if not pool or len(det_boxes) == 0:
            return [], list(range(len(pool))), list(range(len(det_boxes)))
        mean = np.stack([t.mean for t in pool])
        sigma = np.sqrt(np.stack([t.cov[:2, 0, 0] for t in pool]))  # std of the predicted centre
        iou = box_iou(self.settings.motion.boxes(mean), det_boxes, self.settings.gate_sigmas * sigma)
        return match_by_iou(iou, min_iou)

    def _hit(self, t: _LiveTrack, frame: int, box: np.ndarray, score: float, matched: list) -> None:
        mean, cov = self.settings.motion.update(t.mean[None], t.cov[None], box[None])
        t.mean, t.cov = mean[0], cov[0]
        t.hits += 1
        t.missed = 0
        t.misses = 0
        self._record(t, frame, box, score)
        matched.append(t)

    def _birth(self, frame: int, box: np.ndarray, score: float, matched: list) -> None:
        mean, cov = self.settings.motion.initiate(box[None])
        t = _LiveTrack(Tracklet(self._ids(), self.label), mean[0], cov[0])
        self._record(t, frame, box, score)
        self._live.append(t)
        matched.append(t)

    def _record(self, t: _LiveTrack, frame: int, box: np.ndarray, score: float) -> None:
        s = self.settings
        tl = t.tracklet
        tl.frames.append(frame)
        tl.boxes.append(np.asarray(box, dtype=np.float64).copy())
        tl.scores.append(float(score))
        t.best = max(t.best, float(score))
        if t.hits >= s.confirm_hits or score >= s.confirm_score:
            tl.confirmed = True

    def _bury(self) -> None:
        s = self.settings
        alive = []
        for t in self._live:
            limit = s.max_age if t.confirmed else s.tentative_max_age
            if t.missed <= limit:
                alive.append(t)
            else:
                self._finished.append(t.tracklet)
        self._live = alive


class LabelTrackers:
    """One Tracker per label sharing one id counter: faces never merge with plates.

    Detections of a label without a tracker are ignored (a generic detector may report classes
    that were not asked for).
    """

    def __init__(self, labels: Iterable[str], settings: dict[str, TrackerSettings] | TrackerSettings | None = None,
                 ids: IdSource | None = None):
        self.ids = ids if ids is not None else IdCounter()
        self.trackers: dict[str, Tracker] = {}
        for label in labels:
            st = settings.get(label) if isinstance(settings, dict) else settings
            self.trackers[label] = Tracker(label, st, self.ids)

    def update(self, frame: int, boxes: np.ndarray, scores: np.ndarray, labels: Iterable[str]) -> list[Tracklet]:
        labels = np.asarray(list(labels), dtype=object)
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        out: list[Tracklet] = []
        for label, tracker in self.trackers.items():
            sel = labels == label if len(labels) else np.zeros(0, bool)
            out += tracker.update(frame, boxes[sel], scores[sel])
        return out

    def pop_finished(self) -> list[Tracklet]:
        return [t for tr in self.trackers.values() for t in tr.pop_finished()]

    def finish(self) -> list[Tracklet]:
        return [t for tr in self.trackers.values() for t in tr.finish()]

    def reset(self) -> None:
        for tr in self.trackers.values():
            tr.reset()
        if hasattr(self.ids, "reset"):
            self.ids.reset()
