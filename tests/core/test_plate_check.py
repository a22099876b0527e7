"""The second look at plate candidates (detect/plate_check.py) on drawn scenes."""

from __future__ import annotations

import cv2
import numpy as np

from anonymizer_gui.core.detect.base import Detections
from anonymizer_gui.core.detect.plate_check import PENALTY, check_plates, widen_where_cut, background_colour, rectified

GREY = (90, 100, 95)


def scene_with(patch: np.ndarray, x: int, y: int, size=(720, 1280)) -> np.ndarray:
    img = np.full((*size, 3), GREY, np.uint8)
    img[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
    return img


def plate(width=240, height=52, band=False) -> np.ndarray:
    """Black characters on white, a thin dark rim; `band`: the blue EU band on the left."""
    p = np.full((height, width, 3), 245, np.uint8)
    cv2.rectangle(p, (0, 0), (width - 1, height - 1), (30, 30, 30), 2)
    if band:
        p[2:-2, 2:int(0.1 * width)] = (160, 60, 10)
    cv2.putText(p, "AB 123 CD", (int(0.14 * width), int(0.75 * height)), cv2.FONT_HERSHEY_SIMPLEX,
                height / 36, (20, 20, 20), 3, cv2.LINE_AA)
    return p


def lettering_on_blue(width=240, height=90) -> np.ndarray:
    """Two lines of white lettering on a saturated blue panel (a bus's side), larger than the text."""
    p = np.full((height * 2, width + 80, 3), (170, 70, 10), np.uint8)
    cv2.putText(p, "cero", (40, height // 2 + 30), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (255, 255, 255), 3, cv2.LINE_AA)
    cv2.putText(p, "emisiones", (40, height + 30), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (255, 255, 255), 3, cv2.LINE_AA)
    return p


def candidate(x1, y1, x2, y2, score=0.95) -> Detections:
    corners = np.array([[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]], np.float32)
    return Detections.create([[x1, y1, x2, y2]], [score], None, ("plate",), corners)


def test_a_plate_keeps_its_score():
    img = scene_with(plate(), 500, 300)
    out = check_plates(img, candidate(500, 300, 740, 352))
    assert out.scores[0] == np.float32(0.95)


def test_lettering_on_a_bus_is_scored_below_any_start_threshold():
    img = scene_with(lettering_on_blue(), 500, 300)
    # the network's quad round the lower line, as it boxes "emisiones" on the real bus
    out = check_plates(img, candidate(530, 360, 740, 410, score=0.99))
    assert out.scores[0] <= 0.99 * PENALTY + 1e-6
    assert len(out) == 1  # scored down, never dropped: it may still continue a confirmed plate track


def test_a_box_round_the_characters_only_is_widened_toward_the_band_side_alone():
    img = scene_with(plate(band=True), 500, 300)
    cand = np.array([540, 302, 700, 350], np.float32)  # the characters right of the band, a 3.3:1 box
    crop = rectified(img, np.array([[540, 302], [700, 302], [700, 350], [540, 350]], np.float32))
    widened = widen_where_cut(img, cand, 4.7, background_colour(crop))
    assert widened[0] < cand[0] - 20  # grew over the band, which is part of the plate
    assert widened[2] <= 742  # and not past the plate's right end (740) into the road


def test_a_box_that_holds_the_whole_plate_is_not_widened():
    img = scene_with(plate(width=170), 500, 300)  # a 3.3:1 plate (seen foreshortened)
    box = np.array([500, 300, 670, 352], np.float32)
    crop = rectified(img, np.array([[500, 300], [670, 300], [670, 352], [500, 352]], np.float32))
    np.testing.assert_allclose(widen_where_cut(img, box, 4.7, background_colour(crop)), box)


def test_a_two_line_plate_is_never_widened():
    img = scene_with(np.full((50, 80, 3), 240, np.uint8), 500, 300)
    box = np.array([500, 300, 580, 350], np.float32)
    crop = rectified(img, np.array([[500, 300], [580, 300], [580, 350], [500, 350]], np.float32))
    np.testing.assert_allclose(widen_where_cut(img, box, 4.7, background_colour(crop)), box)

