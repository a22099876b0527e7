"""The irreversibility floor: every style at every size, whatever the project says (issue 9, point 6)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from anonymizer_gui.core.project import MIN_STRENGTH, project_from_dict, project_to_dict
from anonymizer_gui.core.project.model import MaskStyle, MediaRef, Project, Shape
from anonymizer_gui.core.render import LEAK_DETAIL, retained_detail, render_bgr
from anonymizer_gui.core.render.floor import FEATURE_SCALE, SIGMA_CAP_SIDES

FACE = np.array([180.0, 40.0, 265.0, 150.0])  # the astronaut's face, 85 px wide in the 512 px photo


def _face_photo(face_width: int):
    skimage_data = pytest.importorskip("skimage.data")
    photo = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    s = face_width / 85.0
    img = cv2.resize(photo, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    return img, FACE * s


def _leftover(img, out, face, scale: float = 24.0) -> float:
    x1, y1, x2, y2 = (int(round(v)) for v in face)
    dx, dy = (x2 - x1) * 15 // 100, (y2 - y1) * 15 // 100
    grey = lambda im: cv2.cvtColor(im, cv2.COLOR_BGR2GRAY)[y1 + dy:y2 - dy, x1 + dx:x2 - dx]
    return retained_detail(grey(img), grey(out), max(x2 - x1, y2 - y1) * 24.0 / scale)


@pytest.mark.parametrize("face_width", [16, 24, 40, 85, 200, 400])
@pytest.mark.parametrize("kind", ["blur", "pixelate", "solid"])
@pytest.mark.parametrize("strength", [0.01, 0.25, 0.5, 1.0])
def test_every_style_at_every_size_is_irreversible_whatever_the_strength(kind, strength, face_width):
    img, face = _face_photo(face_width)
    # Shifted masks: where the pixelation grid falls on the features matters (floor.py).
    for shift in (-0.05, 0.0, 0.05):
        box = face + shift * (face[2] - face[0])
        out = render_bgr(img, [(Shape("ellipse", list(box)), MaskStyle(kind, strength=strength, margin=0.0))])
        assert _leftover(img, out, box) < LEAK_DETAIL
        if kind == "blur":
            assert _leftover(img, out, box) < 0.15  # the original face test's bar


@pytest.mark.parametrize("face_width", [16, 40, 400])
@pytest.mark.parametrize("strength", [0.01, 0.5])
def test_pixelation_keeps_at_most_five_cells_across_the_object_whatever_the_strength(strength, face_width):
    img, face = _face_photo(face_width)
    out = render_bgr(img, [(Shape("rect", list(face)), MaskStyle("pixelate", strength=strength, margin=0.0))])
    x1, y1 = (int(np.ceil(v)) for v in face[:2])
    x2, y2 = (int(v) for v in face[2:])
    inside = out[y1:y2, x1:x2].astype(int)
    assert 1 + np.count_nonzero(np.any(np.diff(inside, axis=1) != 0, axis=(0, 2))) <= 5
    assert 1 + np.count_nonzero(np.any(np.diff(inside, axis=0) != 0, axis=(1, 2))) <= 5


def test_the_measure_sees_a_face_that_is_left_alone():
    img, face = _face_photo(85)
    assert _leftover(img, img.copy(), face) > 0.95
    noisy = np.clip(img.astype(int) + np.random.default_rng(0).normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    assert _leftover(img, noisy, face) > 0.8  # a re-encode's noise does not hide a face


def test_weak_strengths_render_like_the_floor():
    img, face = _face_photo(85)
    for kind in ("blur", "pixelate"):
        weak = render_bgr(img, [(Shape("rect", list(face)), MaskStyle(kind, strength=0.25))])
        floor = render_bgr(img, [(Shape("rect", list(face)), MaskStyle(kind, strength=MIN_STRENGTH))])
        assert np.array_equal(weak, floor)


def test_project_json_raises_weak_strengths_to_the_floor():
    project = Project(media=MediaRef("v.mp4"), default_style=MaskStyle("pixelate", strength=0.3))
    data = project_to_dict(project)
    assert project_from_dict(data).default_style.strength == MIN_STRENGTH
    data["default_style"]["strength"] = 2.0
    assert project_from_dict(data).default_style.strength == 2.0


@pytest.mark.parametrize("where", ["inside", "across the border"])
def test_every_pixel_centred_inside_a_slanted_outline_is_covered(where):
    from anonymizer_gui.core.render.region import EDGE_SLACK

    rng = np.random.default_rng(1)
    for _ in range(150):
        n = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        centre = rng.uniform(10, 30, 2) if where == "inside" else rng.uniform(-6, 46, 2)
        radius = rng.uniform(3, 15, 2)
        pts = np.stack([centre[0] + radius[0] * np.cos(angles), centre[1] + radius[1] * np.sin(angles)], 1)
        out = render_bgr(np.zeros((40, 40, 3), np.uint8),
                         [(Shape("polygon", [float(v) for v in pts.ravel()]),
                           MaskStyle("solid", color=(255, 255, 255), margin=0.0, feather=0.0))])
        poly = pts.astype(np.float32)
        for y, x in np.argwhere(out[..., 0] != 255):
            assert cv2.pointPolygonTest(poly, (x + 0.5, y + 0.5), True) <= EDGE_SLACK, (pts, x, y)


def test_a_shape_leaving_the_picture_on_the_left_covers_its_border_pixels():
    # Found by the property test: fillPoly dropped pixels 1-2 px in for vertices at negative x.
    from anonymizer_gui.core.render.region import EDGE_SLACK

    pts = [4.2174, 10.0238, -0.32204, 9.12092, 20.4615, 0.74059]
    out = render_bgr(np.zeros((33, 44, 3), np.uint8),
                     [(Shape("polygon", pts), MaskStyle("solid", color=(255, 255, 255), margin=0.0, feather=0.0))])
    poly = np.asarray(pts, np.float32).reshape(-1, 2)
    missed = [(y, x) for y, x in np.argwhere(out[..., 0] != 255)
              if cv2.pointPolygonTest(poly, (x + 0.5, y + 0.5), True) > EDGE_SLACK]
    assert missed == []


@pytest.mark.parametrize("kind", ["blur", "pixelate", "solid"])
@pytest.mark.parametrize("side", [415_000.0, 1e9])
def test_a_shape_many_times_the_picture_masks_all_of_it(kind, side):
    """A mask far larger than the frame (a bad import, a runaway edit) hides what it covers like any
    other, in bounded memory: at 415,000 px a blur used to crash OpenCV (segfault), at 1e9 to ask
    numpy for terabytes."""
    img = np.random.default_rng(3).integers(0, 256, (360, 640, 3), np.uint8)
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    for shape in (Shape("rect", [100.0, -side / 2, 300.0 + side, side]),
                  Shape("ellipse", [320.0 - side, 180.0 - side, 320.0 + side, 180.0 + side])):
        x0 = 100 if shape.kind == "rect" else 0
        covered = np.zeros(grey.shape, np.uint8)
        covered[:, x0:] = 1
        for feather in (0.04, 0.0):  # the default feather's ramp (4 % of the shape) reaches past it too
            out = render_bgr(img, [(shape, MaskStyle(kind=kind, feather=feather))])
            assert retained_detail(grey, cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), 360, covered) < 0.02
            if x0 and not feather:
                np.testing.assert_array_equal(out[:, :x0], img[:, :x0])  # left of the rect: untouched


def test_the_detail_measure_of_a_shape_far_larger_than_its_region_is_bounded():
    # The leak check measures every track's own pixels; a legal shape of 1e7 px (json_io's bound)
    # gave OpenCV a Gaussian of sigma 400,000 over a 160 px region: minutes a call, an export that
    # never finished. Past the cap the blur is the region's mean either way.
    rng = np.random.default_rng(3)
    src = rng.integers(0, 256, (120, 160)).astype(np.uint8)
    out = cv2.GaussianBlur(src, (0, 0), 1.5)
    at_cap = retained_detail(src, out, FEATURE_SCALE * SIGMA_CAP_SIDES * 160)
    assert retained_detail(src, out, 2e7) == at_cap
    assert abs(retained_detail(src, out, FEATURE_SCALE * SIGMA_CAP_SIDES * 80) - at_cap) < 0.02
