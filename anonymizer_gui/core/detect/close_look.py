"""A close look at a candidate: its surroundings cut out and scaled so the detector sees it at a size it knows.

CenterFace scores a 12-30 px face 0.2-0.45 (its stride-4 heat map barely resolves it), while the same
face cut out with twice its size of surroundings and scaled to LOOK_SIDE px scores 0.6-0.9; its weak
candidates on car paint, walls and garage clutter stay under 0.45 at that size (measured on every
weak detection of every track of 8 bench scenes: benchmarks/README.md, "A close look at weak
candidates"). What the analysis does with the answer is analysis/second_look.py.

Every look is one square input of CONTEXT x LOOK_SIDE px, so one session serves them all, batched.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from .base import Detections
from .nms import box_iou
from .tiling import Window, centred_window, pad_to, resize_window

LOOK_SIDE = 96  # model px a candidate's longer side is scaled to
CONTEXT = 3  # the window is this many box sides wide: a head is found by its surroundings too
MATCH_IOU = 0.3  # a close-look detection answers for the candidate when their boxes overlap this much
LOOK_SIZE = CONTEXT * LOOK_SIDE

Infer = Callable[[np.ndarray], list[Detections]]  # batch (N, S, S, 3) uint8 -> detections in model px


def look_window(box, frame_w: int, frame_h: int) -> Window:
    """The square window round `box` scaled so that the box's longer side is LOOK_SIDE model px,
    shifted to stay inside the frame (cut where the frame is smaller)."""
    side = max(float(box[2]) - float(box[0]), float(box[3]) - float(box[1]), 1.0)
    return centred_window(box, CONTEXT * side, frame_w, frame_h, LOOK_SIDE / side)


DENOISE_SIGMA = 1.2  # frame px: the Gaussian that takes sensor noise out of a dark crop


def close_scores(frame: np.ndarray, boxes: np.ndarray, infer: Infer, batch_size: int,
                 pad_value: int = 0, denoise: bool = False) -> np.ndarray:
    """Per box (frame px): the best score of a close-look detection overlapping it, 0 for none.

    denoise: blur each crop by DENOISE_SIGMA before enlarging it (night footage: enlarged, sensor
    noise hides the face from the detector; on street_night's weak real faces the look confirmed
    32 % plain and 82 % denoised, and none of its clutter either way. Clean footage is looked at
    plain: the blur costs a 14-20 px face its eyes, 99 % -> 64 % confirmed on crowd_small)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    windows = [look_window(b, frame.shape[1], frame.shape[0]) for b in boxes]
    seen = np.zeros(len(boxes))
    for start in range(0, len(windows), batch_size):
        chunk = windows[start:start + batch_size]
        batch = np.stack([pad_to(_crop(frame, w, denoise)[:LOOK_SIZE, :LOOK_SIZE], LOOK_SIZE, LOOK_SIZE, pad_value)
                          for w in chunk])
        for k, (w, dets) in enumerate(zip(chunk, infer(batch))):
            if len(dets):
                back = dets.transformed(1 / w.scale, 1 / w.scale, w.x0, w.y0).boxes
                overlap = box_iou(boxes[start + k:start + k + 1], back.astype(np.float64))[0] >= MATCH_IOU
                if overlap.any():
                    seen[start + k] = float(dets.scores[overlap].max())
    return seen


def _crop(frame: np.ndarray, window: Window, denoise: bool) -> np.ndarray:
    if not denoise:
        return resize_window(frame, window)
    crop = cv2.GaussianBlur(frame[window.y0:window.y1, window.x0:window.x1], (0, 0), DENOISE_SIGMA)
    return cv2.resize(crop, window.model_size, interpolation=cv2.INTER_LINEAR)
