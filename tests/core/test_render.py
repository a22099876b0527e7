"""Renderer: styles x shapes, margin, feather, borders, overlaps, irreversibility, preview == export."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from anonymizer_gui.core.render.frame_planes import is_renderable, layout_of, plane_views, render_frame
from anonymizer_gui.core.media.rotation import rotate_to_display
from anonymizer_gui.core.project.model import MaskStyle, Shape
from anonymizer_gui.core.render.masks import (PIXELATE_CELLS, PlaneLayout, grown_outline, mask_extent, render_bgr,
                                        render_planes, shape_to_coded)
from tests.clips import detail, gradient

W, H = 320, 240
BOX = (60.0, 50.0, 160.0, 150.0)


def textured(width: int = W, height: int = H, box=BOX, seed: int = 0) -> np.ndarray:
    """A smooth gradient with a patch of noise (much detail) inside `box`."""
    img = gradient(width, height)
    x1, y1, x2, y2 = (int(v) for v in box)
    rng = np.random.default_rng(seed)
    img[y1:y2, x1:x2] = rng.integers(0, 256, (y2 - y1, x2 - x1, 3), dtype=np.uint8)
    return img


def shape_of(kind: str, box=BOX) -> Shape:
    x1, y1, x2, y2 = box
    if kind == "polygon":
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        return Shape("polygon", [cx, y1, x2, cy, cx + (x2 - x1) / 4, y2, cx - (x2 - x1) / 4, y2, x1, cy])
    return Shape(kind, [x1, y1, x2, y2])


def inner_box(box, share: float = 0.25):
    """The central part of a box, inside every shape kind drawn in it."""
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * share, (y2 - y1) * share
    return (x1 + dx, y1 + dy, x2 - dx, y2 - dy)


def outside_extent(shape: Shape, style: MaskStyle, h: int = H, w: int = W) -> np.ndarray:
    x1, y1, x2, y2 = mask_extent(shape, style)
    keep = np.ones((h, w), bool)
    keep[max(0, int(np.floor(y1)) - 1):int(np.ceil(y2)) + 1, max(0, int(np.floor(x1)) - 1):int(np.ceil(x2)) + 1] = False
    return keep


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64).ravel() - a.mean()
    b = b.astype(np.float64).ravel() - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b) + 1e-9))


@pytest.mark.parametrize("kind", ["rect", "ellipse", "polygon"])
@pytest.mark.parametrize("style", ["blur", "pixelate", "solid"])
def test_each_style_and_shape_hides_the_inside_and_spares_the_outside(style, kind):
    img = textured()
    shape, mask_style = shape_of(kind), MaskStyle(style, color=(200, 30, 40))
    out = render_bgr(img, [(shape, mask_style)])
    inner = inner_box(BOX)
    if style == "solid":
        x1, y1, x2, y2 = (int(v) for v in inner)
        assert (out[y1:y2, x1:x2] == (40, 30, 200)).all()
    elif style == "blur":
        assert detail(out, inner) < 0.05 * detail(img, inner)
    else:  # pixelate: flat blocks, so only block edges remain
        assert detail(out, inner) < 0.6 * detail(img, inner)
    keep = outside_extent(shape, mask_style)
    assert np.array_equal(out[keep], img[keep])
    assert not np.shares_memory(out, img)


def test_render_bgr_leaves_its_input_alone():
    img = textured()
    before = img.copy()
    render_bgr(img, [(shape_of("rect"), MaskStyle())])
    assert np.array_equal(img, before)


def test_margin_grows_the_covered_area_by_a_share_of_the_size():
    img = np.zeros((H, W, 3), np.uint8)
    shape = Shape("rect", [60, 50, 160, 150])  # 100 x 100
    row = 100
    tight = render_bgr(img, [(shape, MaskStyle("solid", color=(255, 255, 255), margin=0, feather=0))])
    assert tight[row, 60:160].min() == 255 and tight[row, 59].max() == 0 and tight[row, 160].max() == 0
    grown = render_bgr(img, [(shape, MaskStyle("solid", color=(255, 255, 255), margin=0.25, feather=0))])
    assert grown[row, 35:185].min() == 255  # 25 px more on each side
    assert grown[row, 34].max() == 0 and grown[row, 185].max() == 0
    assert grown[25:175, 110].min() == 255 and grown[24, 110].max() == 0


def test_feather_is_a_soft_ramp_outside_the_grown_shape():
    img = np.zeros((H, W, 3), np.uint8)
    shape = Shape("rect", [100, 80, 180, 160])  # 80 px: feather 0.3 -> a 24 px ramp
    out = render_bgr(img, [(shape, MaskStyle("solid", color=(255, 255, 255), margin=0, feather=0.3))])
    row = out[120, :, 0].astype(int)
    assert row[100:180].min() == 255  # the shape itself stays fully covered
    ramp = row[180:210]
    assert (np.diff(ramp) <= 0).all()  # fades out monotonically
    assert len(set(ramp[(ramp > 0) & (ramp < 255)])) >= 8  # soft, not a step
    x1, _, x2, _ = mask_extent(shape, MaskStyle("solid", margin=0, feather=0.3))
    assert x2 - 180 < 24 * 1.5  # the ramp is about the feather wide
    assert row[int(np.ceil(x2)):].max() == 0 and row[:int(x1)].max() == 0  # and ends within the extent
    hard = render_bgr(img, [(shape, MaskStyle("solid", color=(255, 255, 255), margin=0, feather=0))])
    assert set(np.unique(hard[120, :, 0])) == {0, 255}


def test_shapes_partly_outside_the_frame_are_clipped():
    img = textured()
    shapes = [Shape("rect", [-50, -40, 40, 30]), Shape("ellipse", [280, 200, 400, 300]),
              Shape("polygon", [-30, 120, 30, 100, 20, 180])]
    out = render_bgr(img, [(s, MaskStyle("solid", color=(0, 255, 0), margin=0, feather=0)) for s in shapes])
    assert (out[0:30, 0:40] == (0, 255, 0)).all()
    assert (out[235:240, 315:320] == (0, 255, 0)).all()
    assert (out[140, 0:5] == (0, 255, 0)).all()
    assert np.array_equal(out[100:180, 100:250], img[100:180, 100:250])


def test_shapes_wholly_outside_the_frame_change_nothing():
    img = textured()
    shapes = [Shape("rect", [-200, -200, -10, -10]), Shape("ellipse", [W + 5, 0, W + 90, 80]),
              Shape("polygon", [0, H + 10, 50, H + 60, -20, H + 40])]
    out = render_bgr(img, [(s, MaskStyle(margin=0, feather=0)) for s in shapes])
    assert np.array_equal(out, img)


def test_overlapping_shapes_are_all_covered_and_later_ones_on_top():
    img = textured(box=(40, 40, 280, 200))
    blur, solid = Shape("rect", [40, 40, 200, 200]), Shape("rect", [150, 60, 280, 180])
    out = render_bgr(img, [(blur, MaskStyle("blur")), (solid, MaskStyle("solid", color=(0, 0, 255)))])
    assert (out[80:160, 160:270] == (255, 0, 0)).all()  # the overlap shows the later mask
    assert detail(out, (60, 60, 120, 180)) < 0.05 * detail(img, (60, 60, 120, 180))
    both = render_bgr(img, [(blur, MaskStyle("blur")), (solid, MaskStyle("blur"))])
    assert detail(both, (60, 60, 260, 180)) < 0.05 * detail(img, (60, 60, 260, 180))


@pytest.mark.parametrize("size", [40, 400])
def test_default_blur_is_irreversible_whatever_the_size(size):
    w = h = size + 200
    box = (100.0, 100.0, 100.0 + size, 100.0 + size)
    img = textured(w, h, box)
    out = render_bgr(img, [(Shape("rect", list(box)), MaskStyle())])
    inner = inner_box(box, 0.1)
    assert detail(out, inner) < 0.03 * detail(img, inner)
    x1, y1, x2, y2 = (int(v) for v in inner)
    for c in range(3):
        assert abs(correlation(img[y1:y2, x1:x2, c], out[y1:y2, x1:x2, c])) < 0.2


@pytest.mark.parametrize("size", [40, 400])
def test_default_pixelation_keeps_at_most_five_flat_blocks_across(size):
    w = h = size + 200
    box = (100.0, 100.0, 100.0 + size, 100.0 + size)
    img = textured(w, h, box)
    out = render_bgr(img, [(Shape("rect", list(box)), MaskStyle("pixelate"))])
    inside = out[100:100 + size, 100:100 + size].astype(int)
    runs_x = 1 + np.count_nonzero(np.any(np.diff(inside, axis=1) != 0, axis=(0, 2)))
    runs_y = 1 + np.count_nonzero(np.any(np.diff(inside, axis=0) != 0, axis=(1, 2)))
    assert PIXELATE_CELLS <= 5 and runs_x <= PIXELATE_CELLS and runs_y <= PIXELATE_CELLS
    # Each block is the mean of the pixels under it: nothing else of the original survives.
    cell = size / PIXELATE_CELLS
    c = 100 + size / 2
    a, b = int(round(c - cell / 2)), int(round(c + cell / 2))
    block = img[a:b, a:b].reshape(-1, 3).mean(axis=0)
    assert np.abs(out[int(c), int(c)] - block).max() <= 1
    fewer = render_bgr(img, [(Shape("rect", list(box)), MaskStyle("pixelate", strength=2.0))])
    inside2 = fewer[100:100 + size, 100:100 + size].astype(int)
    assert 1 + np.count_nonzero(np.any(np.diff(inside2, axis=1) != 0, axis=(0, 2))) <= np.ceil(PIXELATE_CELLS / 2)


def _feature_detail(img: np.ndarray, box) -> float:
    """Laplacian at the scale of facial features: the region resized to 48 px first."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    grey = cv2.cvtColor(img[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    grey = cv2.resize(grey, (48, 48), interpolation=cv2.INTER_AREA).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F)[1:-1, 1:-1]).mean())


@pytest.mark.parametrize("face_width", [40, 400])
def test_a_real_face_is_unrecognisable_after_the_default_blur(face_width):
    skimage_data = pytest.importorskip("skimage.data")
    photo = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    face = np.array([180.0, 40.0, 265.0, 150.0])  # 85 px wide in the 512 px photo
    s = face_width / 85.0
    img = cv2.resize(photo, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    face = face * s
    out = render_bgr(img, [(Shape("ellipse", list(face)), MaskStyle())])
    inner = inner_box(face, 0.15)
    assert _feature_detail(out, inner) < 0.12 * _feature_detail(img, inner)
    x1, y1, x2, y2 = (int(round(v)) for v in inner)
    grey_in = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[y1:y2, x1:x2].astype(np.float32)
    grey_out = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)[y1:y2, x1:x2].astype(np.float32)
    sigma = face_width / 12.0  # keep eyes, nose and mouth; drop the face's overall shading
    band_in = grey_in - cv2.GaussianBlur(grey_in, (0, 0), sigma)
    band_out = grey_out - cv2.GaussianBlur(grey_out, (0, 0), sigma)
    assert abs(correlation(band_in, band_out)) < 0.15


def _to_planes(img: np.ndarray, pix_fmt: str) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(img, format="bgr24").reformat(format=pix_fmt)


@pytest.mark.parametrize("pix_fmt, mean_tol, p99_tol", [("yuv420p", 1.0, 12), ("yuv444p", 0.5, 3),
                                                          ("yuvj420p", 1.0, 12), ("yuv420p10le", 1.0, 12)])
def test_preview_matches_the_export_path(pix_fmt, mean_tol, p99_tol):
    img = cv2.GaussianBlur(textured(W + 1, H - 1, box=(40, 30, 300, 220)), (0, 0), 1.0)  # odd size too
    masks = [(shape_of("rect"), MaskStyle("blur")), (shape_of("ellipse", (150, 20, 300, 120)), MaskStyle("pixelate")),
             (shape_of("polygon", (180, 130, 300, 230)), MaskStyle("solid", color=(200, 30, 40)))]
    preview = render_bgr(img, masks)
    frame = _to_planes(img, pix_fmt)
    render_frame(frame, masks)
    exported = frame.to_ndarray(format="bgr24")
    # What the operator saw, through the same colour conversion the encoder input goes through.
    reference = _to_planes(preview, pix_fmt).to_ndarray(format="bgr24")
    diff = np.abs(exported.astype(int) - reference.astype(int))
    assert diff.mean() < mean_tol
    assert np.percentile(diff, 99) <= p99_tol


def test_plane_rendering_touches_only_each_masks_region():
    rng = np.random.default_rng(3)
    frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), format="bgr24")
    frame = frame.reformat(format="yuv420p")
    before = [p.copy() for p in plane_views(frame)]
    masks = [(Shape("ellipse", [30, 40, 90, 120]), MaskStyle("blur", feather=0.3)),
             (Shape("polygon", [200, 20, 260, 60, 220, 110]), MaskStyle("pixelate", margin=0.3))]
    render_frame(frame, masks)
    after = plane_views(frame)
    for i, scale in enumerate(((1.0, 1.0), (0.5, 0.5), (0.5, 0.5))):
        keep = np.ones(after[i].shape, bool)
        for shape, style in masks:
            x1, y1, x2, y2 = mask_extent(shape, style)
            keep[max(0, int(y1 * scale[1]) - 2):int(y2 * scale[1]) + 3,
                 max(0, int(x1 * scale[0]) - 2):int(x2 * scale[0]) + 3] = False
        assert np.array_equal(after[i][keep], before[i][keep])
        assert not np.array_equal(after[i], before[i])


def test_decoded_frames_are_copied_before_drawing(tmp_clip):
    """A decoder's reference pictures must not change: later frames are predicted from them."""
    masks = [(Shape("rect", [0, 40, 320, 240]), MaskStyle("solid"))]
    with av.open(str(tmp_clip.path)) as c:
        plain = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    with av.open(str(tmp_clip.path)) as c:
        drawn = []
        for f in c.decode(video=0):
            copy = f.to_ndarray(format="bgr24")
            render_frame(f, masks)
            drawn.append(copy)
    for a, b in zip(plain, drawn):
        assert np.array_equal(a, b)


def test_ten_bit_frames_keep_their_range_and_lose_their_detail():
    img = textured()
    frame = _to_planes(img, "yuv420p10le")
    assert layout_of(frame).bits == 10 and layout_of(frame).max_value == 1023
    render_frame(frame, [(shape_of("rect"), MaskStyle()), (Shape("rect", [200, 20, 300, 80]), MaskStyle("solid"))])
    y = plane_views(frame)[0]
    assert y.dtype == np.uint16 and y.max() <= 1023
    assert abs(int(y[50, 250]) - 64) <= 1  # black is 64 in 10-bit limited range
    out = frame.to_ndarray(format="bgr24")
    assert detail(out, inner_box(BOX)) < 0.05 * detail(img, inner_box(BOX))


def test_grey_frames_are_drawn_on_too():
    frame = av.VideoFrame.from_ndarray(textured(), format="bgr24").reformat(format="gray")
    assert is_renderable("gray")
    render_frame(frame, [(shape_of("rect"), MaskStyle("solid", color=(255, 255, 255)))])
    assert (plane_views(frame)[0][60:140, 70:150] == 255).all()


def test_formats_the_renderer_cannot_draw_on_are_named():
    assert not is_renderable("nv12") and not is_renderable("rgb24") and not is_renderable("yuva420p")
    frame = av.VideoFrame(64, 48, "nv12")
    with pytest.raises(ValueError, match="nv12"):
        render_frame(frame, [(Shape("rect", [0, 0, 10, 10]), MaskStyle())])


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_masks_in_display_pixels_land_in_the_same_place_on_coded_frames(rotation):
    display = textured()
    coded = np.ascontiguousarray(np.rot90(display, k=rotation // 90))  # what a rotated file stores
    ch, cw = coded.shape[:2]
    masks = [(Shape("rect", [30, 20, 130, 90]), MaskStyle("solid", color=(255, 0, 0), feather=0)),
             (Shape("ellipse", [150, 100, 260, 220]), MaskStyle("solid", color=(0, 0, 255), feather=0)),
             (Shape("polygon", [200, 10, 300, 40, 250, 90]), MaskStyle("solid", color=(0, 255, 0), feather=0))]
    coded_masks = [(shape_to_coded(s, rotation, cw, ch), st) for s, st in masks]
    assert all(s.kind == c.kind for (s, _), (c, _) in zip(masks, coded_masks))
    shown = rotate_to_display(render_bgr(coded, coded_masks), rotation)
    expected = render_bgr(display, masks)
    # Straight edges rasterise identically; slanted ones may differ by one pixel along the edge.
    for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0)):
        a = np.all(shown == colour[::-1], axis=2).astype(np.uint8)
        b = np.all(expected == colour[::-1], axis=2).astype(np.uint8)
        assert a.sum() > 1000
        assert not (a & ~cv2.dilate(b, np.ones((3, 3), np.uint8)).astype(bool)).any()
        assert not (b & ~cv2.dilate(a, np.ones((3, 3), np.uint8)).astype(bool)).any()
        assert (a != b).sum() < 0.05 * a.sum()
    assert np.array_equal(shown[60:70, 40:120], expected[60:70, 40:120])  # the rect: exact
    blurred = rotate_to_display(render_bgr(coded, [(s, MaskStyle()) for s, _ in coded_masks]), rotation)
    expected = render_bgr(display, [(s, MaskStyle()) for s, _ in masks])
    assert np.abs(blurred.astype(int) - expected.astype(int)).mean() < 0.5


def test_tiny_and_degenerate_shapes_still_cover_what_they_touch():
    img = textured()
    out = render_bgr(img, [(Shape("rect", [100.2, 100.2, 100.6, 100.7]), MaskStyle("solid", margin=0, feather=0))])
    assert (out[100, 100] == 0).all()
    flat = render_bgr(img, [(Shape("polygon", [70, 60, 90, 60, 110, 60]), MaskStyle("solid", margin=0, feather=0))])
    assert (flat[60, 75:105] == 0).all()


def test_solid_colours_are_converted_for_yuv_planes():
    for matrix, full in (("bt601", False), ("bt709", False), ("bt601", True)):
        layout = PlaneLayout("yuv", ((1.0, 1.0), (0.5, 0.5), (0.5, 0.5)), matrix=matrix, full_range=full)
        y, u, v = (float(p) for p in layout.solid_values((255, 255, 255)))
        assert (y, u, v) == ((255.0, 128.0, 128.0) if full else (235.0, 128.0, 128.0))
        y, u, v = (float(p) for p in layout.solid_values((0, 0, 0)))
        assert y == (0.0 if full else 16.0) and u == v == 128.0
    planes = [np.zeros((20, 20), np.uint8), np.zeros((10, 10), np.uint8), np.zeros((10, 10), np.uint8)]
    layout = PlaneLayout("yuv", ((1.0, 1.0), (0.5, 0.5), (0.5, 0.5)))
    render_planes(planes, layout, [(Shape("rect", [0, 0, 20, 20]), MaskStyle("solid", color=(255, 0, 0)))])
    assert (int(planes[0][5, 5]), int(planes[1][2, 2]), int(planes[2][2, 2])) == (81, 90, 240)  # BT.601 red


def test_grown_outline_contains_the_shape():
    outline = grown_outline(Shape("ellipse", [10, 20, 110, 70]), MaskStyle(margin=0.1))
    assert outline[:, 0].min() < 0 + 10 - 9 and outline[:, 0].max() > 110 + 9
    assert outline[:, 1].min() < 20 - 4.5 and outline[:, 1].max() > 70 + 4.5


@pytest.mark.parametrize("kind", ["rect", "ellipse", "polygon"])
@pytest.mark.parametrize("size, feather", [(40, 0.1), (300, 0.1), (300, 0.4)])
def test_every_pixel_of_the_grown_shape_is_fully_covered(kind, size, feather):
    """The soft edge is computed on a coarse grid for wide feathers; it must never soften the inside."""
    box = (50.0, 40.0, 50.0 + size, 40.0 + size * 0.8)
    shape, style = shape_of(kind, box), MaskStyle("solid", color=(255, 255, 255), feather=feather)
    img = np.zeros((int(box[3]) + 200, int(box[2]) + 200, 3), np.uint8)
    out = render_bgr(img, [(shape, style)])
    outline = grown_outline(shape, style)
    inside = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round((outline - 0.5) * 16).astype(np.int32)], 1, shift=4)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8)).astype(bool)  # centres well inside
    assert inside.sum() > 0.5 * size * size * 0.8
    assert (out[inside] == 255).all()
