"""The close look at weak face candidates (detect/close_look.py): geometry, rescoring, real model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from anonymizer_gui.core.detect.base import Detections
from anonymizer_gui.core.analysis.second_look import CONFIRM
from anonymizer_gui.core.detect.close_look import LOOK_SIDE, LOOK_SIZE, close_scores, look_window



def dets(boxes, scores) -> Detections:
    return Detections.create(np.asarray(boxes, float), np.asarray(scores, float), None, ("face",), num_keypoints=5)


def test_the_window_is_three_box_sides_scaled_so_the_box_is_look_side_wide():
    w = look_window((300, 200, 320, 224), 1280, 720)  # 20 x 24 px: the longer side counts
    assert w.scale == pytest.approx(LOOK_SIDE / 24)
    assert (w.x1 - w.x0, w.y1 - w.y0) == (72, 72)
    assert (w.x0 + w.x1) / 2 == pytest.approx(310, abs=1) and (w.y0 + w.y1) / 2 == pytest.approx(212, abs=1)
    assert w.model_size == (LOOK_SIZE, LOOK_SIZE)


def test_a_window_at_the_frame_edge_is_shifted_inside_and_a_huge_box_is_cut_to_the_frame():
    edge = look_window((0, 700, 30, 720), 1280, 720)
    assert edge.x0 == 0 and edge.y1 == 720 and edge.x1 - edge.x0 == 90
    huge = look_window((100, 0, 500, 400), 640, 480)
    assert (huge.x0, huge.y0, huge.x1, huge.y1) == (0, 0, 640, 480)


class FakeNetwork:
    """Answers a close look with a face at the window's centre (a third of it) scoring `score`."""

    def __init__(self, score, where="centre"):
        self.score, self.where, self.batches = score, where, []

    def __call__(self, batch):
        self.batches.append(batch.shape)
        third = LOOK_SIZE / 3
        box = [third, third, 2 * third, 2 * third] if self.where == "centre" else [0, 0, 40, 40]
        return [dets([box], [self.score]) for _ in batch]


FRAME = np.zeros((720, 1280, 3), np.uint8)
BOXES = np.array([[400, 300, 420, 320], [800, 500, 830, 530], [0, 690, 30, 720]], float)


def test_each_box_gets_the_score_of_the_close_look_detection_on_it_in_batches():
    net = FakeNetwork(0.8)
    scores = close_scores(FRAME, BOXES, net, batch_size=2)

    # the corner box's window is shifted inside the frame: the box is not at its centre, so the
    # answer at the centre is not about it (the detections are mapped back to frame pixels)
    np.testing.assert_allclose(scores, [0.8, 0.8, 0.0], rtol=1e-6)
    assert net.batches == [(2, LOOK_SIZE, LOOK_SIZE, 3), (1, LOOK_SIZE, LOOK_SIZE, 3)]


def test_a_denoised_look_blurs_the_crop_before_enlarging_it():
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 60, (720, 1280, 3), dtype=np.uint8)  # night: sensor noise on black
    seen = {}

    def keep(batch):
        seen.setdefault("batches", []).append(batch.copy())
        return [dets([], []) for _ in batch]

    close_scores(noisy, BOXES[:1], keep, batch_size=4)
    close_scores(noisy, BOXES[:1], keep, batch_size=4, denoise=True)
    plain, denoised = seen["batches"]
    assert denoised.std() < 0.5 * plain.std()  # the noise is mostly gone
    assert abs(float(denoised.mean()) - float(plain.mean())) < 2  # the light is not


def test_a_close_look_finding_something_else_or_nothing_scores_zero():
    assert list(close_scores(FRAME, BOXES[:1], FakeNetwork(0.95, where="corner"), batch_size=4)) == [0.0]
    assert list(close_scores(FRAME, BOXES[:1], lambda batch: [dets([], []) for _ in batch], batch_size=4)) == [0.0]
    assert len(close_scores(FRAME, np.zeros((0, 4)), FakeNetwork(0.9), batch_size=4)) == 0


# --- the real model ---------------------------------------------------------------------------------

ASTRONAUT_FACE = (180, 55, 270, 180)  # as in test_detect_models.py


@pytest.mark.needs_models
def test_a_small_real_face_the_first_pass_finds_weakly_is_confirmed_by_the_close_look():
    import skimage.data

    from tests.core.test_detect_models import real_detector

    astronaut = np.ascontiguousarray(skimage.data.astronaut()[..., ::-1])
    k = 12 / (ASTRONAUT_FACE[3] - ASTRONAUT_FACE[1])  # a 12 px face: the first pass scores it 0.45
    small = cv2.resize(astronaut, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 90, np.uint8)
    frame[400:400 + small.shape[0], 600:600 + small.shape[1]] = small
    face = np.array(ASTRONAUT_FACE) * k + [600, 400, 600, 400]

    def score_at_face(d):
        hits = [s for b, s in zip(d.boxes, d.scores)
                if min(b[2], face[2]) - max(b[0], face[0]) > 0 and min(b[3], face[3]) - max(b[1], face[1]) > 0]
        return max(hits, default=0.0)

    detector = real_detector("face")
    (plain,) = detector.detect([frame])
    weak = [b for b, sc in zip(plain.boxes, plain.scores) if score_at_face(dets([b], [sc])) > 0]

    assert 0.2 <= score_at_face(plain) < CONFIRM  # found, but too weakly to start a confirmed track
    assert len(weak) == 1 and detector.look_closer(frame, np.array(weak))[0] >= CONFIRM
    far = np.array([[100, 100, 112, 112]], float)  # grey wall: nothing to confirm
    assert detector.look_closer(frame, far)[0] < CONFIRM
