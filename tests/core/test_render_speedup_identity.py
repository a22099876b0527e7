"""The renderer's batched geometry computes, value for value, what the one-outline-at-a-time forms
below compute (the forms it replaced): a frame's outlines are stacked and each step is one numpy
call for all of them, with the same float operations on every vertex, so not a pixel changes.
Compared byte for byte: a reordered sum or product may move a vertex by one unit in the last place,
which fillPoly's fixed point then turns into a pixel now and then."""

from __future__ import annotations

import math

import numpy as np
import pytest

from anonymizer_gui.core.project import MaskStyle, Shape, covering_outline
from anonymizer_gui.core.render.masks import (ELLIPSE_VERTICES, MITER_LIMIT, _geometries, _MaskGeometry,
                                              _offset_outlines, offset_outline)
from anonymizer_gui.core.render.region import FILL_PAD, _localised_points, _overlapping_groups, _shrunk


# -- the one-at-a-time forms ----------------------------------------------------------------------
def _ellipse_one(shape: Shape, n: int) -> np.ndarray:
    x1, y1, x2, y2 = shape.points
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    out = 1.0 / math.cos(math.pi / n)
    rx, ry = (x2 - x1) / 2.0 * out, (y2 - y1) / 2.0 * out
    return np.stack([(x1 + x2) / 2.0 + rx * np.cos(t), (y1 + y2) / 2.0 + ry * np.sin(t)], axis=1)


def _geometry_one(shape: Shape, style: MaskStyle):
    pts = covering_outline(shape, ELLIPSE_VERTICES)
    x1, y1 = pts.min(axis=0)
    x2, y2 = pts.max(axis=0)
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    grow = 1.0 + 2.0 * max(0.0, style.margin)
    pts = (pts - (cx, cy)) * grow + (cx, cy)
    size = max(x2 - x1, y2 - y1, 1.0)
    return pts, (cx, cy), size, max(0.0, style.feather) * size


def _offset_one(pts: np.ndarray, distance: float) -> np.ndarray:
    if len(pts) < 3 or distance <= 0:
        return pts
    nxt = np.concatenate((pts[1:], pts[:1]))
    edge = nxt - pts
    ex, ey = edge[:, 0], edge[:, 1]
    length = np.hypot(ex, ey)
    slanted = (np.abs(ex) > 1e-9) & (np.abs(ey) > 1e-9) & (length > 1e-9)
    if not slanted.any():
        return pts
    x, y = pts[:, 0], pts[:, 1]
    orientation = 1.0 if float(np.sum(x * nxt[:, 1] - nxt[:, 0] * y)) >= 0 else -1.0
    normal = np.stack([ey, -ex], axis=1) / np.maximum(length, 1e-12)[:, None] * orientation
    d = np.where(slanted, distance, 0.0)
    n1, d1 = np.concatenate((normal[-1:], normal[:-1])), np.concatenate((d[-1:], d[:-1]))
    n2, d2 = normal, d
    det = n1[:, 0] * n2[:, 1] - n1[:, 1] * n2[:, 0]
    safe = np.where(np.abs(det) > 1e-6, det, 1.0)
    ax = (d1 * n2[:, 1] - d2 * n1[:, 1]) / safe
    ay = (n1[:, 0] * d2 - n2[:, 0] * d1) / safe
    shift = np.stack([ax, ay], axis=1)
    parallel = np.abs(det) <= 1e-6
    if parallel.any():
        shift[parallel] = (n2 * np.maximum(d1, d2)[:, None])[parallel]
    sharp = np.hypot(shift[:, 0], shift[:, 1]) > MITER_LIMIT * distance
    if not sharp.any():
        return pts + shift
    out = []
    for i, p in enumerate(pts):
        if sharp[i]:
            out += [p + n1[i] * d1[i], p + n2[i] * d2[i]]
        else:
            out.append(p + shift[i])
    return np.asarray(out)


def _fixed_one(pts: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """_fill's shrunk outline and fixed-point vertices (None where they leave the region)."""
    pts = _shrunk(pts)
    fixed = np.round((pts + FILL_PAD - 0.5) * 16.0).astype(np.int32)
    if fixed.min() >= FILL_PAD * 16 and (fixed.max(axis=0) < (np.array(shape[::-1]) - 1 + FILL_PAD) * 16).all():
        return pts, fixed - FILL_PAD * 16
    return pts, None


def _groups_pairwise(boxes: list[tuple[int, int, int, int]]) -> list[list[int]]:
    b = np.asarray(boxes, np.int64).reshape(-1, 4)
    empty = (b[:, 2] <= b[:, 0]) | (b[:, 3] <= b[:, 1])
    touch = ((b[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < b[:, None, 2]) &
             (b[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < b[:, None, 3]))
    touch[empty, :] = touch[:, empty] = False
    np.fill_diagonal(touch, False)
    group = list(range(len(boxes)))

    def root(k: int) -> int:
        while group[k] != k:
            k = group[k]
        return k
    for a, c in zip(*np.nonzero(touch)):
        group[root(int(a))] = root(int(c))
    members: dict[int, list[int]] = {}
    for k in range(len(boxes)):
        members.setdefault(root(k), []).append(k)
    return sorted(members.values(), key=lambda m: m[0])


# -- random shapes --------------------------------------------------------------------------------
def _coordinate(rng, v: float) -> float:
    """Fractional mostly; whole and half pixels (where rounding ties live) often."""
    r = rng.random()
    return float(round(v)) if r < 0.25 else round(v * 2) / 2 if r < 0.4 else float(v)


def _random_shape(rng) -> Shape:
    kind = rng.choice(["ellipse", "ellipse", "rect", "polygon"])
    cx, cy = rng.uniform(-200, 1500, 2)
    size = float(np.exp(rng.uniform(np.log(0.5), np.log(600))))
    if kind in ("ellipse", "rect"):
        w, h = size, size * float(np.exp(rng.uniform(-2, 2))) if rng.random() > 0.05 else 0.0
        pts = [_coordinate(rng, v) for v in (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)]
        if rng.random() < 0.05:
            pts = pts[2:] + pts[:2]  # corners the wrong way round
        return Shape(str(kind), pts)
    n = int(rng.choice([3, 4, 5, 8, 13, 40, 96]))
    mode = rng.random()
    if mode < 0.4:  # star-shaped
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = size / 2 * rng.uniform(0.2, 1.0, n)
        xs, ys = cx + r * np.cos(t), cy + r * np.sin(t) * rng.uniform(0.2, 3)
    elif mode < 0.6:  # self-intersecting, spikes (bevelled corners)
        xs, ys = cx + rng.uniform(-size, size, n) / 2, cy + rng.uniform(-size, size, n) / 2
    elif mode < 0.8:  # axis-aligned steps, repeated and collinear vertices
        xs = np.round(cx + rng.choice([-1, 1], n) * size / 2)
        ys = np.round(cy + rng.uniform(-size, size, n) / 2)
        xs[1::2] = xs[0::2][:len(xs[1::2])]
        ys[rng.integers(n)] = ys[0]
    else:  # a sliver
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        xs, ys = cx + size / 2 * np.cos(t), cy + rng.uniform(0, 1) * np.sin(t)
    if rng.random() < 0.5:
        xs, ys = xs[::-1], ys[::-1]
    return Shape("polygon", [_coordinate(rng, float(v)) for pair in zip(xs, ys) for v in pair])


def _random_style(rng) -> MaskStyle:
    return MaskStyle(str(rng.choice(["blur", "pixelate", "solid"])), strength=float(rng.uniform(1, 3)),
                     margin=float(rng.choice([0.0, 0.0, 0.1, 0.37, -0.1])),
                     feather=float(rng.choice([0.04, 0.0, 0.3, 1.5, -0.1])))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


# -- tests ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [48, ELLIPSE_VERTICES])
def test_an_ellipse_outline_from_the_unit_circle_table_matches_the_per_axis_form(n):
    rng = np.random.default_rng(1)
    for _ in range(500):
        shape = _random_shape(rng)
        if shape.kind == "ellipse":
            assert _same(covering_outline(shape, n), _ellipse_one(shape, n))


def test_masks_grown_together_match_one_mask_at_a_time():
    rng = np.random.default_rng(2)
    for _ in range(60):
        shapes = [_random_shape(rng) for _ in range(int(rng.integers(1, 30)))]
        styles = [_random_style(rng) for _ in shapes]
        for g, shape, style in zip(_geometries(shapes, styles), shapes, styles):
            outline, centre, size, feather = _geometry_one(shape, style)
            assert _same(g.outline, outline)
            assert (g.centre, g.size, g.feather) == (centre, size, feather)
            one = _MaskGeometry.of(shape, style)  # the single-shape path (mask_extent, grown_outline)
            assert _same(one.outline, outline)
            assert (one.centre, one.size, one.feather) == (centre, size, feather)


@pytest.mark.parametrize("scale", [(1.0, 1.0), (0.5, 0.5), (1 / 3, 1 / 3)])
def test_outlines_offset_together_match_one_at_a_time(scale):
    rng = np.random.default_rng(3)
    bevelled = 0
    for _ in range(60):
        outlines = [covering_outline(_random_shape(rng), ELLIPSE_VERTICES) for _ in range(int(rng.integers(1, 30)))]
        distance = float(rng.choice([0.5 * (scale[0] + scale[1]) / 2, 0.5, 1.7, 0.0]))
        grown, bounds = _offset_outlines(outlines, scale, distance)
        for pts, g, box in zip(outlines, grown, bounds):
            expected = _offset_one(pts if scale == (1.0, 1.0) else pts * scale, distance)
            assert _same(g, expected)
            assert box == (*expected.min(axis=0).tolist(), *expected.max(axis=0).tolist())
            bevelled += len(g) > len(pts)
        for pts in outlines:
            assert _same(offset_outline(pts, distance), _offset_one(pts, distance))
    assert bevelled  # the bevelled corners were exercised too


def test_outlines_moved_into_their_regions_together_match_one_at_a_time():
    rng = np.random.default_rng(4)
    for _ in range(60):
        outlines = [covering_outline(_random_shape(rng), ELLIPSE_VERTICES) for _ in range(int(rng.integers(1, 30)))]
        origins, shapes, bounds = [], [], []
        for pts in outlines:
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            pad = float(rng.choice([0.0, 1.0, 2.5, 7.0, -3.0]))  # regions that hold the outline, and some that cut it
            x0, y0 = math.floor(lo[0] - pad), math.floor(lo[1] - pad)
            origins.append((x0, y0))
            shapes.append((max(1, math.ceil(hi[1] + pad) - y0), max(1, math.ceil(hi[0] + pad) - x0)))
            # Subtracting a constant rounds monotonically: the moved box is the box of the moved outline.
            box = (lo[0] - x0, lo[1] - y0, hi[0] - x0, hi[1] - y0)
            moved = pts - (x0, y0)
            assert box == (*moved.min(axis=0).tolist(), *moved.max(axis=0).tolist())
            bounds.append(box if rng.random() < 0.7 else None)
        for pts, origin, shape, outline in zip(outlines, origins, shapes,
                                               _localised_points(outlines, shapes, bounds, origins)):
            local = pts - origin
            shrunk, fixed = _fixed_one(local, shape)
            assert _same(outline.pts, local) and _same(outline.shrunk, shrunk)
            assert (outline.fixed is None) == (fixed is None)
            assert fixed is None or _same(outline.fixed, fixed)


def test_overlapping_boxes_swept_left_to_right_group_as_every_pair_compared():
    rng = np.random.default_rng(5)
    for _ in range(500):
        n = int(rng.integers(0, 40))
        x0, y0 = rng.integers(-50, 400, n), rng.integers(-50, 300, n)
        w, h = rng.integers(-5, 120, n), rng.integers(-5, 120, n)  # some empty
        boxes = [(int(a), int(b), int(a + c), int(b + d)) for a, b, c, d in zip(x0, y0, w, h)]
        assert _overlapping_groups(boxes) == _groups_pairwise(boxes)
