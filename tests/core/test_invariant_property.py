"""The fail-closed invariant as a property (issue 9): for random projects, rendering covers every pixel
of every enabled track's true shape, irreversibly, on every frame from its first to its last keyframe.

Random: shapes (rect, ellipse, convex polygons of 3-7 vertices, partly outside the picture), keyframes
with `outside` flags and changing kinds or vertex counts, styles with any strength (the floor must
hold), margins, feathers, frame sizes (odd ones included) and the display rotation (masks drawn on
the coded picture as the export does, then turned for display), over a picture of faces. Two
checks per track and frame:
- coverage: the same geometry drawn as a solid fill colours every pixel whose centre lies in the
  true shape (the coverage of a mask does not depend on its style);
- irreversibility: under the track's own style, the shape's fine detail no longer correlates with the
  source's (render.retained_detail below render.LEAK_DETAIL).
CI runs a fixed, bounded set (profile "ci": derandomized, 30 examples); locally
HYPOTHESIS_PROFILE=thorough runs 500 random ones.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from anonymizer_gui.core.media import rotate_to_display  # noqa: E402
from anonymizer_gui.core.project import masks_at  # noqa: E402
from anonymizer_gui.core.project.model import Keyframe, MaskStyle, MediaRef, Project, Shape, Track  # noqa: E402
from anonymizer_gui.core.render.region import EDGE_SLACK  # noqa: E402
from anonymizer_gui.core.render import LEAK_DETAIL, retained_detail, render_bgr, shape_to_coded  # noqa: E402

settings.register_profile("ci", max_examples=30, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

MIN_SIDE = 6  # px: the smallest shapes drawn
MEASURED_SIDE = 24  # px: below this the detail measure's band (under a pixel) is steps, not features:
# a 14 px pixelation of 2.8 px cells reads 0.5 though it keeps 25 numbers; coverage is checked at every size


def _faces() -> np.ndarray:
    """A 512 px picture of faces: the astronaut's face (what the measure is calibrated on) at
    several sizes, so that every shape lies over facial detail."""
    skimage_data = pytest.importorskip("skimage.data")
    face = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)[30:160, 170:275]
    tiles = []
    for size in (40, 64, 100):
        tile = cv2.resize(face, (size, int(size * 130 / 105)), interpolation=cv2.INTER_AREA)
        tiles.append(np.tile(tile, (512 // tile.shape[0] + 1, 512 // size + 1, 1))[:512, :512])
    return np.concatenate([tiles[0][:, :170], tiles[1][:, :170], tiles[2][:, :172]], axis=1)


def true_pixels(shape: Shape, w: int, h: int) -> np.ndarray:
    """Pixels whose centre lies inside the shape by more than the renderer's stated precision,
    render.region.EDGE_SLACK (1/20 px; pixel i spans [i, i + 1))."""
    x1, y1, x2, y2 = shape.bbox()
    centre, half = np.array([(x1 + x2) / 2, (y1 + y2) / 2]), np.array([(x2 - x1) / 2, (y2 - y1) / 2])
    scale = np.maximum(half - EDGE_SLACK, 1e-6) / np.maximum(half, 1e-6)
    pts = (np.asarray(shape.points, float).reshape(-1, 2) - centre) * scale + centre
    return _centres_inside(Shape(shape.kind, [float(v) for v in pts.ravel()]), w, h)


@st.composite
def shapes(draw, w: int, h: int) -> Shape:
    kind = draw(st.sampled_from(["rect", "ellipse", "polygon"]))
    sw = draw(st.floats(MIN_SIDE, max(MIN_SIDE, 0.8 * w)))
    sh = draw(st.floats(MIN_SIDE, max(MIN_SIDE, 0.8 * h)))
    x1 = draw(st.floats(-0.3 * sw, w - 0.7 * sw))
    y1 = draw(st.floats(-0.3 * sh, h - 0.7 * sh))
    if kind != "polygon":
        return Shape(kind, [x1, y1, x1 + sw, y1 + sh])
    n = draw(st.integers(3, 7))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * np.pi), min_size=n, max_size=n, unique=True))))
    if np.ptp(angles) < np.pi:  # spread them so the polygon has some area
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False) + angles[0]
    xs = x1 + sw / 2 + sw / 2 * np.cos(angles)
    ys = y1 + sh / 2 + sh / 2 * np.sin(angles)
    return Shape("polygon", [float(v) for xy in zip(xs, ys) for v in xy])


@st.composite
def projects(draw):
    w, h = draw(st.integers(33, 97)), draw(st.integers(33, 97))
    frames = draw(st.integers(2, 7))
    tracks = []
    for track_id in range(1, draw(st.integers(1, 3)) + 1):
        keys = sorted(draw(st.lists(st.integers(0, frames - 1), min_size=1, max_size=4, unique=True)))
        keyframes = [Keyframe(f, draw(shapes(w, h)), outside=i > 0 and draw(st.booleans()))
                     for i, f in enumerate(keys)]
        style = MaskStyle(kind=draw(st.sampled_from(["blur", "pixelate", "solid"])),
                          strength=draw(st.floats(0.01, 3.0)), margin=draw(st.floats(0.0, 0.5)),
                          feather=draw(st.floats(0.0, 0.5)))
        tracks.append(Track(track_id, "face", source="manual", enabled=draw(st.booleans()) or track_id == 1,
                            style=style, keyframes=keyframes))
    rotation = draw(st.sampled_from([0, 90, 180, 270]))
    return Project(media=MediaRef("random.mp4", width=w, height=h, frame_count=frames), tracks=tracks), rotation


def _centres_inside(shape: Shape, w: int, h: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    if shape.kind == "rect":
        x1, y1, x2, y2 = shape.points
        return (xx >= x1) & (xx <= x2) & (yy >= y1) & (yy <= y2)
    if shape.kind == "ellipse":
        x1, y1, x2, y2 = shape.points
        cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
        return ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
    from skimage.draw import polygon

    pts = np.asarray(shape.points).reshape(-1, 2)
    rows, cols = polygon(pts[:, 1] - 0.5, pts[:, 0] - 0.5, (h, w))
    out = np.zeros((h, w), bool)
    out[rows, cols] = True
    return out


def render_as_export(display: np.ndarray, masks, rotation: int) -> np.ndarray:
    """Draw on the coded picture (what a rotated file stores) and turn it for display."""
    coded = np.ascontiguousarray(np.rot90(display, k=rotation // 90))
    ch, cw = coded.shape[:2]
    coded_masks = [(shape_to_coded(s, rotation, cw, ch), style) for s, style in masks]
    return rotate_to_display(render_bgr(coded, coded_masks), rotation)


@settings(settings.get_profile(PROFILE))
@given(case=projects(), offset=st.tuples(st.integers(0, 400), st.integers(0, 400)))
def test_every_enabled_track_is_irreversibly_masked_from_its_first_to_its_last_keyframe(case, offset):
    project, rotation = case
    w, h = project.media.width, project.media.height
    photo = _faces()
    for frame in range(project.media.frame_count):
        y0, x0 = (offset[0] + 7 * frame) % (512 - h), (offset[1] + 5 * frame) % (512 - w)
        source = photo[y0:y0 + h, x0:x0 + w].copy()
        found = masks_at(project, frame)
        out = render_as_export(source, [(s, style) for _, s, style in found], rotation)
        src_grey = cv2.cvtColor(source, cv2.COLOR_BGR2GRAY)
        out_grey = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
        for track in project.tracks:
            if not track.enabled or not track.first_frame <= frame <= track.last_frame:
                continue
            shape = next((s for t, s, _ in found if t is track), None)
            k = max(i for i, kf in enumerate(track.keyframes) if kf.frame <= frame)
            if shape is None:  # only an `outside` keyframe may hide a track inside its span
                assert track.keyframes[k].outside, (track.id, frame)
                continue
            inside = true_pixels(shape, w, h)
            if not inside.any():
                continue
            style = project.style_of(track)
            solid = MaskStyle("solid", color=(255, 0, 255), margin=style.margin, feather=style.feather)
            covered = np.all(render_as_export(source, [(shape, solid)], rotation) == (255, 0, 255), axis=2)
            assert covered[inside].all(), (track.id, frame, int((inside & ~covered).sum()))
            x1, y1, x2, y2 = shape.bbox()
            if min(x2 - x1, y2 - y1) < MEASURED_SIDE:
                continue
            c = retained_detail(src_grey, out_grey, max(x2 - x1, y2 - y1), inside)
            assert c < LEAK_DETAIL, (track.id, frame, style, c)
