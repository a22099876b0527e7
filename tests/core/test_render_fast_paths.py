"""The renderer's fast paths draw what their general forms draw, and 4:2:0 chroma is never covered less
than the luma it spans."""

from __future__ import annotations

import av
import numpy as np
import pytest

from anonymizer_gui.core.project.model import MaskStyle, Shape
from anonymizer_gui.core.render.frame_planes import plane_views, render_frame
from anonymizer_gui.core.render.masks import mask_extent
from anonymizer_gui.core.render.region import (_blend, _blend_mixed, _clip_polygon, _fill, _fill_on_canvas, _pooled,
                                               _shrunk)


@pytest.mark.parametrize("channels", [1, 3])
def test_blend_on_equal_types_matches_the_mixed_form_for_every_value(channels):
    d = np.arange(-255, 256)  # every difference effect - roi against every alpha
    roi = np.where(d < 0, 255, 0).astype(np.uint8)[:, None].repeat(256, axis=1)
    effect = (roi.astype(int) + d[:, None]).astype(np.uint8)
    alpha = np.tile(np.arange(256, dtype=np.uint8), (len(d), 1))
    if channels == 3:
        rng = np.random.default_rng(0)
        roi = rng.integers(0, 256, (*alpha.shape, 3), dtype=np.uint8)
        effect = rng.integers(0, 256, (*alpha.shape, 3), dtype=np.uint8)
    fast, mixed = roi.copy(), roi.copy()
    _blend(fast, effect, alpha)
    _blend_mixed(mixed, effect, alpha)
    assert np.array_equal(fast, mixed)
    untouched = alpha == 0
    assert np.array_equal(fast[untouched], roi[untouched])
    assert np.array_equal(fast[alpha == 255], effect[alpha == 255])


def test_blend_writes_through_a_strided_view():
    plane = np.zeros((50, 60), np.uint8)
    roi = plane[10:30, 5:45]
    _blend(roi, np.full(roi.shape, 200, np.uint8), np.full(roi.shape, 255, np.uint8))
    assert (plane[10:30, 5:45] == 200).all() and plane.sum() == 200 * 20 * 40


def test_a_polygon_drawn_straight_into_its_region_matches_the_padded_canvas():
    rng = np.random.default_rng(2)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(5, 60, 2))
        n = int(rng.integers(3, 40))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radius = rng.uniform(0.2, min(h, w) / 2, 2)
        centre = (rng.uniform(radius[0], w - radius[0]), rng.uniform(radius[1], h - radius[1]))
        pts = np.stack([centre[0] + radius[0] * np.cos(angles), centre[1] + radius[1] * np.sin(angles)], axis=1)
        direct = _fill(pts, (h, w), "test-direct")
        canvas = _fill_on_canvas(_shrunk(pts), (h, w), "test-canvas")
        assert (direct is None) == (canvas is None)
        if direct is not None:
            assert np.array_equal(direct, canvas)


def _clip_by_the_vertex_loop(pts, x0, y0, x1, y1):
    out = np.asarray(pts, np.float64)
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(out) == 0:
            break
        inside = out[:, axis] >= bound if keep_above else out[:, axis] <= bound
        kept = []
        for p, q, p_in, q_in in zip(out, np.roll(out, -1, axis=0), inside, np.roll(inside, -1)):
            if p_in:
                kept.append(p)
            if p_in != q_in:
                kept.append(p + (q - p) * ((bound - p[axis]) / (q[axis] - p[axis])))
        out = np.asarray(kept, np.float64).reshape(-1, 2)
    return out


def test_vectorised_clipping_matches_the_vertex_loop():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(3, 100))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        pts = np.stack([rng.uniform(-20, 60) + rng.uniform(1, 40) * np.cos(angles),
                        rng.uniform(-20, 60) + rng.uniform(1, 40) * np.sin(angles)], axis=1)
        if rng.random() < 0.2:
            pts[:, 0] = np.round(pts[:, 0])  # vertices on the bounds, edges along them
        assert np.array_equal(_clip_polygon(pts, -1.0, -1.0, 41.0, 31.0), _clip_by_the_vertex_loop(pts, -1.0, -1.0, 41.0, 31.0))


def test_pooled_coverage_is_the_most_opaque_pixel_spanned():
    alpha = np.random.default_rng(4).integers(0, 256, (7, 9), dtype=np.uint8)
    box, pooled = _pooled(alpha, (3, 2, 12, 9), 2, 2, np.zeros((5, 6), np.uint8))  # odd corner: half pixels
    assert box == (1, 1, 6, 5)
    full = np.zeros((10, 12), np.uint8)
    full[2:9, 3:12] = alpha
    expected = full.reshape(5, 2, 6, 2).max(axis=(1, 3))[1:5, 1:6]
    assert np.array_equal(pooled, expected)
    # A chroma plane rounded down (4 columns for 9 full-size ones): its pixels only, none past its edge.
    box, pooled = _pooled(alpha, (3, 2, 12, 9), 2, 2, np.zeros((4, 4), np.uint8))
    assert box == (1, 1, 4, 4) and np.array_equal(pooled, expected[:3, :3])


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv422p", "yuv410p"])
@pytest.mark.parametrize("size", [(320, 240), (321, 239)])
def test_chroma_is_covered_wherever_the_luma_it_spans_is(pix_fmt, size):
    w, h = size
    frame = av.VideoFrame(w, h, pix_fmt)
    for plane in plane_views(frame):
        plane.fill(0)
    masks = [(Shape("ellipse", [40.3, 30.7, 141.1, 151.9]), MaskStyle("solid", color=(255, 255, 255), feather=0.3)),
             (Shape("polygon", [200, 10, 330, 60, 250, 250]), MaskStyle("solid", color=(255, 255, 255), feather=0.0)),
             (Shape("rect", [-20, 200, 60, 260]), MaskStyle("solid", color=(255, 255, 255), feather=0.1))]
    render_frame(frame, masks)
    y, u, v = plane_views(frame)
    fy, fx = -(-h // u.shape[0]), -(-w // u.shape[1])
    padded = np.zeros((u.shape[0] * fy, u.shape[1] * fx), np.int32)
    padded[:h, :w] = y
    spans = padded.reshape(u.shape[0], fy, u.shape[1], fx)
    opaque_luma = (spans == 235).any(axis=(1, 3))  # limited-range white: a fully covered luma pixel
    assert opaque_luma.sum() > 100
    for chroma in (u, v):
        assert (chroma[opaque_luma] == 128).all()  # fully covered too
        assert not chroma[(spans == 0).all(axis=(1, 3))].any()  # nothing drawn where no luma is
        for shape, style in masks:  # and nothing outside any mask's extent
            x1, y1, x2, y2 = mask_extent(shape, style)
            chroma[max(0, int(y1 // fy) - 1):int(y2 // fy) + 2, max(0, int(x1 // fx) - 1):int(x2 // fx) + 2] = 0
        assert not chroma.any()
