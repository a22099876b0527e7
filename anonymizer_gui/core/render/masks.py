"""Burn masks into a frame: blur, pixelate or a solid fill inside rect, ellipse and polygon shapes.

One renderer serves the editor preview and the export, so what the operator sees is what goes
out. It works on image *planes*: the export hands it the decoded frame's own planes (for
yuv420p: Y at full size, U and V at half size) and `render_bgr` hands it the display image as a
single three-channel plane. Every effect is a weighted average whose weights sum to one, and
every YUV matrix is an affine map of RGB, so blurring Y, U and V gives the same picture as
blurring B, G and R; only the solid colour needs converting (`PlaneLayout.solid_values`) and
chroma planes are sampled more coarsely. That is why the preview can skip the YUV round trip.

Geometry of one mask, in frame pixels (pixel i spans [i, i + 1)):
- the shape is grown about its centre by `margin` of its width and height on each side;
- inside the grown shape the effect is opaque; `feather` (a share of the shape's larger side)
  is a soft ramp *outside* it, so a feather never uncovers any part of the grown shape (wide
  feathers start a few pixels further out, see region.opaque_reach);
- work is confined to `mask_extent` (the grown shape's bounding box plus the feather), clipped to
  the plane: every pixel outside it is left bit-identical. The pixel work itself lives in
  region.py.

Irreversibility: blur and pixelate both keep only block means on a grid of square cells whose
side is a share of the shape's larger side, so what survives does not depend on the face's
size in pixels: at most PIXELATE_CELLS blocks across the shape for pixelate and about
BLUR_CELLS smooth blobs for blur (the blocks are then spread with a Gaussian). A 40 px and a
400 px face both come out as a handful of numbers; no deconvolution can bring back what was
averaged away. `MaskStyle.strength` multiplies the cell side (2.0 = half as many cells); it is
never taken below the floor (floor.floored), whatever the project says.
The grid is centred on the shape's centre so that a quarter turn of the picture (rotated video
rendered in coded orientation) maps blocks onto blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from ..project import MaskStyle, Shape, covering_outline
from .floor import floored
from .region import RegionGeometry, opaque_reach, render_regions, stacked_rows

BLUR_CELLS = 6.0  # block means across the shape's larger side for "blur"
PIXELATE_CELLS = 5.0  # blocks across the shape's larger side for "pixelate"; 8 left faces recognisable
MIN_CELL_PX = 2.0  # a cell never shrinks below this many frame pixels (tiny shapes)
# Rasterising a slanted edge may leave a pixel whose centre lies up to half a pixel inside it
# uncovered (OpenCV's fillPoly rounds one side of a span down); slanted edges are moved this far
# out (frame pixels), so every pixel centred inside the grown shape is covered.
RASTER_GROW_PX = 0.5
MITER_LIMIT = 4.0
ELLIPSE_VERTICES = 96  # outline resolution of an ellipse; enough for a 2000 px ellipse to stay within 1 px

_MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}

Mask = tuple[Shape, MaskStyle]


@dataclass(frozen=True)
class PlaneLayout:
    """How a frame's planes relate to frame pixels and to colour.

    kind "bgr": one interleaved B, G, R plane (the display image);
    "yuv": Y, U, V planes, possibly subsampled; "gray": a single Y plane.
    `scales[i]` = (x, y) pixels of plane i per frame pixel, e.g. (0.5, 0.5) for 4:2:0 chroma.
    """

    kind: Literal["bgr", "yuv", "gray"]
    scales: tuple[tuple[float, float], ...]
    bits: int = 8
    matrix: str = "bt601"
    full_range: bool = False

    @property
    def max_value(self) -> int:
        return (1 << self.bits) - 1

    def solid_values(self, rgb: Sequence[int]) -> list[np.ndarray]:
        """The fill value of an RGB (0-255) colour in each plane, as float32 arrays."""
        r, g, b = (float(c) / 255.0 for c in rgb)
        if self.kind == "bgr":
            return [np.array([b, g, r], np.float32) * self.max_value]
        kr, kb = _MATRICES.get(self.matrix, _MATRICES["bt601"])
        y = kr * r + (1.0 - kr - kb) * g + kb * b
        pb = (b - y) / (2.0 * (1.0 - kb))
        pr = (r - y) / (2.0 * (1.0 - kr))
        if self.full_range:
            top = float(self.max_value)
            half = float(1 << (self.bits - 1))
            values = [y * top, half + pb * top, half + pr * top]
        else:
            unit = float(1 << (self.bits - 8))
            values = [(16.0 + 219.0 * y) * unit, (128.0 + 224.0 * pb) * unit, (128.0 + 224.0 * pr) * unit]
        return [np.array(v, np.float32) for v in values[:len(self.scales)]]


BGR_LAYOUT = PlaneLayout("bgr", ((1.0, 1.0),))


def render_bgr(img_bgr: np.ndarray, masks: Sequence[Mask]) -> np.ndarray:
    """A redacted copy of a display-orientation BGR image (the editor preview).

    Same renderer as the export: the image is one three-channel plane at full size.
    """
    out = np.array(img_bgr, dtype=np.uint8, copy=True, order="C")
    render_planes([out], BGR_LAYOUT, masks)
    return out


def render_planes(planes: Sequence[np.ndarray], layout: PlaneLayout, masks: Sequence[Mask]) -> None:
    """Burn `masks` (shapes in frame pixels) into `planes`, in place, one mask after the other.

    Planes may be strided views (an av.VideoFrame's buffers); only each mask's region is read
    and written. Later masks are drawn over earlier ones, so overlaps stay fully covered;
    overlapping blur masks in a row are drawn once as their union (render_regions). Subsampled
    chroma (4:2:0, 4:2:2, ...) takes its coverage from the luma's, pooled (render_regions).
    """
    if len(planes) != len(layout.scales):
        raise ValueError(f"{len(planes)} planes for a layout of {len(layout.scales)}")
    # Planes sampled alike (U and V) share one coverage and one block grid.
    groups: dict[tuple[float, float], list[int]] = {}
    for i, scale in enumerate(layout.scales):
        groups.setdefault(scale, []).append(i)
    factors = _subsampling(groups)
    if factors is not None:  # 4:2:0 and the like: chroma coverage pooled from the luma's (region.py)
        full = groups[(1.0, 1.0)]
        others = [i for i in range(len(planes)) if i not in full]
        order = full + others
        items = _region_items(masks, layout, {(1.0, 1.0): order})[(1.0, 1.0)]
        sub = [(planes[i], *factors[layout.scales[i]]) for i in others]
        render_regions([planes[i] for i in full], items, layout.max_value, sub)
        return
    items = _region_items(masks, layout, groups)
    for scale, members in groups.items():
        render_regions([planes[i] for i in members], items[scale], layout.max_value)


def _subsampling(groups: dict[tuple[float, float], list[int]]) -> dict[tuple[float, float], tuple[int, int]] | None:
    """Whole subsampling factors of every plane group relative to a full-size one, or None when
    the layout has no full-size plane besides them (one plane, or odd samplings): drawn per group."""
    if len(groups) < 2 or (1.0, 1.0) not in groups:
        return None
    factors = {}
    for sx, sy in groups:
        fx, fy = round(1.0 / sx), round(1.0 / sy)
        if fx not in (1, 2, 4) or fy not in (1, 2, 4) or (1.0 / fx, 1.0 / fy) != (sx, sy):
            return None
        factors[(sx, sy)] = (fx, fy)
    return factors


def _region_items(masks: Sequence[Mask], layout: PlaneLayout,
                  groups: dict[tuple[float, float], list[int]]) -> dict[tuple[float, float], list]:
    """Per plane group: (RegionGeometry in its pixels, style kind, the fill of each member plane) per mask."""
    items: dict[tuple[float, float], list] = {scale: [] for scale in groups}
    styles = [floored(style) for _, style in masks]
    geometries = _geometries([shape for shape, _ in masks], styles)
    solids = [layout.solid_values(style.color) if style.kind == "solid" else None for style in styles]
    for (sx, sy), members in groups.items():
        no_fills = [None] * len(members)
        s = (sx + sy) / 2.0
        grown, bounds = _offset_outlines([g.outline for g in geometries], (sx, sy), RASTER_GROW_PX * s)
        group = items[(sx, sy)]
        for geometry, style, solid, outline, box in zip(geometries, styles, solids, grown, bounds):
            fills = no_fills if solid is None else [solid[i] for i in members]
            cell = geometry.cell(style)
            reach = opaque_reach(geometry.feather)
            # A cell is centred on the shape's centre (the grid corner half a cell before it), so
            # PIXELATE_CELLS cells span the shape exactly and a quarter turn maps blocks onto blocks.
            corner = (geometry.centre[0] - cell / 2, geometry.centre[1] - cell / 2)
            region = RegionGeometry(outline, geometry.feather * s, reach * s, (corner[0] * sx, corner[1] * sy),
                                    (cell * sx, cell * sy), box)
            group.append((region, style.kind, fills))
    return items


def shape_to_coded(shape: Shape, rotation: int, coded_width: int, coded_height: int) -> Shape:
    """Map a shape from display pixels to the coded picture that is shown turned `rotation`° clockwise."""
    rotation %= 360
    if rotation == 0:
        return shape.copy()
    xs = np.asarray(shape.points[0::2], np.float64)
    ys = np.asarray(shape.points[1::2], np.float64)
    if rotation == 90:
        cx, cy = ys, coded_height - xs
    elif rotation == 180:
        cx, cy = coded_width - xs, coded_height - ys
    elif rotation == 270:
        cx, cy = coded_width - ys, xs
    else:
        raise ValueError(f"rotation must be a multiple of 90, got {rotation}")
    if shape.kind in ("rect", "ellipse"):  # still axis-aligned: keep (x1, y1, x2, y2) ordered
        return Shape(shape.kind, [float(cx.min()), float(cy.min()), float(cx.max()), float(cy.max())])
    return Shape(shape.kind, [float(v) for pair in zip(cx, cy) for v in pair])


def mask_extent(shape: Shape, style: MaskStyle) -> tuple[float, float, float, float]:
    """Frame-pixel box that the mask may change (grown shape plus feather); outside it nothing changes."""
    g = _MaskGeometry.of(shape, style)
    reach = g.feather + opaque_reach(g.feather) + 1.0 + RASTER_GROW_PX
    x1, y1 = g.outline.min(axis=0) - reach
    x2, y2 = g.outline.max(axis=0) + reach
    return float(x1), float(y1), float(x2), float(y2)


def grown_outline(shape: Shape, style: MaskStyle) -> np.ndarray:
    """(N, 2) outline of the shape after the margin: everything inside is fully covered."""
    return _MaskGeometry.of(shape, style).outline.copy()


# -- geometry -------------------------------------------------------------------------------------
# Numpy calls on outlines of a few dozen vertices cost more than their arithmetic, and a crowd scene
# draws dozens of masks per frame: outlines of equal vertex count (every ellipse, every rect) are
# grown and offset together as (M, 2, N) rows of x and y (region.stacked_rows), with the same
# float operations on every vertex as one outline at a time (tests/core/test_render_speedup_identity.py).
@dataclass(frozen=True)
class _MaskGeometry:
    outline: np.ndarray  # (N, 2) grown outline, frame pixels
    centre: tuple[float, float]
    size: float  # the shape's larger side before growth, frame pixels
    feather: float  # frame pixels

    @staticmethod
    def of(shape: Shape, style: MaskStyle) -> "_MaskGeometry":
        """One shape's geometry: the plain form of _geometries, cheaper for one shape (the leak check
        asks for every mask of every frame on its own); the same float operations (tested)."""
        pts = covering_outline(shape, ELLIPSE_VERTICES)
        x1, y1 = pts.min(axis=0).tolist()
        x2, y2 = pts.max(axis=0).tolist()
        cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
        grow = 1.0 + 2.0 * max(0.0, style.margin)
        pts = (pts - (cx, cy)) * grow + (cx, cy)
        size = max(x2 - x1, y2 - y1, 1.0)
        return _MaskGeometry(pts, (cx, cy), size, max(0.0, style.feather) * size)

    def cell(self, style: MaskStyle) -> float:
        style = floored(style)
        cells = PIXELATE_CELLS if style.kind == "pixelate" else BLUR_CELLS
        return max(MIN_CELL_PX, self.size / cells * style.strength)


def _geometries(shapes: Sequence[Shape], styles: Sequence[MaskStyle]) -> list[_MaskGeometry]:
    """The geometry of each shape: its covering outline grown about its centre by the margin."""
    out: list = [None] * len(shapes)
    for index, rows in stacked_rows([covering_outline(shape, ELLIPSE_VERTICES) for shape in shapes]):
        lo, hi = rows.min(axis=2), rows.max(axis=2)
        centre = (lo + hi) / 2.0
        grow = np.array([1.0 + 2.0 * max(0.0, styles[i].margin) for i in index])
        grown = ((rows - centre[:, :, None]) * grow[:, None, None] + centre[:, :, None]).transpose(0, 2, 1)
        for k, (i, (cx, cy), (w, h)) in enumerate(zip(index, centre.tolist(), (hi - lo).tolist())):
            size = max(w, h, 1.0)
            out[i] = _MaskGeometry(grown[k], (cx, cy), size, max(0.0, styles[i].feather) * size)
    return out


def _offset_outlines(outlines: Sequence[np.ndarray], scale: tuple[float, float], distance: float
                     ) -> tuple[list[np.ndarray], list[tuple[float, float, float, float]]]:
    """offset_outline of each outline times `scale`, and the box (x0, y0, x1, y1) of each result."""
    out: list = [None] * len(outlines)
    bounds: list = [None] * len(outlines)
    for index, rows in stacked_rows(outlines):
        if scale != (1.0, 1.0):
            rows = rows * np.array(scale)[:, None]
        moved, bevelled = _offset_rows(rows, distance)
        lo, hi = moved.min(axis=2).tolist(), moved.max(axis=2).tolist()
        for k, (i, pts) in enumerate(zip(index, moved.transpose(0, 2, 1))):
            if k in bevelled:  # a bevelled corner adds vertices
                pts = bevelled[k]
                (lo[k], hi[k]) = pts.min(axis=0).tolist(), pts.max(axis=0).tolist()
            out[i], bounds[i] = pts, (*lo[k], *hi[k])
    return out, bounds


def offset_outline(pts: np.ndarray, distance: float) -> np.ndarray:
    """The closed outline `pts` (N, 2) with every slanted edge moved `distance` outwards.

    Edges along a pixel row or column rasterise exactly and stay where they are (a rect covers
    exactly its pixels). Each vertex moves to where its two edges' offset lines meet; a corner
    sharper than that (further than MITER_LIMIT times the distance) is bevelled instead.
    """
    if len(pts) < 3 or distance <= 0:
        return pts
    moved, bevelled = _offset_rows(np.ascontiguousarray(pts.T)[None], distance)
    return bevelled[0] if bevelled else moved[0].T.copy()


def _offset_rows(rows: np.ndarray, distance: float) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """offset_outline of M outlines of N vertices given as (M, 2, N) rows of x and y: the moved rows,
    and, by index, the outlines that have a bevelled corner (more vertices) as (N', 2) arrays."""
    if rows.shape[2] < 3 or distance <= 0:
        return rows, {}
    x, y = rows[:, 0], rows[:, 1]
    nxt = np.concatenate((rows[:, :, 1:], rows[:, :, :1]), axis=2)  # slices: np.roll costs several times more
    nx, ny = nxt[:, 0], nxt[:, 1]
    ex, ey = nx - x, ny - y  # edge i runs from vertex i to i + 1
    length = np.hypot(ex, ey)
    slanted = (np.abs(ex) > 1e-9) & (np.abs(ey) > 1e-9) & (length > 1e-9)
    still = ~slanted.any(axis=1)  # nothing to move
    if still.all():
        return rows, {}
    orientation = np.where(np.add.reduce(x * ny - nx * y, axis=1) >= 0, 1.0, -1.0)[:, None]
    norm = np.maximum(length, 1e-12)
    n2x, n2y = ey / norm * orientation, -ex / norm * orientation  # the edge out of each vertex
    d2 = np.where(slanted, distance, 0.0)
    n1x, n1y, d1 = (np.concatenate((v[:, -1:], v[:, :-1]), axis=1) for v in (n2x, n2y, d2))  # the edge into it
    det = n1x * n2y - n1y * n2x
    safe = np.where(np.abs(det) > 1e-6, det, 1.0)
    ax = (d1 * n2y - d2 * n1y) / safe
    ay = (n1x * d2 - n2x * d1) / safe
    parallel = np.abs(det) <= 1e-6  # straight on: move along the shared normal
    if parallel.any():
        most = np.maximum(d1, d2)
        ax[parallel], ay[parallel] = (n2x * most)[parallel], (n2y * most)[parallel]
    sharp = np.hypot(ax, ay) > MITER_LIMIT * distance
    moved = np.stack((x + ax, y + ay), axis=1)
    if still.any():
        moved[still] = rows[still]
    bevelled = {}
    for k in np.flatnonzero(sharp.any(axis=1) & ~still).tolist():
        # A sharp corner is bevelled: each of its edges moved out on its own, the corner cut between them.
        out = []
        for i, p in enumerate(rows[k].T):
            if sharp[k, i]:
                out += [p + np.array((n1x[k, i], n1y[k, i])) * d1[k, i],
                        p + np.array((n2x[k, i], n2y[k, i])) * d2[k, i]]
            else:
                out.append(p + np.array((ax[k, i], ay[k, i])))
        bevelled[k] = np.asarray(out)
    return moved, bevelled
