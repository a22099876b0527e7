"""Synthetic detections for tracker tests: objects on known paths, with noise, misses and false positives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from anonymizer_gui.core.tracking.tracker import Tracker, Tracklet

Path = Callable[[int], np.ndarray]  # frame -> true box x1y1x2y2


def linear(x: float, y: float, w: float, h: float, vx: float = 0.0, vy: float = 0.0) -> Path:
    return lambda f: np.array([x + vx * f, y + vy * f, x + vx * f + w, y + vy * f + h], dtype=np.float64)


@dataclass
class SceneObject:
    path: Path
    frames: range
    score: float | Callable[[int], float] = 0.8
    missing: set[int] = field(default_factory=set)  # frames on which the detector misses it

    def score_at(self, f: int) -> float:
        return self.score(f) if callable(self.score) else self.score


def detections(objects: list[SceneObject], frame: int, noise: float = 0.0,
               rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Boxes, scores and the index of the object each box belongs to, for one frame."""
    boxes, scores, owners = [], [], []
    for i, obj in enumerate(objects):
        if frame in obj.frames and frame not in obj.missing:
            box = obj.path(frame)
            if noise:
                size = np.array([box[2] - box[0], box[3] - box[1]] * 2)
                box = box + rng.normal(0.0, noise, 4) * size
            boxes.append(box)
            scores.append(obj.score_at(frame))
            owners.append(i)
    return np.array(boxes, dtype=np.float64).reshape(-1, 4), np.array(scores, dtype=np.float64), owners


def run_tracker(objects: list[SceneObject], frames: range | list[int], tracker: Tracker | None = None,
                noise: float = 0.0, seed: int = 0) -> tuple[list[Tracklet], dict[int, dict[int, int]]]:
    """Feed every frame; returns the tracklets and, per tracklet id, frame -> index of the object matched."""
    rng = np.random.default_rng(seed)
    tracker = tracker or Tracker("face")
    owner_of: dict[int, dict[int, int]] = {}
    for f in frames:
        boxes, scores, owners = detections(objects, f, noise, rng)
        for tl in tracker.update(f, boxes, scores):
            # the tracker stores the detector box it matched: find whose box that was
            i = int(np.argmin(np.abs(boxes - tl.boxes[-1]).sum(axis=1)))
            owner_of.setdefault(tl.id, {})[f] = owners[i]
    return tracker.finish(), owner_of
