"""The pixel work of one mask on planes sampled alike: coverage, effect and blend, in its region only.

The region is the grown outline's bounding box plus the feather, clipped to the plane; nothing
outside it is read or written. Three steps:

- coverage: uint8 opacity, 255 on every pixel the grown outline covers, a smoothstep ramp over
  the feather outside it. The ramp is smooth, so it is computed on a grid RAMP_SAMPLES-times
  coarser than the feather and resized; the full-resolution inside mask is laid over it, so the
  grown shape itself is always exactly opaque. A plane subsampled from the full-size ones (4:2:0
  chroma) takes that coverage at its most opaque over each of its pixels: never less covered,
  and no second rasterisation.
- effect: solid fill, or block means over square cells anchored at the shape's centre, shown as
  flat blocks (pixelate, from an integral image) or, for blur, taken on whole-pixel cells by an
  area resize, spread by a Gaussian on a grid of SPREAD_SAMPLES per cell and resized back: the
  cost follows the region's area, not the blur's radius. Only the block means reach the output.
  Overlapping blur masks in a row are drawn once as their union (render_regions).
- blend: roi += (effect - roi) * alpha / 255 in OpenCV's saturating integer arithmetic, exact at
  both ends (alpha 0 leaves a pixel bit-identical), written through the view into the frame.

Speed: all OpenCV on uint8/int16, no BLAS (its thread pool stalls on thin matrices while the
encoder keeps every core busy), and region-sized scratch buffers kept per thread: a fresh
multi-hundred-kilobyte array per step costs page faults that add up to more than the arithmetic.
The vertex work of a frame's masks (outlines into regions, fixed point) is done for all of them at
once (_localised_points): numpy's cost per call, not the arithmetic, is what a mask's outline costs.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import cv2
import numpy as np

OPAQUE = 255
BLUR_SPREAD = 0.8  # Gaussian sigma, in cells, that turns blur's blocks into smooth blobs
SPREAD_SAMPLES = 4.0  # intermediate samples per cell for the blur's Gaussian; smooth enough to resize linearly
RAMP_SAMPLES = 6.0  # feather width in samples of the coarse grid its ramp is computed on
EDGE_SLACK = 1.0 / 20.0  # px: a pixel touched by less than this much of the shape stays clear


@dataclass(frozen=True)
class RegionGeometry:
    """One mask in the pixels of one plane."""

    outline: np.ndarray  # (N, 2) grown outline; pixel i spans [i, i + 1)
    feather: float  # soft edge width
    reach: float  # opaque band between the outline and the soft edge (see opaque_reach)
    anchor: tuple[float, float]  # a cell corner: the shape's centre
    cell: tuple[float, float]  # cell width and height
    bounds: tuple[float, float, float, float]  # the outline's box (x0, y0, x1, y1)


Subsampled = tuple[np.ndarray, int, int]  # a plane sampled every (fx, fy) pixels of the full-size ones


def render_regions(planes: list[np.ndarray], items: list[tuple[RegionGeometry, str, list]], max_value: int,
                   sub: Sequence[Subsampled] = ()) -> None:
    """Draw masks (geometry, style kind, fills) in order into planes of equal size, in place.

    `sub`: planes subsampled by whole factors from these (4:2:0 chroma), drawn with the same
    masks: their coverage is the full-size coverage taken at its most opaque over each of their
    pixels (a chroma pixel is opaque when any of the pixels it spans is), so it costs a max-pool
    instead of a second rasterisation and ramp per mask, and never covers less. `fills` then
    hold one value per plane of `planes` followed by one per plane of `sub`.

    Blur masks that follow one another and overlap are drawn once, as their union: one coverage
    (the most opaque of theirs at each pixel), one blur with the coarsest of their cells (never
    weaker than any of them alone), one blend. Overlapping faces in a crowd are then neither
    blurred twice nor blended twice; every other mask is drawn on its own, later ones on top.
    """
    h, w = planes[0].shape[:2]
    geoms = [g for g, _, _ in items]
    boxes = [_region_box(g, w, h) for g in geoms]
    outlines = _localised(geoms, boxes)
    i = 0
    while i < len(items):
        if items[i][1] != "blur":
            render_region(planes, *items[i], max_value, boxes[i], outlines[i], sub)
            i += 1
            continue
        j = i
        while j < len(items) and items[j][1] == "blur":
            j += 1
        for group in _overlapping_groups(boxes[i:j]):
            run = [i + k for k in group]
            if len(run) == 1:
                render_region(planes, geoms[run[0]], "blur", [None] * (len(planes) + len(sub)), max_value,
                              boxes[run[0]], outlines[run[0]], sub)
            else:
                _render_blur_union(planes, [geoms[k] for k in run], [boxes[k] for k in run], sub,
                                   [outlines[k] for k in run])
        i = j


def render_region(planes: list[np.ndarray], g: RegionGeometry, kind: str, fills: list, max_value: int,
                  box: tuple[int, int, int, int], outline: _RegionOutline | None,
                  sub: Sequence[Subsampled] = ()) -> None:
    """Draw one mask (style `kind`) into planes of equal size, and `sub`, in place (`box`: its
    _region_box, `outline`: its _localised outline, None where the box is empty)."""
    x0, y0, x1, y1 = box
    if outline is None:
        return  # entirely outside the picture
    alpha = _coverage(outline, (y1 - y0, x1 - x0), g.feather, g.reach)
    if alpha is None:
        return
    grid = None if kind != "pixelate" else _BlockGrid((x0, y0), (x1 - x0, y1 - y0), g.anchor, g.cell)
    for plane, fill in zip(planes, fills):
        _draw(plane, (x0, y0, x1, y1), alpha, kind, fill, g.anchor, g.cell, max_value, grid)
    for (plane, fx, fy, sub_box, sub_alpha), fill in zip(_sub_coverages(sub, alpha, (x0, y0, x1, y1)),
                                                         fills[len(planes):]):
        if sub_alpha.size == 0:
            continue
        anchor, cell = (g.anchor[0] / fx, g.anchor[1] / fy), (g.cell[0] / fx, g.cell[1] / fy)
        _draw(plane, sub_box, sub_alpha, kind, fill, anchor, cell, max_value)


def _sub_coverages(sub: Sequence[Subsampled], alpha: np.ndarray, box: tuple[int, int, int, int]):
    """(plane, fx, fy, box, coverage) of each subsampled plane (_pooled); planes sampled alike
    (U and V) share one max-pool: nothing writes to a coverage."""
    key = pooled = None
    for plane, fx, fy in sub:
        if key != (fx, fy, plane.shape[:2]):
            key, pooled = (fx, fy, plane.shape[:2]), _pooled(alpha, box, fx, fy, plane)
        yield plane, fx, fy, *pooled


def _draw(plane: np.ndarray, box: tuple[int, int, int, int], alpha: np.ndarray, kind: str, fill,
          anchor: tuple[float, float], cell: tuple[float, float], max_value: int, grid=None) -> None:
    """One mask's effect blended into plane[box] through `alpha` (box-sized)."""
    x0, y0, x1, y1 = box
    roi = plane[y0:y1, x0:x1]
    if kind == "blur":
        effect = _blur(plane, box, anchor, cell)
    elif kind == "pixelate":
        grid = grid or _BlockGrid((x0, y0), (x1 - x0, y1 - y0), anchor, cell)
        effect = grid.apply(roi, max_value)
    else:
        effect = _scratch("effect", roi.shape, roi.dtype)
        effect[...] = to_dtype(fill, roi.dtype, max_value)
    _blend(roi, effect, alpha)


def _pooled(alpha: np.ndarray, box: tuple[int, int, int, int], fx: int, fy: int, plane: np.ndarray):
    """(box, coverage) on `plane`, subsampled by (fx, fy): each of its pixels as opaque as the most
    opaque full-size pixel it spans. Coverage outside `box` is 0 (the box holds the whole ramp) or
    outside the picture, so the box is padded with zeros to whole subsampled pixels."""
    x0, y0, x1, y1 = box
    if fx == fy == 1:
        return box, alpha
    sx0, sy0, sx1, sy1 = x0 // fx, y0 // fy, -(-x1 // fx), -(-y1 // fy)
    h, w = plane.shape[:2]
    if sx1 > w or sy1 > h:  # a plane rounded down (FFmpeg rounds up): its last pixels span full-size ones cut off
        x1, y1 = min(x1, w * fx), min(y1, h * fy)
        alpha = alpha[:y1 - y0, :x1 - x0]
        sx1, sy1 = min(sx1, w), min(sy1, h)
        if x1 <= x0 or y1 <= y0:
            return (sx0, sy0, sx0, sy0), alpha[:0, :0]
    padded = _scratch("pool", ((sy1 - sy0) * fy, (sx1 - sx0) * fx), np.uint8)
    padded.fill(0)
    padded[y0 - sy0 * fy:y1 - sy0 * fy, x0 - sx0 * fx:x1 - sx0 * fx] = alpha
    rows = padded[0::fy]  # pairwise maxima of strided views: numpy's max over reshaped axes is ~50x slower
    for k in range(1, fy):
        rows = np.maximum(rows, padded[k::fy])
    pooled = rows[:, 0::fx]
    for k in range(1, fx):
        pooled = np.maximum(pooled, rows[:, k::fx])
    return (sx0, sy0, sx1, sy1), np.ascontiguousarray(pooled)


def _region_box(g: RegionGeometry, w: int, h: int) -> tuple[int, int, int, int]:
    """The mask's region (outline box + feather + reach), clipped to a w x h plane; may be empty."""
    pad = g.feather + g.reach + 1.0
    x0, y0, x1, y1 = g.bounds
    return (max(0, math.floor(x0 - pad)), max(0, math.floor(y0 - pad)),
            min(w, math.ceil(x1 + pad)), min(h, math.ceil(y1 + pad)))


def _overlapping_groups(boxes: list[tuple[int, int, int, int]]) -> list[list[int]]:
    """Indices of boxes, grouped into connected sets of overlapping (non-empty) boxes, in draw order."""
    group = list(range(len(boxes)))  # union-find over the overlapping pairs
    def root(k: int) -> int:
        while group[k] != k:
            group[k] = group[group[k]]
            k = group[k]
        return k
    # Sweep left to right: a box can only overlap those it meets still open (a few, in a crowd).
    open_boxes: list[tuple[int, int, int, int, int]] = []
    for x0, y0, x1, y1, k in sorted((*b, k) for k, b in enumerate(boxes) if b[2] > b[0] and b[3] > b[1]):
        open_boxes = [o for o in open_boxes if o[2] > x0]
        for o in open_boxes:
            if o[1] < y1 and y0 < o[3]:
                group[root(o[4])] = root(k)
        open_boxes.append((x0, y0, x1, y1, k))
    members: dict[int, list[int]] = {}
    for k in range(len(boxes)):
        members.setdefault(root(k), []).append(k)
    return sorted(members.values(), key=lambda m: m[0])


def _render_blur_union(planes: list[np.ndarray], geoms: list[RegionGeometry], boxes: list[tuple[int, int, int, int]],
                       sub: Sequence[Subsampled], outlines: list[_RegionOutline]) -> None:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    union = _scratch("union", (y1 - y0, x1 - x0), np.uint8)
    union.fill(0)
    for g, (bx0, by0, bx1, by1), outline in zip(geoms, boxes, outlines):
        alpha = _coverage(outline, (by1 - by0, bx1 - bx0), g.feather, g.reach)
        if alpha is not None:
            part = union[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0]
            cv2.max(part, alpha, dst=part)
    if not cv2.countNonZero(union):
        return
    coarsest = max(geoms, key=lambda g: g.cell[0] * g.cell[1])
    cell = (max(g.cell[0] for g in geoms), max(g.cell[1] for g in geoms))
    for plane in planes:
        _blend(plane[y0:y1, x0:x1], _blur(plane, (x0, y0, x1, y1), coarsest.anchor, cell), union)
    for plane, fx, fy, box, alpha in _sub_coverages(sub, union, (x0, y0, x1, y1)):
        if alpha.size == 0:
            continue
        roi = plane[box[1]:box[3], box[0]:box[2]]
        anchor = (coarsest.anchor[0] / fx, coarsest.anchor[1] / fy)
        _blend(roi, _blur(plane, box, anchor, (cell[0] / fx, cell[1] / fy)), alpha)


def opaque_reach(feather: float) -> float:
    """How far past the outline coverage stays opaque before the feather starts (frame pixels):
    what lets the ramp be computed on a coarse grid; 0 for feathers too narrow to need one."""
    k = int(feather // RAMP_SAMPLES)
    return OPAQUE_REACH * k if k >= 2 else 0.0


# -- scratch buffers --------------------------------------------------------------------------------
class _Scratch(threading.local):
    def __init__(self):
        self.buffers: dict[tuple[str, object], np.ndarray] = {}


_SCRATCH = _Scratch()


def _scratch(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A C-contiguous array of `shape`, reused by this thread under `name` (contents undefined)."""
    need = math.prod(shape)
    key = (name, dtype)  # np.uint8 and np.dtype("uint8") may keep a buffer each: harmless
    buf = _SCRATCH.buffers.get(key)
    if buf is None or buf.size < need:
        buf = _SCRATCH.buffers[key] = np.empty(max(need, 1), dtype)
    return buf[:need].reshape(shape)


# -- coverage -------------------------------------------------------------------------------------
def _coverage(outline: _RegionOutline, shape: tuple[int, int], feather: float, reach: float) -> np.ndarray | None:
    """Opacity (uint8, 255 = opaque) over the region, or None when the outline covers no pixel."""
    pts = outline.pts
    k = max(1, min(int(feather // RAMP_SAMPLES), int(reach // OPAQUE_REACH)))
    # A feather far wider than the region (a shape many times the picture) would make the resized
    # grid k x k: a finer grid is as opaque inside (reach / k only grows), and bounded.
    k = min(k, max(shape[0], shape[1], COARSE_CAP))
    if k == 1:
        inside = _fill(pts, shape, "inside", outline)
        return inside if inside is None or feather < 0.5 else _ramp(inside, feather, reach)
    # Coarse grid only: opaque out to `reach` (at least OPAQUE_REACH coarse pixels) past the
    # outline, so that the linear resize, which mixes the four coarse pixels around a fine one,
    # keeps every fine pixel of the grown shape at 255.
    small_shape = (-(-shape[0] // k), -(-shape[1] // k))
    coarse = pts / k  # rounds monotonically too: its box is the outline's box / k
    small = _fill(coarse, small_shape, "coarse",
                  _localised_points([coarse], [small_shape], [tuple(v / k for v in outline.bounds)])[0])
    if small is None:
        inside = _fill(pts, shape, "inside", outline)  # thinner than a coarse pixel
        return inside if inside is None else _ramp(inside, feather, reach)
    big = _scratch("ramp", (small_shape[0] * k, small_shape[1] * k), np.uint8)
    cv2.resize(_ramp(small, feather / k, reach / k), (big.shape[1], big.shape[0]), dst=big,
               interpolation=cv2.INTER_LINEAR)
    return big[:shape[0], :shape[1]]


COARSE_CAP = 64  # px: the coarse grid's step never exceeds the region's larger side or this
OPAQUE_REACH = 2.0  # coarse pixels: more than the diagonal (1.41) between a fine pixel and its coarse neighbours


def _fill(pts: np.ndarray, shape: tuple[int, int], name: str, outline: _RegionOutline | None = None
          ) -> np.ndarray | None:
    """Every pixel the outline covers by more than EDGE_SLACK px: conservative, and the same rule
    on all four sides (fillPoly alone rounds half-way edges up, so it would grow right and down).
    `outline`: pts _localised, if known."""
    outline = outline or _localised_points([pts], [shape])[0]
    inside = _scratch(name, shape, np.uint8)
    inside.fill(0)
    if outline.fixed is not None:  # the usual case: drawn straight into `inside` (_localised)
        cv2.fillPoly(inside, [outline.fixed], OPAQUE, lineType=cv2.LINE_8, shift=4)
        if cv2.countNonZero(inside):
            return inside
        cv2.polylines(inside, [outline.fixed], True, OPAQUE, lineType=cv2.LINE_8, shift=4)
        return inside if cv2.countNonZero(inside) else None
    return _fill_on_canvas(outline.shrunk, shape, name)


class _RegionOutline(NamedTuple):
    """A mask's outline in its region's pixels, and what _fill draws of it."""

    pts: np.ndarray  # (N, 2)
    bounds: tuple[float, float, float, float]  # its box (x0, y0, x1, y1)
    shrunk: np.ndarray  # pulled EDGE_SLACK px towards its centre (_shrunk)
    fixed: np.ndarray | None  # shrunk in fillPoly's fixed point, or None when it does not fit the region


def _localised(geoms: Sequence[RegionGeometry], boxes: Sequence[tuple[int, int, int, int]]
               ) -> list[_RegionOutline | None]:
    """Each mask's outline moved into its region (_region_box; None where that is empty)."""
    out: list = [None] * len(boxes)
    live = [k for k, (x0, y0, x1, y1) in enumerate(boxes) if x1 > x0 and y1 > y0]
    shapes, origins, bounds = [], [], []
    for k in live:
        (x0, y0, x1, y1), b = boxes[k], geoms[k].bounds
        shapes.append((y1 - y0, x1 - x0))
        origins.append((x0, y0))
        # Subtracting a constant rounds monotonically: the moved box is the moved outline's box, bit for bit.
        bounds.append((b[0] - x0, b[1] - y0, b[2] - x0, b[3] - y0))
    for k, outline in zip(live, _localised_points([geoms[k].outline for k in live], shapes, bounds, origins)):
        out[k] = outline
    return out


def _localised_points(outlines: Sequence[np.ndarray], shapes: Sequence[tuple[int, int]],
                      bounds: Sequence | None = None, origins: Sequence[tuple[int, int]] | None = None
                      ) -> list[_RegionOutline]:
    """Each outline less its region's corner (`origins`, default (0, 0)), shrunk by EDGE_SLACK and
    turned into fillPoly's fixed point (4 fractional bits) for a region of `shapes[i]` (h, w).
    `bounds[i]`: the moved outline's box, or None to take it from the vertices.

    A frame's masks are done together: numpy calls on 96-vertex outlines cost more than their
    arithmetic, so outlines of equal vertex count are stacked (stacked_rows) and each step is one
    call for them all, with the same float operations per vertex as _shrunk (tested against it)."""
    n = len(outlines)
    bounds = bounds or [None] * n
    origins = origins or [(0, 0)] * n
    out: list = [None] * n
    for index, rows in stacked_rows(outlines):
        rows -= np.array([origins[i] for i in index], np.float64)[:, :, None]
        if all(bounds[i] is not None for i in index):
            box = np.array([bounds[i] for i in index], np.float64)
            lo, hi = box[:, :2], box[:, 2:]
        else:
            lo, hi = rows.min(axis=2), rows.max(axis=2)
        centre, half = (lo + hi) / 2.0, np.maximum((hi - lo) / 2.0, 1e-9)
        pull = np.maximum(half - EDGE_SLACK, half / 2.0)
        shrunk = (rows - centre[:, :, None]) * pull[:, :, None] / half[:, :, None] + centre[:, :, None]
        # The usual case: the region holds the outline with a pixel to spare (its box is the outline's
        # plus a margin), so every vertex lands on a pixel of the region and fillPoly draws straight
        # into it; the same fixed-point vertices as on _fill_on_canvas's padded canvas, shifted by whole pixels.
        rounded = np.rint((shrunk + FILL_PAD - 0.5) * 16.0)  # rint: np.round's rounding
        # Judged before the cast: a vertex beyond int32 (a shape ~10^8 px across) never fits, and
        # whatever the cast makes of it is not used.
        low, high = rounded.min(axis=2).tolist(), rounded.max(axis=2).tolist()
        with np.errstate(invalid="ignore"):
            fixed = rounded.astype(np.int32)
        fixed -= FILL_PAD * 16
        fixed = np.ascontiguousarray(fixed.transpose(0, 2, 1))  # fillPoly takes (N, 2)
        pts, shrunk = rows.transpose(0, 2, 1), shrunk.transpose(0, 2, 1)
        for k, (i, (x0, y0), (x1, y1)) in enumerate(zip(index, lo.tolist(), hi.tolist())):
            (h, w), (lx, ly), (hx, hy) = shapes[i], low[k], high[k]
            fits = min(lx, ly) >= FILL_PAD * 16 and hx < (w - 1 + FILL_PAD) * 16 and hy < (h - 1 + FILL_PAD) * 16
            out[i] = _RegionOutline(pts[k], (x0, y0, x1, y1), shrunk[k], fixed[k] if fits else None)
    return out


def stacked_rows(outlines: Sequence[np.ndarray]):
    """(indices, (M, 2, N) rows of x and y) for each set of the (N, 2) `outlines` with N vertices.
    Rows, because numpy is several times slower on a trailing axis of 2 (one inner loop per vertex)."""
    by_length: dict[int, list[int]] = {}
    for i, pts in enumerate(outlines):
        by_length.setdefault(len(pts), []).append(i)
    for index in by_length.values():
        yield index, np.ascontiguousarray(np.array([outlines[i] for i in index], np.float64).transpose(0, 2, 1))


def _shrunk(pts: np.ndarray) -> np.ndarray:
    """The outline pulled EDGE_SLACK px towards its centre (half its size at most): the plain form
    of what _localised_points does for many outlines at once."""
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2.0, np.maximum((hi - lo) / 2.0, 1e-9)
    return centre + (pts - centre) * np.maximum(half - EDGE_SLACK, half / 2.0) / half


def _fill_on_canvas(pts: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray | None:
    """_fill's general case, for outlines (already shrunk by EDGE_SLACK) that leave the region."""
    inside = _scratch(name, shape, np.uint8)
    # fillPoly drops pixels along the left and top border when vertices lie at negative
    # coordinates (up to two pixels in, seen on a shape that leaves the picture): clip the outline
    # to the region plus a pixel, and draw it FILL_PAD pixels in on a larger canvas.
    pts = _clip_polygon(pts, -1.0, -1.0, shape[1] + 1.0, shape[0] + 1.0)
    if len(pts) < 3:
        return None
    canvas = _scratch(name + "-pad", (shape[0] + 2 * FILL_PAD, shape[1] + 2 * FILL_PAD), np.uint8)
    canvas.fill(0)
    # fillPoly puts integer vertices on pixel centres; ours sit on pixel corners, hence -0.5.
    fixed = np.round((pts + FILL_PAD - 0.5) * 16.0).astype(np.int32)
    cv2.fillPoly(canvas, [fixed], OPAQUE, lineType=cv2.LINE_8, shift=4)
    inside[...] = canvas[FILL_PAD:FILL_PAD + shape[0], FILL_PAD:FILL_PAD + shape[1]]
    if not cv2.countNonZero(inside):
        # A sliver thinner than a pixel, or wholly outside the plane: cover the pixels it touches.
        cv2.polylines(canvas, [fixed], True, OPAQUE, lineType=cv2.LINE_8, shift=4)
        inside[...] = canvas[FILL_PAD:FILL_PAD + shape[0], FILL_PAD:FILL_PAD + shape[1]]
        if not cv2.countNonZero(inside):
            return None
    return inside


FILL_PAD = 3  # px of canvas around a region: every clipped vertex lands at a positive coordinate


def _clip_polygon(pts: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """The polygon cut to the rectangle (Sutherland-Hodgman): what lies inside is unchanged."""
    out = np.asarray(pts, np.float64)
    if out[:, 0].min() >= x0 and out[:, 1].min() >= y0 and out[:, 0].max() <= x1 and out[:, 1].max() <= y1:
        return out
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(out) == 0:
            break
        inside = out[:, axis] >= bound if keep_above else out[:, axis] <= bound
        if inside.all():
            continue
        nxt = np.concatenate((out[1:], out[:1]))  # slices, not np.roll: several times faster
        crosses = inside != np.concatenate((inside[1:], inside[:1]))
        # Each vertex p in order: p itself if it is in, then where its edge to the next one crosses
        # the bound (vectorised: faces at the picture's edge clip a 96-vertex outline every frame).
        with np.errstate(divide="ignore", invalid="ignore"):  # edges along the bound: never kept
            t = (bound - out[:, axis]) / (nxt[:, axis] - out[:, axis])
            cut = out + (nxt - out) * t[:, None]
        both = np.concatenate((out, cut), axis=1).reshape(-1, 2)  # p0, cut0, p1, cut1, ...
        keep = np.column_stack((inside, crosses)).reshape(-1)
        out = both[keep]
    return out


def _ramp(inside: np.ndarray, feather: float, reach: float) -> np.ndarray:
    """Opaque inside and up to `reach` px out, then a smoothstep down to 0 over `feather` px."""
    dist = cv2.distanceTransform(cv2.bitwise_not(inside), cv2.DIST_L2, 3)
    # Quantise the distance to 256 steps and look the ramp up: two cheap passes.
    # Widths are rounded to a quarter pixel, so that a track whose size changes a little from frame
    # to frame reuses one table.
    feather, reach = round(feather * 4.0) / 4.0, round(reach * 4.0) / 4.0
    span = reach + feather + 1.0
    index = cv2.convertScaleAbs(dist, alpha=255.0 / span)
    return cv2.LUT(index, _ramp_table(feather, reach))


@functools.lru_cache(maxsize=256)
def _ramp_table(feather: float, reach: float) -> np.ndarray:
    span = reach + feather + 1.0
    d = np.arange(256) * span / 255.0
    t = np.clip(1.0 - (d - reach - 0.5) / feather, 0.0, 1.0)
    table = np.round(OPAQUE * t * t * (3.0 - 2.0 * t)).astype(np.uint8)  # smoothstep: no seam at either end
    table[d <= reach + 0.5] = OPAQUE  # inside (distance 0) and the reach beyond it
    return table


# -- effect -------------------------------------------------------------------------------------------
class _BlockGrid:
    """Pixelate: square cells over one region; partial cells at its edge average only the pixels they hold."""

    def __init__(self, origin: tuple[int, int], size: tuple[int, int], anchor: tuple[float, float],
                 cell: tuple[float, float]):
        self.size = size
        self.edges_x, self.counts_x = _block_edges(size[0], origin[0], anchor[0], cell[0])
        self.edges_y, self.counts_y = _block_edges(size[1], origin[1], anchor[1], cell[1])
        self.area = np.outer(self.counts_y, self.counts_x).astype(np.float64)
        self.block_x = np.repeat(np.arange(len(self.counts_x)), self.counts_x)
        self.block_y = np.repeat(np.arange(len(self.counts_y)), self.counts_y)

    def apply(self, roi: np.ndarray, max_value: int) -> np.ndarray:
        """Flat blocks over `roi`, in roi's type, in a scratch buffer."""
        depth, sum_type = (cv2.CV_32S, np.int32) if roi.dtype == np.uint8 else (cv2.CV_64F, np.float64)
        channels = roi.shape[2:]
        sums = _scratch("integral", (roi.shape[0] + 1, roi.shape[1] + 1, *channels), sum_type)
        cv2.integral(roi, sums.reshape(sums.shape[0], sums.shape[1], -1) if channels else sums, sdepth=depth)
        corner = sums[self.edges_y][:, self.edges_x].astype(np.float64)
        block = corner[1:, 1:] - corner[:-1, 1:] - corner[1:, :-1] + corner[:-1, :-1]
        means = block / (self.area[..., None] if channels else self.area)
        out = _scratch("effect", roi.shape, roi.dtype)
        rows = to_dtype(means, roi.dtype, max_value)[self.block_y]
        np.take(rows, self.block_x, axis=1, out=out)
        return out


def _blur(plane: np.ndarray, box: tuple[int, int, int, int], anchor: tuple[float, float],
          cell: tuple[float, float]) -> np.ndarray:
    """Blur over plane[box]: block means on whole-pixel cells anchored at the shape's centre, spread
    by a Gaussian on SPREAD_SAMPLES samples per cell and resized back (three OpenCV calls on a grid
    a few cells wide), so the cost does not grow with the blur's radius and only block means reach
    the output. Cells are rounded *up* to whole pixels: never weaker than asked."""
    x0, y0, x1, y1 = box
    h, w = plane.shape[:2]
    cw, ch = max(1, math.ceil(cell[0] - 1e-6)), max(1, math.ceil(cell[1] - 1e-6))
    # A shape many times the picture (a bad import, a runaway edit) asks for cells larger than the
    # plane: such a cell averages all it holds of the picture anyway, but padding the picture out to
    # whole cells of it crashed OpenCV (415,000 px: a segfault). At most a plane's side, a cell still
    # leaves no more than 2 x 2 block means over the whole picture.
    cw, ch = min(cw, max(w, h)), min(ch, max(w, h))
    ax, ay = round(anchor[0]), round(anchor[1])
    # The cell-aligned box round plane[box]: whole cells on every side.
    gx0, gy0 = ax + ((x0 - ax) // cw) * cw, ay + ((y0 - ay) // ch) * ch
    gx1, gy1 = ax - ((ax - x1) // cw) * cw, ay - ((ay - y1) // ch) * ch
    nx, ny = (gx1 - gx0) // cw, (gy1 - gy0) // ch
    src = plane[max(gy0, 0):min(gy1, h), max(gx0, 0):min(gx1, w)]
    pads = (max(0, -gy0), max(0, gy1 - h), max(0, -gx0), max(0, gx1 - w))
    if any(pads):  # cells cut by the picture's edge average only their pixels inside it
        src = cv2.copyMakeBorder(src, *pads, cv2.BORDER_REPLICATE)
    means = cv2.resize(src, (nx, ny), interpolation=cv2.INTER_AREA)  # exact block means: whole-cell factors
    samples = int(SPREAD_SAMPLES)
    spread = cv2.resize(means, (nx * samples, ny * samples), interpolation=cv2.INTER_NEAREST)
    kernel = _gaussian_kernel(BLUR_SPREAD * samples)  # sepFilter2D: GaussianBlur's exact uint8 path is 7x slower
    spread = cv2.sepFilter2D(spread, -1, kernel, kernel, borderType=cv2.BORDER_REPLICATE)
    full = cv2.resize(spread, (gx1 - gx0, gy1 - gy0), interpolation=cv2.INTER_LINEAR)
    return full[y0 - gy0:y1 - gy0, x0 - gx0:x1 - gx0]


@functools.lru_cache(maxsize=8)
def _gaussian_kernel(sigma: float) -> np.ndarray:
    return cv2.getGaussianKernel(2 * math.ceil(3.0 * sigma) + 1, sigma, cv2.CV_32F)


def _block_edges(n: int, origin: int, anchor: float, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Boundaries (0 .. n) of the cells of `cell` px anchored at `anchor` over n pixels from `origin`."""
    centres = origin + np.arange(n, dtype=np.float64) + 0.5
    index = np.floor((centres - anchor) / max(cell, 1e-6))
    edges = np.concatenate([[0], np.flatnonzero(np.diff(index)) + 1, [n]])
    return edges, np.diff(edges)


def to_dtype(values, dtype: np.dtype, max_value: int) -> np.ndarray:
    if dtype == np.uint8 and np.ndim(values) >= 2:
        return cv2.convertScaleAbs(values)  # rounds and saturates in one pass; values are never negative
    return np.clip(np.rint(values), 0, max_value).astype(dtype)


# -- blend ------------------------------------------------------------------------------------------
def _blend(roi: np.ndarray, effect: np.ndarray, alpha: np.ndarray) -> None:
    """roi += (effect - roi) * alpha / 255, rounded, written through the view into the frame."""
    if roi.dtype != np.uint8:
        _blend_mixed(roi, effect, alpha)
        return
    alpha = _channels(alpha, roi)
    # OpenCV's arithmetic on operands of mixed types (uint8 with int16) takes a generic path
    # 3-6x slower than on equal types, so all three are widened first (cheap copies); the
    # same saturating arithmetic, bit for bit (tested against the mixed form).
    r, e, a = _scratch("blend", (3, *roi.shape), np.int16)
    np.copyto(r, roi)
    np.copyto(e, effect)
    np.copyto(a, alpha)
    cv2.subtract(e, r, dst=e)
    cv2.multiply(e, a, dst=e, scale=1.0 / OPAQUE)
    cv2.add(r, e, dst=r)
    np.copyto(roi, r, casting="unsafe")  # between roi and effect: always within 0..255


def _blend_mixed(roi: np.ndarray, effect: np.ndarray, alpha: np.ndarray) -> None:
    """_blend on OpenCV's mixed-type arithmetic: the form for 16-bit planes, and the reference for 8-bit."""
    alpha = _channels(alpha, roi)
    wide, wide_type = (cv2.CV_16S, np.int16) if roi.dtype == np.uint8 else (cv2.CV_32S, np.int32)
    narrow = cv2.CV_8U if roi.dtype == np.uint8 else cv2.CV_16U
    step = _scratch("step", roi.shape, wide_type)
    view = step.reshape(roi.shape[0], roi.shape[1], -1) if roi.ndim == 3 else step
    cv2.subtract(effect, roi, dst=view, dtype=wide)
    cv2.multiply(view, alpha, dst=view, scale=1.0 / OPAQUE, dtype=wide)
    cv2.add(roi, view, dst=roi, dtype=narrow)


def _channels(alpha: np.ndarray, roi: np.ndarray) -> np.ndarray:
    """The one-channel coverage repeated for each of roi's channels."""
    if roi.ndim == 3 and alpha.ndim == 2:
        return cv2.merge([alpha] * roi.shape[2], dst=_scratch("alpha", roi.shape, np.uint8))
    return alpha
