"""Box paths -> the fewest keyframes whose linear interpolation still contains every box.

Shared by automatic tracks (postprocess) and followed manual masks (follow), so both fail closed the
same way: an interpolated box never sits inside the box it stands for by more than the tolerance.
"""

from __future__ import annotations

import numpy as np


def share_of_size(boxes: np.ndarray, share: float, min_px: float = 0.0) -> np.ndarray:
    """Per frame and coordinate (T, 4): `share` of the box width for x, of the height for y."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    tol = np.stack([w, h, w, h], axis=1) * share
    return np.maximum(tol, min_px)


def widen(boxes: np.ndarray, by: np.ndarray) -> np.ndarray:
    return boxes + np.concatenate([-by[..., :2], by[..., 2:]], axis=-1)


def outward_excess(interpolated: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """How far each side of `interpolated` lies outside `boxes` (negative: inside)."""
    d = interpolated - boxes
    d[..., :2] *= -1
    return d


def reduce_to_keyframes(boxes: np.ndarray, tolerance: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Indices of keyframes and their (widened) boxes for the path `boxes` (T, 4).

    Linear interpolation of the returned keyframe boxes contains `boxes[t]` on every row and
    exceeds it by at most `tolerance[t]` per coordinate. Greedy with galloping search: from each
    keyframe, double the segment while it is valid, then bisect; every accepted segment is
    checked in full, so the guarantee holds even where validity is not monotonic.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    count = len(boxes)
    key_boxes = widen(boxes, tolerance / 2)
    slack = 1e-6 + np.abs(boxes).max(initial=0) * 1e-9

    def valid(a: int, b: int) -> bool:
        t = np.linspace(0.0, 1.0, b - a + 1)[:, None]
        interp = key_boxes[a] * (1 - t) + key_boxes[b] * t
        excess = outward_excess(interp, boxes[a:b + 1])
        return bool(np.all(excess >= -slack) and np.all(excess <= tolerance[a:b + 1] + slack))

    keys = [0]
    a = 0
    while a < count - 1:
        good, step = a + 1, 1
        while True:  # gallop: good is valid, probe further
            probe = min(a + 2 * step, count - 1)
            if probe <= good or not valid(a, probe):
                bad = probe if probe > good else None
                break
            good, step = probe, step * 2
        if bad is not None:
            while bad - good > 1:
                mid = (good + bad) // 2
                if valid(a, mid):
                    good = mid
                else:
                    bad = mid
        keys.append(good)
        a = good
    return keys, key_boxes[keys]
