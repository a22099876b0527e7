"""How far the camera moved the picture between two analysed frames (global motion compensation).

A whip pan moves every face 60-80 px a frame, further than a track's motion model expects: the
tracker lost each face and started a new track a frame later, whose mask, grown backwards at that
speed over the frames before its first detection, covered half the picture (bus_whip: 10 tracks
for 2 faces). Shifting every live track's prediction by the picture's own motion (as BoT-SORT's
camera-motion compensation does) keeps them on their faces.

The shift is OpenCV's phase correlation of the two frames in grey, shrunk to WIDTH px (about 2 ms a
frame): translation only, which is what pans, tilts and shake are over one frame. Measured against
the true motion of bus_whip's faces: median error 1 px, worst 17 px at 80 px a frame; 0-1 px on a
still or drifting street crowd. A weak correlation peak (a cut, a flash, a blank picture) counts as
no motion.
"""

from __future__ import annotations

import cv2
import numpy as np

WIDTH = 320  # px the frames are shrunk to before correlating
MIN_RESPONSE = 0.1  # phase-correlation peak below which the shift is not trusted


class CameraMotion:
    """Feed the analysed frames in order; each call returns the picture's shift (dx, dy) in frame
    px since the previous one ((0, 0) for the first)."""

    def __init__(self):
        self._prev: np.ndarray | None = None
        self._window: np.ndarray | None = None

    def shift(self, image: np.ndarray) -> tuple[float, float]:
        h, w = image.shape[:2]
        scale = min(1.0, WIDTH / w)
        size = (max(16, round(w * scale)), max(16, round(h * scale)))
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        prev, self._prev = self._prev, small
        if prev is None or prev.shape != small.shape:
            return 0.0, 0.0
        if self._window is None or self._window.shape != small.shape:
            self._window = cv2.createHanningWindow(size, cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(prev, small, self._window)
        if response < MIN_RESPONSE:
            return 0.0, 0.0
        return dx * w / size[0], dy * h / size[1]
