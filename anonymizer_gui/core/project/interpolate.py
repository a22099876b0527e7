"""A track's shape at any frame, from its keyframes (CVAT's rules, fail-closed).

- Before the first keyframe and after the last one: no shape.
- A keyframe with `outside` hides the track from its frame until the next keyframe.
- Between two visible keyframes of the same kind and point count: linear interpolation; polygons
  first have their vertices aligned (the cyclic order and direction closest to the earlier shape),
  so the same outline keyed from another starting corner stays put instead of folding over itself.
- Where the shapes cannot be matched (kind or vertex count differ): the convex hull of both. It
  holds the union of the two and everything a convex shape passes through moving from one to the
  other (fail closed; the editor shows it as a polygon between the keys).
- Next keyframe `outside`: the earlier shape is held.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_right
from typing import TYPE_CHECKING

import numpy as np

from .model import Keyframe, Shape

if TYPE_CHECKING:
    from .model import MaskStyle, Project, Track


def _lerp_shape(a: Shape, b: Shape, t: float) -> Shape:
    return Shape(a.kind, [va + (vb - va) * t for va, vb in zip(a.points, b.points)])


def shape_between(k0: Keyframe, k1: Keyframe | None, frame: int) -> Shape | None:
    """Shape at `frame` with k0.frame <= frame < k1.frame (k1 None: frame == k0.frame)."""
    if k0.outside:
        return None
    if k1 is None or frame == k0.frame or k1.outside:
        return k0.shape.copy()
    a, b = k0.shape, k1.shape
    if a.kind != b.kind or len(a.points) != len(b.points):
        return hull_of(a, b)
    if a.kind == "polygon":
        b = aligned_polygon(a, b)
    return _lerp_shape(a, b, (frame - k0.frame) / (k1.frame - k0.frame))


def aligned_polygon(a: Shape, b: Shape) -> Shape:
    """`b`'s vertices renumbered (cyclic shift, either direction) to lie closest to `a`'s."""
    pa = np.asarray(a.points, np.float64).reshape(-1, 2)
    pb = np.asarray(b.points, np.float64).reshape(-1, 2)
    n = len(pa)
    best, best_cost = pb, math.inf
    for candidate in (pb, pb[::-1]):
        for shift in range(n):
            rolled = np.roll(candidate, -shift, axis=0)
            cost = float(((rolled - pa) ** 2).sum())
            if cost < best_cost:
                best, best_cost = rolled, cost
    return Shape("polygon", [float(v) for v in best.ravel()])


ELLIPSE_HULL_VERTICES = 48


def covering_outline(shape: Shape, ellipse_vertices: int = ELLIPSE_HULL_VERTICES) -> np.ndarray:
    """The shape as a polygon (N, 2) that covers it: an ellipse's vertices sit just outside it, so the
    polygon's flat sides never cut into the ellipse."""
    if shape.kind == "polygon":
        return np.asarray(shape.points, np.float64).reshape(-1, 2)
    x1, y1, x2, y2 = shape.points
    if shape.kind == "rect":
        return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float64)
    if shape.kind != "ellipse":
        raise ValueError(f"unknown shape kind {shape.kind!r}")
    n = ellipse_vertices
    out = 1.0 / math.cos(math.pi / n)
    rx, ry = (x2 - x1) / 2.0 * out, (y2 - y1) / 2.0 * out
    # centre + radius * (cos, sin), both axes in one numpy call each (every mask of every frame asks)
    return _unit_circle(n) * (rx, ry) + ((x1 + x2) / 2.0, (y1 + y2) / 2.0)


@functools.lru_cache(maxsize=8)
def _unit_circle(n: int) -> np.ndarray:
    """(cos, sin) of n angles round the circle, (n, 2), read-only."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    unit = np.stack([np.cos(t), np.sin(t)], axis=1)
    unit.flags.writeable = False
    return unit


def _outline(shape: Shape) -> np.ndarray:
    if shape.kind == "polygon":
        return np.asarray(shape.points, np.float64).reshape(-1, 2)
    x1, y1, x2, y2 = shape.points
    if shape.kind == "rect":
        return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float64)
    n = ELLIPSE_HULL_VERTICES
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    out = 1.0 / math.cos(math.pi / n)  # vertices just outside, so the flat sides never cut into it
    rx, ry = (x2 - x1) / 2.0 * out, (y2 - y1) / 2.0 * out
    return np.stack([(x1 + x2) / 2.0 + rx * np.cos(t), (y1 + y2) / 2.0 + ry * np.sin(t)], axis=1)


def hull_of(a: Shape, b: Shape) -> Shape:
    """A polygon holding both shapes: their convex hull (their bounding box if that is degenerate)."""
    from scipy.spatial import ConvexHull, QhullError  # here: 0.27 s to import, for a rare case

    pts = np.vstack([covering_outline(a), covering_outline(b)])
    try:
        hull = pts[ConvexHull(pts).vertices]
    except (QhullError, ValueError):
        x1, y1 = pts.min(axis=0)
        x2, y2 = pts.max(axis=0)
        hull = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
    return Shape("polygon", [float(v) for v in hull.ravel()])


def shape_at(track: "Track", frame: int) -> Shape | None:
    kfs = track.keyframes
    if not kfs or frame < kfs[0].frame or frame > kfs[-1].frame:
        return None
    i = bisect_right(kfs, frame, key=lambda k: k.frame) - 1
    k0 = kfs[i]
    if k0.frame == frame or i + 1 >= len(kfs):
        return None if k0.outside else k0.shape.copy()
    return shape_between(k0, kfs[i + 1], frame)


def masks_at(project: "Project", frame: int) -> list[tuple["Track", Shape, "MaskStyle"]]:
    """Every enabled track's shape at `frame`, with its style resolved."""
    out = []
    for track in project.tracks:
        if not track.enabled:
            continue
        shape = shape_at(track, frame)
        if shape is not None:
            out.append((track, shape, project.style_of(track)))
    return out


class MaskSchedule:
    """masks_at(project, i) for i in increasing order, looking only at the tracks that span frame i
    (enabled=False: the switched-off tracks' shapes instead, which the leak check must not flag).

    An hour of crowd footage has thousands of tracks; asking each of them about each of 90,000
    frames costs more than the drawing (the export) or the comparison (the leak check). Tracks are
    entered at their first keyframe and left after their last, and given in the project's order,
    as masks_at gives them. Asking for an earlier frame starts again from the beginning.
    """

    def __init__(self, project: "Project", enabled: bool = True):
        self.project, self.enabled = project, enabled
        spans = [(t.first_frame, t.last_frame, order, t) for order, t in enumerate(project.tracks)
                 if t.enabled == enabled and t.keyframes]
        self._pending = sorted(spans, key=lambda s: s[0])
        self._next = 0  # first pending span not entered yet
        self._active: list = []
        self._last = -1

    def __call__(self, frame: int) -> list[tuple["Track", Shape, "MaskStyle"]]:
        if frame < self._last:
            self.__init__(self.project, self.enabled)
        self._last = frame
        entered = self._next
        while self._next < len(self._pending) and self._pending[self._next][0] <= frame:
            self._active.append(self._pending[self._next])
            self._next += 1
        if self._next != entered:
            self._active.sort(key=lambda s: s[2])
        self._active = [s for s in self._active if s[1] >= frame]
        out = []
        for _, _, _, track in self._active:
            shape = shape_at(track, frame)
            if shape is not None:
                out.append((track, shape, self.project.style_of(track)))
        return out


def masked_ranges(track: "Track") -> list[tuple[int, int]]:
    """Inclusive frame ranges in which the track draws a mask (enabled or not)."""
    ranges: list[tuple[int, int]] = []
    kfs = track.keyframes
    for i, k in enumerate(kfs):
        if k.outside:
            continue
        end = kfs[i + 1].frame - 1 if i + 1 < len(kfs) else k.frame
        if ranges and ranges[-1][1] + 1 >= k.frame:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((k.frame, end))
    return ranges
