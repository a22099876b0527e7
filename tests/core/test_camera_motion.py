"""Camera-motion compensation (tracking/camera.py): the picture's shift, and tracks that follow it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from anonymizer_gui.core.analysis import AnalysisSettings
from anonymizer_gui.core.tracking import CameraMotion, Tracker


def scene(seed=0, size=(720, 1280)) -> np.ndarray:
    """A textured picture (blurred noise and a few shapes): something to correlate."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.integers(0, 255, (*size, 3), dtype=np.uint8), (0, 0), 3)
    for _ in range(30):
        x, y = int(rng.integers(0, size[1])), int(rng.integers(0, size[0]))
        cv2.circle(img, (x, y), int(rng.integers(10, 80)), tuple(int(v) for v in rng.integers(0, 255, 3)), -1)
    return img


def moved(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("dx, dy", [(0, 0), (12, -5), (-3, 75), (40, 60)])
def test_the_shift_of_the_picture_is_measured_to_a_few_pixels(dx, dy):
    cam, base = CameraMotion(), scene()
    assert cam.shift(base) == (0.0, 0.0)  # the first frame: nothing to compare with
    got = cam.shift(moved(base, dx, dy))
    assert got == pytest.approx((dx, dy), abs=2.5)


def test_a_blank_or_changed_picture_counts_as_no_motion():
    cam = CameraMotion()
    cam.shift(np.full((720, 1280, 3), 40, np.uint8))
    assert cam.shift(np.full((720, 1280, 3), 40, np.uint8)) == pytest.approx((0.0, 0.0), abs=0.5)
    cam = CameraMotion()
    cam.shift(scene(1))
    assert cam.shift(scene(2)) == (0.0, 0.0)  # a cut: two unrelated pictures


def tracker() -> Tracker:
    return Tracker("face", AnalysisSettings().tracker_settings(0.2, 25.0))


FACE = np.array([[400.0, 300.0, 480.0, 400.0]])


def whip(shift):
    """A face tracked for 5 frames, then the camera tilts it 150 px up in one frame."""
    tr = tracker()
    for frame in range(5):
        tr.update(frame, FACE, [0.9])
    return tr, tr.update(5, FACE - [0, 150, 0, 150], [0.9], shift=shift)


def test_a_track_follows_a_whip_pan_when_told_the_camera_moved():
    tr, matched = whip((0.0, -150.0))
    assert len(tr.live_tracklets) == 1 and matched[0].frames == [0, 1, 2, 3, 4, 5]


def test_without_the_camera_motion_a_whip_pan_breaks_the_track():
    tr, matched = whip(None)
    assert len(tr.live_tracklets) == 2 and matched[0].frames == [5]


def test_predictions_move_with_the_camera():
    tr = tracker()
    for frame in range(3):
        tr.update(frame, FACE, [0.9])
    (_,), still = tr.predicted_boxes(3)
    (_,), panned = tr.predicted_boxes(3, shift=(30.0, -10.0))
    np.testing.assert_allclose(panned - still, [[30, -10, 30, -10]], atol=1e-6)
