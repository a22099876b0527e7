"""The one detector interface: a batch of BGR frames in, one `Detections` per frame out.

`Detections` always has the same array widths, even when empty, so callers never special-case
"nothing found": boxes (N, 4), scores (N,), labels (N,), keypoints (N, K, 2) with K fixed per detector
(5 face landmarks for CenterFace, 4 plate corners for the plate detector, 0 for YOLO).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np

from ..foundation import ModelError
from .manifest import ModelSpec
from .runtime import ProviderChoice


@dataclass(frozen=True, eq=False)
class Detections:
    """Detections in one frame, in that frame's pixels (x1, y1, x2, y2), highest score first."""

    boxes: np.ndarray  # (N, 4) float32
    scores: np.ndarray  # (N,) float32 in [0, 1]
    labels: np.ndarray  # (N,) int64 index into label_names
    label_names: tuple[str, ...]
    keypoints: np.ndarray  # (N, K, 2) float32: landmarks or plate corners

    def __post_init__(self) -> None:
        n = len(self.boxes)
        if self.boxes.shape != (n, 4) or self.scores.shape != (n,) or self.labels.shape != (n,) \
                or self.keypoints.ndim != 3 or self.keypoints.shape[0] != n or self.keypoints.shape[2] != 2:
            raise ValueError(f"inconsistent detection arrays: boxes {self.boxes.shape}, scores {self.scores.shape}, "
                             f"labels {self.labels.shape}, keypoints {self.keypoints.shape}")

    @classmethod
    def create(cls, boxes, scores, labels=None, label_names: Sequence[str] = ("object",),
               keypoints=None, num_keypoints: int = 0) -> "Detections":
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        n = len(boxes)
        scores = np.asarray(scores, dtype=np.float32).reshape(n)
        labels = np.zeros(n, np.int64) if labels is None else np.asarray(labels, dtype=np.int64).reshape(n)
        if keypoints is None:
            keypoints = np.zeros((n, num_keypoints, 2), np.float32)
        keypoints = np.asarray(keypoints, dtype=np.float32)
        if keypoints.ndim == 2:  # (N, 2K) as x, y pairs
            keypoints = keypoints.reshape(keypoints.shape[0], keypoints.shape[1] // 2, 2)
        return cls(boxes, scores, labels, tuple(label_names), keypoints)

    @classmethod
    def empty(cls, label_names: Sequence[str] = ("object",), num_keypoints: int = 0) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64),
                   tuple(label_names), np.zeros((0, num_keypoints, 2), np.float32))

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def num_keypoints(self) -> int:
        return self.keypoints.shape[1]

    @property
    def names(self) -> list[str]:
        """The label name of each detection."""
        return [self.label_names[i] for i in self.labels]

    def select(self, index) -> "Detections":
        """A subset by boolean mask or index array, keeping the widths."""
        index = np.asarray(index)
        if index.dtype != bool:
            index = index.astype(np.int64).reshape(-1)
        return Detections(self.boxes[index], self.scores[index], self.labels[index], self.label_names,
                          self.keypoints[index])

    def of_label(self, name: str) -> "Detections":
        if name not in self.label_names:
            return self.select(np.zeros(len(self), bool))
        return self.select(self.labels == self.label_names.index(name))

    def transformed(self, scale_x: float, scale_y: float, offset_x: float = 0.0, offset_y: float = 0.0
                    ) -> "Detections":
        """Map points p to p * scale + offset (e.g. model input pixels back to frame pixels)."""
        mul = np.array([scale_x, scale_y], np.float32)
        add = np.array([offset_x, offset_y], np.float32)
        boxes = (self.boxes.reshape(-1, 2, 2) * mul + add).reshape(-1, 4)
        return Detections(boxes.astype(np.float32), self.scores, self.labels, self.label_names,
                          (self.keypoints * mul + add).astype(np.float32))

    def clipped(self, width: int, height: int) -> "Detections":
        boxes = self.boxes.copy()
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width)
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height)
        keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return Detections(boxes, self.scores, self.labels, self.label_names, self.keypoints).select(keep)

    def sorted_by_score(self) -> "Detections":
        return self.select(np.argsort(-self.scores, kind="stable"))

    def rescored(self, scores, boxes=None) -> "Detections":
        """The same detections with new scores (and boxes), highest score first again."""
        boxes = self.boxes if boxes is None else np.asarray(boxes, np.float32)
        return Detections(boxes, np.asarray(scores, np.float32), self.labels, self.label_names,
                          self.keypoints).sorted_by_score()

    @staticmethod
    def concatenate(parts: Sequence["Detections"], label_names: Sequence[str] | None = None,
                    num_keypoints: int | None = None) -> "Detections":
        if not parts:
            return Detections.empty(label_names or ("object",), num_keypoints or 0)
        names = parts[0].label_names
        if any(p.label_names != names or p.num_keypoints != parts[0].num_keypoints for p in parts):
            raise ValueError("cannot concatenate detections with different labels or keypoint counts")
        return Detections(np.concatenate([p.boxes for p in parts]), np.concatenate([p.scores for p in parts]),
                          np.concatenate([p.labels for p in parts]), names,
                          np.concatenate([p.keypoints for p in parts]))


class Detector(ABC):
    """A model that finds objects in BGR frames. Subclasses declare what they can do.

    `score_threshold` is the floor: everything at or above it is returned with its score, so a
    tracker can keep low-score detections for its second association pass.
    """

    family: ClassVar[str]
    tasks: ClassVar[tuple[str, ...]]  # what the family is built for, e.g. ("face",)
    num_keypoints: ClassVar[int] = 0
    can_look_closer: ClassVar[bool] = False  # look_closer works (analysis/second_look.py uses it)

    name: str  # manifest entry
    spec: ModelSpec | None = None  # the manifest entry it was made from (its params, hash, licence)
    task: str  # the task of this model (the label analysis gives its tracks)
    label_names: tuple[str, ...]
    score_threshold: float
    provider: ProviderChoice

    @abstractmethod
    def detect(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        """One Detections per frame (uint8 BGR, HxWx3, any size), boxes in that frame's pixels."""

    def detect_raw(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        """Like detect, without a second look that scores candidates down by their colours (the
        output leak check wants what the network sees: its blind spots must not be the analysis's)."""
        return self.detect(frames)

    def look_closer(self, frame: np.ndarray, boxes: np.ndarray, denoise: bool = False) -> np.ndarray:
        """Per box (frame px): the score of a second, close look at it (close_look.py; denoise: for
        night footage). Only for families with `can_look_closer`."""
        raise NotImplementedError(f"{self.family} has no close look")

    def reduced_blind_size(self, width: int, height: int, size: tuple[int, int]) -> float | None:
        """For multi-rate detection: the object size (longer side, frame px) below which a pass on
        the whole frame fitted into `size` is not trusted, or None when the detector has no such
        pass (`detect(frames, reduced=size, full=False)`); it then gets the full pass every time."""
        return None

    def detect_one(self, frame: np.ndarray) -> Detections:
        return self.detect([frame])[0]

    def empty(self) -> Detections:
        return Detections.empty(self.label_names, self.num_keypoints)

    def describe(self) -> str:
        return f"{self.name} ({self.task}, {self.family}) on {self.provider.reason}"


def resolve_settings(where: str, defaults: dict, *layers: dict) -> dict:
    """Defaults overridden by each layer in turn (manifest params, then caller settings).

    A key the family does not know is refused, so a typo in a manifest or a CLI flag is not ignored.
    """
    result = dict(defaults)
    for layer in layers:
        unknown = sorted(set(layer) - set(defaults))
        if unknown:
            raise ModelError(f"{where}: unknown setting {', '.join(unknown)}; known: {', '.join(sorted(defaults))}")
        result.update({k: v for k, v in layer.items() if v is not None})
    return result


def parse_size(where: str, value, multiple: int = 1) -> tuple[int, int]:
    """(width, height) from [w, h] or an int for a square; both positive multiples of `multiple`."""
    if isinstance(value, (int, float)):
        value = (value, value)
    try:
        width, height = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ModelError(f"{where}: input_size must be [width, height], not {value!r}") from None
    if width < multiple or height < multiple or width % multiple or height % multiple:
        raise ModelError(f"{where}: input_size {width}x{height} must be positive multiples of {multiple}")
    return width, height
