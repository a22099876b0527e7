"""Frame-by-frame checks of the keyframe rules (CVAT's, fail-closed)."""

import pytest

from anonymizer_gui.core.project.interpolate import masked_ranges, masks_at, shape_at
from anonymizer_gui.core.project.model import Keyframe, MaskStyle, MediaRef, Project, Shape, Track


def rect(x1, y1, x2, y2):
    return Shape.rect(x1, y1, x2, y2)


def track(*kfs, **kw):
    return Track(1, "face", keyframes=list(kfs), **kw)


def test_linear_between_keyframes_and_exact_on_keyframes():
    t = track(Keyframe(0, rect(0, 0, 10, 10)), Keyframe(10, rect(20, 10, 40, 30)))
    assert shape_at(t, 0).points == [0, 0, 10, 10]
    assert shape_at(t, 5).points == pytest.approx([10, 5, 25, 20])
    assert shape_at(t, 10).points == [20, 10, 40, 30]


def test_nothing_before_first_or_after_last_keyframe():
    t = track(Keyframe(3, rect(0, 0, 10, 10)), Keyframe(6, rect(0, 0, 10, 10)))
    assert shape_at(t, 2) is None
    assert shape_at(t, 7) is None
    assert all(shape_at(t, f) is not None for f in range(3, 7))


def test_outside_hides_until_next_keyframe_and_holds_shape_before_it():
    t = track(Keyframe(0, rect(0, 0, 10, 10)), Keyframe(4, rect(100, 100, 110, 110), outside=True),
              Keyframe(8, rect(50, 50, 60, 60)))
    # the shape is held (not interpolated toward an outside keyframe)
    assert shape_at(t, 3).points == [0, 0, 10, 10]
    assert [shape_at(t, f) for f in range(4, 8)] == [None] * 4
    assert shape_at(t, 8).points == [50, 50, 60, 60]
    assert masked_ranges(t) == [(0, 3), (8, 8)]


def _covers(shape: Shape, other: Shape) -> bool:
    """Does `shape` hold every vertex (and, for an ellipse, its outline) of `other`?"""
    import cv2
    import numpy as np

    from anonymizer_gui.core.project.interpolate import _outline

    poly = _outline(shape).astype(np.float32)
    return all(cv2.pointPolygonTest(poly, (float(x), float(y)), True) >= -1e-3
               for x, y in _outline(other) * 0.999 + _outline(other).mean(axis=0) * 0.001)


def test_polygons_interpolate_with_aligned_vertices():
    a = Shape("polygon", [0, 0, 10, 0, 10, 10])
    b = Shape("polygon", [10, 0, 20, 0, 20, 10])
    assert shape_at(track(Keyframe(0, a), Keyframe(2, b)), 1).points == [5, 0, 15, 0, 15, 10]


def test_the_same_square_keyed_from_another_corner_stays_masked_midway():
    a = Shape("polygon", [0, 0, 10, 0, 10, 10, 0, 10])
    b = Shape("polygon", [10, 10, 0, 10, 0, 0, 10, 0])  # the same square, from the opposite corner
    c = Shape("polygon", [0, 10, 10, 10, 10, 0, 0, 0])  # ... and the other way round
    for other in (b, c):
        mid = shape_at(track(Keyframe(0, a), Keyframe(2, other)), 1)
        assert sorted(zip(mid.points[0::2], mid.points[1::2])) == sorted(zip(a.points[0::2], a.points[1::2]))


def test_unmatched_polygons_and_kinds_are_masked_by_the_union_of_both():
    a = Shape("polygon", [0, 0, 10, 0, 10, 10])
    c = Shape("polygon", [30, 0, 40, 0, 40, 10, 30, 10])
    mid = shape_at(track(Keyframe(0, a), Keyframe(2, c)), 1)
    assert _covers(mid, a) and _covers(mid, c)
    r, e = rect(0, 0, 10, 10), Shape("ellipse", [10, 10, 20, 20])
    mid = shape_at(track(Keyframe(0, r), Keyframe(4, e)), 2)
    assert _covers(mid, r) and _covers(mid, e)
    assert shape_at(track(Keyframe(0, r), Keyframe(4, e)), 0).points == r.points  # keyframes stay as keyed


def test_every_frame_between_first_and_last_is_masked_fail_closed():
    t = track(*(Keyframe(f, rect(f, 0, f + 5, 5)) for f in (0, 7, 30, 31, 90)))
    assert all(shape_at(t, f) is not None for f in range(0, 91))
    assert masked_ranges(t) == [(0, 90)]


def test_masks_at_skips_disabled_and_resolves_default_style():
    own = MaskStyle(kind="solid")
    on = Track(1, "face", keyframes=[Keyframe(0, rect(0, 0, 4, 4))])
    styled = Track(2, "plate", style=own, keyframes=[Keyframe(0, rect(0, 0, 4, 4))])
    off = Track(3, "face", review="rejected", reason_code="false_detection", keyframes=[Keyframe(0, rect(0, 0, 4, 4))])
    p = Project(MediaRef("v.mp4", frame_count=1), [on, styled, off])
    got = {t.id: style for t, _, style in masks_at(p, 0)}
    assert got == {1: p.default_style, 2: own}
