"""A track's shape at any frame, from its keyframes (CVAT's rules, fail-closed).

- Before the first keyframe and after the last one: no shape.
- A keyframe with `outside` hides the track from its frame until the next keyframe.
- Between two visible keyframes of the same kind and point count: linear interpolation;
  otherwise (kind or vertex count differ, or the next keyframe is `outside`): the earlier shape is held.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

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
        return a.copy()
    return _lerp_shape(a, b, (frame - k0.frame) / (k1.frame - k0.frame))


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
