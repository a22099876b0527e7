"""A second look at each plate candidate before it may start a track, and widening where it is cut.

The plate network (retina_plate.py) fires on any short run of high-contrast lettering: a bus's
"cero emisiones", a shirt's print, a shop sign, often at a score near 1. A plate differs in what
is *around* the characters: one flat, light, unsaturated (white) or yellow background filling
most of the quadrilateral its four corners outline, with dark characters on it.
`plate_likeness` measures that on the candidate rectified by its corners:

- background share: Otsu splits the crop into a light and a dark class; on a plate the light
  background holds most pixels (lettering on a sign is often light on dark);
- contrast between the classes (characters must be there);
- colour of the background: low saturation (white, grey, silver) or a yellow hue;
- or, for a plate with light characters on blue (Chinese style), a saturated blue background
  holding one line of at least MIN_CHARACTERS tall characters inside a light frame along its top
  and bottom edges (lettering on a blue bus or shirt has the blue panel above and below it).

A candidate that fails is not dropped: its score is multiplied by `penalty`, so it cannot start a
track on its own but can still continue a confirmed one (a real plate seen blurred or at an
angle for a few frames), and a very strong one (a plate the check misreads) still counts.

Widening: the network learnt Chinese plates (about 3:1) and on a European plate (4.7:1) often
boxes only the characters. A box narrower than `min_aspect` is widened only toward a side where
the picture just beyond its edge continues the plate (the same background colour, or the blue EU
band on the left), strip by strip for as long as it does; a box whose edges show the plate
ending there stays as it is, and so does a
squarish box (under MIN_WIDEN_ASPECT: a two-line scooter or motorcycle plate).
"""

from __future__ import annotations

import cv2
import numpy as np

from .base import Detections

RECT_HEIGHT = 24  # px: height the candidate is rectified to
MIN_BACKGROUND_SHARE = 0.45
MIN_CONTRAST = 40.0  # luma levels between the classes
MAX_BACKGROUND_SATURATION = 0.30
YELLOW_HUE = (15, 38)  # OpenCV hue (0-180)
MIN_YELLOW_SATURATION = 0.35
PENALTY = 0.2
BLUE_HUE = (95, 130)
MIN_BLUE_SATURATION = 0.4
MIN_CHARACTERS = 4
CHARACTER_HEIGHT = (0.4, 0.95)  # of the rectified plate's height
CONTINUES_DISTANCE = 45.0  # BGR distance from the plate's background that still counts as plate
MIN_WIDEN_ASPECT = 2.4  # a squarer candidate is a two-line plate (scooter, motorcycle): never widened


def rectified(image: np.ndarray, corners: np.ndarray) -> np.ndarray | None:
    """The quadrilateral (top-left first, clockwise) warped to RECT_HEIGHT rows, BGR."""
    q = np.asarray(corners, np.float32).reshape(4, 2)
    width = (np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])) / 2
    height = (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
    if width < 4 or height < 4 or not np.isfinite(q).all():
        return None
    out_w = int(np.clip(round(RECT_HEIGHT * width / height), 8, 8 * RECT_HEIGHT))
    dst = np.array([[0, 0], [out_w, 0], [out_w, RECT_HEIGHT], [0, RECT_HEIGHT]], np.float32)
    matrix = cv2.getPerspectiveTransform(q, dst)
    return cv2.warpPerspective(image, matrix, (out_w, RECT_HEIGHT), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_REPLICATE)


def plate_likeness(crop: np.ndarray) -> dict[str, float]:
    """Background share, contrast, background saturation and hue of a rectified candidate."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light = gray > threshold
    if light.all() or not light.any():
        return {"share": float(light.mean()), "contrast": 0.0, "saturation": 0.0, "hue": 0.0}
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    return {"share": float(light.mean()),
            "contrast": float(gray[light].mean() - gray[~light].mean()),
            "saturation": float(np.median(hsv[..., 1][light]) / 255.0),
            "hue": float(np.median(hsv[..., 0][light])),
            "dark_saturation": float(np.median(hsv[..., 1][~light]) / 255.0),
            "dark_hue": float(np.median(hsv[..., 0][~light])),
            "tall_light_characters": float(_tall_characters(light))}


def _tall_characters(ink: np.ndarray) -> int:
    """Characters of one line as tall as plate characters; 0 when there is a second line of text.

    Blobs of `ink` narrower than half the crop and at least CHARACTER_HEIGHT[0] of its height are
    counted when their centres lie on the line of the median one; blobs whose centres lie a
    quarter of the height off that line are a second line (lettering, not a one-line plate).
    """
    count, _, stats, centroids = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    h, w = ink.shape
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    centres = centroids[1:, 1]
    glyphs = (heights >= 0.25 * h) & (heights <= CHARACTER_HEIGHT[1] * h) & (widths < 0.5 * w)
    if not glyphs.any():
        return 0
    line = np.median(centres[glyphs])
    off_line = glyphs & (np.abs(centres - line) > 0.25 * h)
    if np.count_nonzero(off_line) >= 2:
        return 0
    tall = glyphs & (heights >= CHARACTER_HEIGHT[0] * h) & (np.abs(centres - line) <= 0.15 * h)
    return int(np.count_nonzero(tall))


def looks_like_plate(features: dict[str, float]) -> bool:
    if features["contrast"] < MIN_CONTRAST:
        return False
    yellow = (YELLOW_HUE[0] <= features["hue"] <= YELLOW_HUE[1]
              and features["saturation"] >= MIN_YELLOW_SATURATION)
    light_plate = (features["share"] >= MIN_BACKGROUND_SHARE
                   and (features["saturation"] <= MAX_BACKGROUND_SATURATION or yellow))
    blue_plate = (1.0 - features["share"] >= MIN_BACKGROUND_SHARE
                  and BLUE_HUE[0] <= features.get("dark_hue", 0) <= BLUE_HUE[1]
                  and features.get("dark_saturation", 0) >= MIN_BLUE_SATURATION
                  and features.get("tall_light_characters", 0) >= MIN_CHARACTERS
                  and features.get("framed", 0.0) > 0)
    return light_plate or blue_plate


def background_colour(crop: np.ndarray) -> np.ndarray:
    """Median BGR of the majority Otsu class of a rectified candidate: the plate's background."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light = gray > threshold
    major = light if light.mean() >= 0.5 else ~light
    return np.median(crop[major], axis=0).astype(np.float32)


def _strip_continues(image: np.ndarray, x0: float, x1: float, y0: float, y1: float,
                     background: np.ndarray, allow_blue: bool) -> bool:
    """Does the picture in x0..x1 (beside the box) carry on the plate's background (or an EU band)?"""
    h, w = image.shape[:2]
    X0, X1 = int(max(0, np.floor(x0))), int(min(w, np.ceil(x1)))
    Y0, Y1 = int(max(0, np.floor(y0))), int(min(h, np.ceil(y1)))
    if X1 - X0 < 1 or Y1 - Y0 < 2:
        return False
    strip = image[Y0:Y1, X0:X1]
    if allow_blue:
        hsv = cv2.cvtColor(strip, cv2.COLOR_BGR2HSV)
        hue, sat = np.median(hsv[..., 0]), np.median(hsv[..., 1])
        if BLUE_HUE[0] <= hue <= BLUE_HUE[1] and sat >= MIN_BLUE_SATURATION * 255:
            return True
    close = np.linalg.norm(strip.reshape(-1, 3).astype(np.float32) - background, axis=1) <= CONTINUES_DISTANCE
    return bool(close.mean() >= 0.6)


def widen_where_cut(image: np.ndarray, box: np.ndarray, min_aspect: float, background: np.ndarray) -> np.ndarray:
    """`box` widened toward the sides where the plate carries on, as far as it does, up to
    `min_aspect` in all (see module text)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    need = min_aspect * (y2 - y1) - (x2 - x1)
    if min_aspect <= 0 or need <= 0 or (x2 - x1) < MIN_WIDEN_ASPECT * (y2 - y1):
        return np.asarray(box, np.float32)
    step = max(2.0, 0.2 * (y2 - y1))
    inner_y = (y1 + 0.25 * (y2 - y1), y2 - 0.25 * (y2 - y1))
    grow = {"left": 0.0, "right": 0.0}
    open_sides = ["left", "right"]
    while open_sides and grow["left"] + grow["right"] < need:
        for side in list(open_sides):
            if side == "left":
                edge = x1 - grow["left"]
                more = _strip_continues(image, edge - step, edge, *inner_y, background, allow_blue=True)
            else:
                edge = x2 + grow["right"]
                more = _strip_continues(image, edge, edge + step, *inner_y, background, allow_blue=False)
            if more:
                grow[side] += step
            else:
                open_sides.remove(side)
    total = grow["left"] + grow["right"]
    if total > need:  # the last step overshot: trim it back proportionally
        grow = {k: v * need / total for k, v in grow.items()}
    return np.array([x1 - grow["left"], y1, x2 + grow["right"], y2], np.float32)


def framed(image: np.ndarray, corners: np.ndarray, grow: float = 0.25, reach: float = 0.3,
           min_light: float = 0.4) -> bool:
    """A light rim along both the top and the bottom edge of the quadrilateral (a plate's frame).

    The quadrilateral is grown by `grow` of its height above and below and rectified; in the outer
    `reach` of the rows on each side, some row must be at least `min_light` light (Otsu).
    Lettering on a panel has no such rim: the panel carries on above and below it.
    """
    q = np.asarray(corners, np.float32).reshape(4, 2).copy()
    down = (q[3] + q[2]) / 2 - (q[0] + q[1]) / 2
    q[:2] -= down * grow
    q[2:] += down * grow
    crop = rectified(image, q)
    if crop is None:
        return False
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    rows = (gray > threshold).mean(axis=1)
    k = max(1, int(round(reach * len(rows))))
    return bool(rows[:k].max() >= min_light and rows[-k:].max() >= min_light)


def check_plates(image: np.ndarray, dets: Detections, min_aspect: float = 0.0,
                 penalty: float = PENALTY) -> Detections:
    """Candidates re-scored by their look (see module text) and widened where cut; same order and count."""
    if len(dets) == 0:
        return dets
    boxes = dets.boxes.copy()
    scores = dets.scores.copy()
    for i in range(len(dets)):
        crop = rectified(image, dets.keypoints[i]) if dets.keypoints.shape[1] == 4 else None
        features = plate_likeness(crop) if crop is not None else None
        if features is not None and features["share"] < 0.5:  # light on dark: must be a bounded plate
            features["framed"] = float(framed(image, dets.keypoints[i]))
        if features is None or not looks_like_plate(features):
            scores[i] *= penalty
        if min_aspect > 0 and crop is not None:
            boxes[i] = widen_where_cut(image, boxes[i], min_aspect, background_colour(crop))
    return dets.rescored(scores, boxes)
