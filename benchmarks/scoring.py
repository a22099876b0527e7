"""Scores a redacted clip against its input on the pixels: is every ground-truth box's detail gone,
and how much of the picture away from the ground truth was changed?

"Detail gone" (per ground-truth box and frame). Fine detail is what identifies a face or a plate:
eyes, mouth, characters. We measure it as the high-pass energy of the luma,
    E = mean((Y - GaussianBlur(Y, sigma))^2),  sigma = max(1, min(box w, h) / 12),
over the box's core: the ellipse inscribed in a face box (the face itself, not the corners of the
box, which are hair or background), the box shrunk by 4 % per side for a plate. The box counts as
redacted when E(output) <= DETAIL_GONE_RATIO * E(input). A blur strong enough to hide a face leaves
a few per cent; an unmasked box keeps ~100 % (codec noise moves it by +-20 %); a mask that misses
half the face keeps ~50 %. `accuracy.py --validate` re-measures these three cases on the real clips.
Boxes whose input has almost no detail (E below FLAT_ENERGY: a face so small or so blurred by the
camera that nothing can be read) cannot be scored either way and are counted apart as "flat".
Boxes less than MIN_VISIBLE inside the frame, or narrower than MIN_WIDTH px, are not scored.

This suits blur and solid fills, the default styles; a mosaic's block edges are high-pass energy of
its own and would read as detail.

"Changed outside": pixels away from every ground-truth box (each dilated by OUTSIDE_MARGIN of its
size per side) and from every ignore region, whose luma differs between output and input by more
than CHANGE_LEVELS after a light Gaussian (sigma 1.5) that takes out codec noise, as a share of all
such pixels over the clip. A re-encode of the input with nothing masked stays far below 0.1 %.
The part of it within NEAR_MARGIN (50 %) of a true box is reported apart ("near": mask margins
round real faces and plates, e.g. hair and neck), the rest is "far" (masks where nothing is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from benchmarks.photos import Box
from benchmarks.scenes import GroundTruthBox

DETAIL_GONE_RATIO = 0.2
FLAT_ENERGY = 2.0  # luma levels^2: a box flatter than this holds nothing to redact
MIN_VISIBLE = 0.5
MIN_WIDTH = 8.0
OUTSIDE_MARGIN = 0.10
NEAR_MARGIN = 0.5  # changes this close to a ground-truth box are mask margin, further away false masks
CHANGE_LEVELS = 12.0
NOISE_SIGMA = 1.5
SIZE_BUCKETS = ((0, 32), (32, 64), (64, 128), (128, 10_000))


@dataclass
class BoxScore:
    frame: int
    label: str
    object_id: str
    width: float
    ratio: float  # E(out) / E(in); nan when flat
    flat: bool
    hidden: bool = False  # a partly hidden face (scored on the part in view)

    @property
    def redacted(self) -> bool:
        return (not self.flat) and self.ratio <= DETAIL_GONE_RATIO


@dataclass
class ClipScore:
    boxes: list[BoxScore] = field(default_factory=list)
    outside_changed_px: int = 0
    outside_near_px: int = 0  # the part of outside_changed_px within NEAR_MARGIN of a ground-truth box
    outside_px: int = 0
    frames_in: int = 0
    frames_out: int = 0

    def coverage(self, label: str, lo: float = 0, hi: float = 1e9, hidden_only: bool = False) -> tuple[int, int]:
        """(redacted, scored) box-frames of `label` whose width lies in [lo, hi) (partly hidden ones only)."""
        scored = [b for b in self.boxes if b.label == label and not b.flat and lo <= b.width < hi
                  and (b.hidden or not hidden_only)]
        return sum(b.redacted for b in scored), len(scored)

    def objects(self, label: str) -> int:
        """Distinct ground-truth objects of `label` scored at least once."""
        return len({b.object_id for b in self.boxes if b.label == label})

    def flat(self, label: str) -> int:
        return sum(1 for b in self.boxes if b.label == label and b.flat)

    @property
    def outside_share(self) -> float:
        return self.outside_changed_px / self.outside_px if self.outside_px else 0.0

    @property
    def outside_near_share(self) -> float:
        """Changed outside, but within NEAR_MARGIN of a true box: generous mask margins."""
        return self.outside_near_px / self.outside_px if self.outside_px else 0.0

    def merge(self, other: "ClipScore") -> "ClipScore":
        return ClipScore(self.boxes + other.boxes, self.outside_changed_px + other.outside_changed_px,
                         self.outside_near_px + other.outside_near_px,
                         self.outside_px + other.outside_px, self.frames_in + other.frames_in,
                         self.frames_out + other.frames_out)


def luma(img_bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)


def _core_mask(label: str, w: int, h: int) -> np.ndarray:
    if label == "plate":
        mask = np.zeros((h, w), bool)
        dx, dy = int(round(0.04 * w)), int(round(0.04 * h))
        mask[dy:h - dy, dx:w - dx] = True
        return mask
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = (w - 1) / 2, (h - 1) / 2
    return ((xx - cx) / max(w / 2, 1)) ** 2 + ((yy - cy) / max(h / 2, 1)) ** 2 <= 1.0


def detail_energy(y: np.ndarray, box: Box, label: str) -> float:
    """High-pass energy inside the box's core; the filter sees context round the box, not a hard edge."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    w, h = x2 - x1, y2 - y1
    sigma = max(1.0, min(w, h) / 12.0)
    pad = int(np.ceil(3 * sigma))
    H, W = y.shape
    px1, py1, px2, py2 = max(0, x1 - pad), max(0, y1 - pad), min(W, x2 + pad), min(H, y2 + pad)
    patch = y[py1:py2, px1:px2]
    high = patch - cv2.GaussianBlur(patch, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    inner = high[y1 - py1:y1 - py1 + h, x1 - px1:x1 - px1 + w]
    core = _core_mask(label, inner.shape[1], inner.shape[0])
    return float(np.mean(inner[core] ** 2)) if core.any() else 0.0


def score_box(y_in: np.ndarray, y_out: np.ndarray, gt: GroundTruthBox, frame: int) -> BoxScore | None:
    x1, y1, x2, y2 = gt.box
    if gt.visible < MIN_VISIBLE or (x2 - x1) < MIN_WIDTH or (y2 - y1) < MIN_WIDTH:
        return None
    e_in = detail_energy(y_in, gt.box, gt.label)
    if e_in < FLAT_ENERGY:
        return BoxScore(frame, gt.label, gt.object_id, x2 - x1, float("nan"), True, gt.hidden > 0)
    e_out = detail_energy(y_out, gt.box, gt.label)
    return BoxScore(frame, gt.label, gt.object_id, x2 - x1, e_out / e_in, False, gt.hidden > 0)


def protected_mask(shape: tuple[int, int], boxes: list[GroundTruthBox], ignore: list[Box],
                   margin: float = OUTSIDE_MARGIN) -> np.ndarray:
    """True where a change is allowed: ground truth dilated by `margin` per side, and ignore regions."""
    H, W = shape
    mask = np.zeros((H, W), bool)
    for x1, y1, x2, y2 in [b.box for b in boxes]:
        mx, my = margin * (x2 - x1), margin * (y2 - y1)
        mask[max(0, int(y1 - my)):min(H, int(np.ceil(y2 + my))), max(0, int(x1 - mx)):min(W, int(np.ceil(x2 + mx)))] = True
    for x1, y1, x2, y2 in ignore:
        mask[max(0, int(y1)):min(H, int(np.ceil(y2))), max(0, int(x1)):min(W, int(np.ceil(x2)))] = True
    return mask


def changed_outside(y_in: np.ndarray, y_out: np.ndarray, allowed: np.ndarray,
                    near: np.ndarray) -> tuple[int, int, int]:
    """(changed pixels, of which within `near`, pixels) outside the allowed area."""
    a = cv2.GaussianBlur(y_in, (0, 0), NOISE_SIGMA)
    b = cv2.GaussianBlur(y_out, (0, 0), NOISE_SIGMA)
    changed = (np.abs(a - b) > CHANGE_LEVELS) & ~allowed
    return int(np.count_nonzero(changed)), int(np.count_nonzero(changed & near)), int(np.count_nonzero(~allowed))


def score_frame(score: ClipScore, index: int, img_in: np.ndarray, img_out: np.ndarray,
                truth: list[GroundTruthBox], ignore: list[Box]) -> None:
    y_in, y_out = luma(img_in), luma(img_out)
    for gt in truth:
        s = score_box(y_in, y_out, gt, index)
        if s is not None:
            score.boxes.append(s)
    allowed = protected_mask(y_in.shape, truth, ignore)
    near = protected_mask(y_in.shape, truth, [], NEAR_MARGIN)
    changed, changed_near, total = changed_outside(y_in, y_out, allowed, near)
    score.outside_changed_px += changed
    score.outside_near_px += changed_near
    score.outside_px += total
