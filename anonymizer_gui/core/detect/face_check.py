"""A second look at weak face candidates: is there skin where the face should be?

CenterFace fires at 0.2-0.5 on car lamps, headrests, wheel arches and garage clutter, and draws
eyes, nose and mouth into whatever it fires on (benchmarks/README.md, issue 10: its landmarks do not
separate them; a second network fires on the same blobs). What those blobs lack is colour: the
middle of a face, even a tiny, blurred or half hidden one, holds skin-toned pixels (any skin tone:
the chroma of skin lies in a narrow Cr/Cb band, its brightness does not), while chrome, tyres and
asphalt are grey or black and car paint is blue, green or pure red.

`check_faces` applies this only to *weak* candidates (score below `below`) and only in colour
footage (grey or infra-red frames carry no chroma to judge). A candidate whose middle holds less
than MIN_SKIN_SHARE skin is not dropped: its score is multiplied by `penalty`, so it cannot start a
track on its own (the tracker starts tracks at 0.2 by default; below x penalty stays under it) but
can still continue a confirmed one (a face half behind a shoulder keeps its track; one scored
below the continuation floor, under 0.26 before the penalty, does not). Confident candidates are
never judged: the check can only stop weak tracks from starting.

Limits: a face lit by strongly coloured light (a blue or green stage light) shows no skin chroma,
so a weak one there starts no track until the detector is surer; a user threshold under 0.2 lets
scored-down candidates start tracks again (the check then does less, never more).
"""

from __future__ import annotations

import cv2
import numpy as np

from .base import Detections

# Skin in YCrCb (Chai & Ngan 1999): the chroma of every skin tone, light to very dark, lies in this
# Cr/Cb band; its brightness and saturation do not matter (medium and dark skin is as saturated as
# orange paint). Car paint that shares the band is pure red (hue 0-4, 175-180), where skin is
# orange (5-25); pinkish skin reaches hue 0-4 too but is far less saturated than red paint.
# OpenCV's 8-bit scales (hue 0-180).
SKIN_CR = (133, 173)
SKIN_CB = (77, 127)
SKIN_HUE = (5, 25)
MAX_RED_SATURATION = 100  # a red-hued pixel counts as (pinkish) skin only this unsaturated
MIN_LUMA = 45  # darker pixels carry too little chroma to judge (a dark face in shadow looks grey)
MIN_LIT_SHARE = 0.5  # a middle with fewer pixels bright enough is not judged
CENTRE = 0.7  # the middle of the box judged: this share of its width and height
MIN_SKIN_SHARE = 0.15  # of the middle's lit pixels; every true weak face on the bench has more
VERIFY_BELOW = 0.5  # candidates at or above it are not judged
PENALTY = 0.38  # VERIFY_BELOW x PENALTY < 0.2 (the default start threshold): cannot start a track
MIN_FRAME_SATURATION = 12.0  # mean HSV S of a frame below which it counts as grey footage


def is_colour(image: np.ndarray) -> bool:
    """Whether the frame carries chroma to judge (not grey-scale or infra-red footage)."""
    small = cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)
    return float(cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[..., 1].mean()) >= MIN_FRAME_SATURATION


def skin_share(image: np.ndarray, box) -> float | None:
    """Share of skin-toned pixels among the lit ones in the middle of `box`; None when it cannot be
    judged (too little of it in the frame, or too dark)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy, hw, hh = (x1 + x2) / 2, (y1 + y2) / 2, CENTRE * (x2 - x1) / 2, CENTRE * (y2 - y1) / 2
    X1, Y1, X2, Y2 = int(max(0, cx - hw)), int(max(0, cy - hh)), int(min(w, cx + hw)), int(min(h, cy + hh))
    if X2 - X1 < 2 or Y2 - Y1 < 2:
        return None
    patch = np.ascontiguousarray(image[Y1:Y2, X1:X2])
    ycc = cv2.cvtColor(patch, cv2.COLOR_BGR2YCrCb)
    hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
    luma, cr, cb, hue, sat = ycc[..., 0], ycc[..., 1], ycc[..., 2], hsv[..., 0], hsv[..., 1]
    lit = luma >= MIN_LUMA
    if lit.mean() < MIN_LIT_SHARE:
        return None
    orange = (hue >= SKIN_HUE[0]) & (hue <= SKIN_HUE[1])
    pinkish = ((hue < SKIN_HUE[0]) | (hue > 180 - SKIN_HUE[0])) & (sat <= MAX_RED_SATURATION)
    skin = (cr >= SKIN_CR[0]) & (cr <= SKIN_CR[1]) & (cb >= SKIN_CB[0]) & (cb <= SKIN_CB[1]) & (orange | pinkish)
    return float(np.count_nonzero(skin & lit) / np.count_nonzero(lit))


def check_faces(image: np.ndarray, dets: Detections, below: float = VERIFY_BELOW,
                penalty: float = PENALTY, min_skin: float = MIN_SKIN_SHARE) -> Detections:
    """`dets` with the weak candidates that show no skin scored down (see module text)."""
    weak = np.flatnonzero(dets.scores < below)
    if len(weak) == 0 or not is_colour(image):
        return dets
    scores = dets.scores.copy()
    for i in weak:
        share = skin_share(image, dets.boxes[i])
        if share is not None and share < min_skin:
            scores[i] *= penalty
    if np.array_equal(scores, dets.scores):
        return dets
    return dets.rescored(scores)
