"""Decoders of each model family, checked against boxes computed by hand from known output tensors.

No weights needed: the tensors are built here, cell by cell.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from anonymizer_gui.core.detect.base import Detections
from anonymizer_gui.core.detect.centerface import decode_centerface
from anonymizer_gui.core.detect.retina_plate import decode_retina_plate, prior_boxes, widened_to_aspect
from anonymizer_gui.core.detect.yolo import decode_yolov8

MIN_SIZES = ((24, 48), (96, 192), (384, 768))
STEPS = (8, 16, 32)
VARIANCES = (0.1, 0.2)


# --- CenterFace ----------------------------------------------------------------------------------

def centerface_maps(h: int = 12, w: int = 16):
    return (np.zeros((1, 1, h, w), np.float32), np.zeros((1, 2, h, w), np.float32),
            np.zeros((1, 2, h, w), np.float32), np.zeros((1, 10, h, w), np.float32))


def put_face(maps, row, col, score, box_h, box_w, off_y, off_x, landmark_fractions):
    heatmap, scale, offset, landmarks = maps
    heatmap[0, 0, row, col] = score
    scale[0, :, row, col] = [math.log(box_h / 4), math.log(box_w / 4)]
    offset[0, :, row, col] = [off_y, off_x]
    for j, (fy, fx) in enumerate(landmark_fractions):
        landmarks[0, 2 * j, row, col] = fy
        landmarks[0, 2 * j + 1, row, col] = fx


def test_centerface_peak_decodes_to_hand_computed_box_and_landmarks():
    maps = centerface_maps()
    fractions = [(0.3, 0.25), (0.3, 0.75), (0.55, 0.5), (0.8, 0.3), (0.8, 0.7)]
    put_face(maps, row=5, col=7, score=0.9, box_h=40, box_w=32, off_y=0.25, off_x=0.5, landmark_fractions=fractions)

    dets = decode_centerface(*maps, threshold=0.5, nms_iou=0.3)

    cx, cy = (7 + 0.5 + 0.5) * 4, (5 + 0.25 + 0.5) * 4  # 32, 23
    x1, y1 = cx - 16, cy - 20
    np.testing.assert_allclose(dets.boxes, [[x1, y1, x1 + 32, y1 + 40]], atol=1e-4)
    np.testing.assert_allclose(dets.scores, [0.9], atol=1e-6)
    expected = [[x1 + fx * 32, y1 + fy * 40] for fy, fx in fractions]
    np.testing.assert_allclose(dets.keypoints[0], expected, atol=1e-4)
    assert dets.names == ["face"]


def test_centerface_below_threshold_gives_empty_arrays_of_fixed_width():
    maps = centerface_maps()
    put_face(maps, 3, 3, 0.15, 20, 20, 0, 0, [(0.5, 0.5)] * 5)

    dets = decode_centerface(*maps, threshold=0.2, nms_iou=0.3)

    assert dets.boxes.shape == (0, 4) and dets.scores.shape == (0,) and dets.labels.shape == (0,)
    assert dets.keypoints.shape == (0, 5, 2)
    assert dets.boxes.dtype == np.float32


def test_centerface_nms_keeps_the_best_of_neighbouring_peaks_and_distinct_faces():
    maps = centerface_maps()
    put_face(maps, 5, 7, 0.9, 40, 32, 0, 0, [(0.5, 0.5)] * 5)
    put_face(maps, 5, 8, 0.6, 40, 32, 0, 0, [(0.5, 0.5)] * 5)  # same face, one cell over
    put_face(maps, 2, 1, 0.7, 12, 12, 0, 0, [(0.5, 0.5)] * 5)  # another face, far away

    dets = decode_centerface(*maps, threshold=0.5, nms_iou=0.3)

    np.testing.assert_allclose(dets.scores, [0.9, 0.7], atol=1e-6)  # best first
    np.testing.assert_allclose(dets.boxes[1], [(1.5 * 4) - 6, (2.5 * 4) - 6, 12, 16], atol=1e-4)


def test_centerface_accepts_maps_without_batch_axis():
    maps = centerface_maps()
    put_face(maps, 1, 1, 0.8, 8, 8, 0, 0, [(0.5, 0.5)] * 5)
    dets = decode_centerface(*(m[0] for m in maps), threshold=0.5, nms_iou=0.3)
    np.testing.assert_allclose(dets.boxes, [[2, 2, 10, 10]], atol=1e-4)


# --- RetinaFace-style plates ----------------------------------------------------------------------

def test_prior_boxes_count_and_order_match_the_retinaface_layout():
    priors = prior_boxes(64, 32, MIN_SIZES, STEPS)
    # level 8: 4x8 cells, level 16: 2x4, level 32: 1x2; two anchor sizes per cell
    assert priors.shape == ((4 * 8 + 2 * 4 + 1 * 2) * 2, 4)
    np.testing.assert_allclose(priors[0], [4, 4, 24, 24])
    np.testing.assert_allclose(priors[1], [4, 4, 48, 48])  # anchor size varies fastest
    np.testing.assert_allclose(priors[2], [12, 4, 24, 24])  # then the column
    np.testing.assert_allclose(priors[16], [4, 12, 24, 24])  # then the row
    np.testing.assert_allclose(priors[64], [8, 8, 96, 96])  # second level
    np.testing.assert_allclose(priors[-1], [48, 16, 768, 768])


def test_prior_count_uses_ceil_for_sizes_not_divisible_by_the_steps():
    priors = prior_boxes(517, 333, MIN_SIZES, STEPS)
    assert len(priors) == 7220  # what the real model outputs for a 333x517 input


def plate_outputs(n):
    return np.zeros((n, 4), np.float32), np.tile([[0.99, 0.01]], (n, 1)).astype(np.float32), \
        np.zeros((n, 8), np.float32)


def test_plate_loc_decodes_to_hand_computed_box_and_corners():
    priors = prior_boxes(64, 32, MIN_SIZES, STEPS)
    loc, conf, landms = plate_outputs(len(priors))
    k = 21  # level 8, cell (row 1, col 2), anchor 48: centre (20, 12)
    assert tuple(priors[k]) == (20, 12, 48, 48)
    loc[k] = [1.0, -0.5, math.log(2) / 0.2, 0.0]
    conf[k] = [0.1, 0.9]
    # the network's order: bottom-right, bottom-left, top-left, top-right; in units of 0.1 * 48
    corner_offsets = np.array([[3, 1], [-3, 1], [-3, -1], [3, -1]], np.float32)
    landms[k] = corner_offsets.ravel()

    dets = decode_retina_plate(loc, conf, landms, priors, VARIANCES, threshold=0.5, nms_iou=0.4)

    cx, cy = 20 + 1.0 * 0.1 * 48, 12 - 0.5 * 0.1 * 48  # 24.8, 9.6
    w, h = 48 * 2, 48
    np.testing.assert_allclose(dets.boxes, [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]], atol=1e-4)
    clockwise_from_top_left = corner_offsets[[2, 3, 0, 1]]
    np.testing.assert_allclose(dets.keypoints[0], [20, 12] + clockwise_from_top_left * 0.1 * 48, atol=1e-4)
    np.testing.assert_allclose(dets.scores, [0.9], atol=1e-6)
    assert dets.names == ["plate"]


def test_plate_box_is_the_union_of_loc_box_and_corners():
    priors = prior_boxes(64, 32, MIN_SIZES, STEPS)
    loc, conf, landms = plate_outputs(len(priors))
    k = 0  # centre (4, 4), anchor 24: loc box (-8, -8, 16, 16)
    conf[k] = [0.2, 0.8]
    landms[k] = [10, 0, 0, 0, 0, 0, 0, 12]  # one corner at x = 4 + 24, one at y = 4 + 28.8

    dets = decode_retina_plate(loc, conf, landms, priors, VARIANCES, threshold=0.5, nms_iou=0.4)

    np.testing.assert_allclose(dets.boxes, [[-8, -8, 28, 4 + 12 * 2.4]], atol=1e-4)


def test_plate_boxes_narrower_than_a_european_plate_are_widened_about_their_centre():
    priors = prior_boxes(64, 32, MIN_SIZES, STEPS)
    loc, conf, landms = plate_outputs(len(priors))
    conf[0] = [0.2, 0.8]  # loc box (-8, -8, 16, 16): 24 x 24, centre x 4

    dets = decode_retina_plate(loc, conf, landms, priors, VARIANCES, threshold=0.5, nms_iou=0.4, min_aspect=4.7)

    half = 4.7 * 24 / 2
    np.testing.assert_allclose(dets.boxes, [[4 - half, -8, 4 + half, 16]], atol=1e-4)
    wide = np.array([[0, 0, 100, 10]], np.float32)
    np.testing.assert_array_equal(widened_to_aspect(wide, 4.7), wide)


def test_plate_nothing_above_threshold_gives_fixed_width_empty_arrays():
    priors = prior_boxes(64, 32, MIN_SIZES, STEPS)
    dets = decode_retina_plate(*plate_outputs(len(priors)), priors, VARIANCES, threshold=0.3, nms_iou=0.4)
    assert dets.boxes.shape == (0, 4) and dets.keypoints.shape == (0, 4, 2) and dets.scores.shape == (0,)


def test_plate_outputs_that_do_not_match_the_priors_are_refused():
    priors = prior_boxes(64, 32, MIN_SIZES, STEPS)
    with pytest.raises(ValueError, match="priors"):
        decode_retina_plate(*plate_outputs(len(priors) - 2), priors, VARIANCES, threshold=0.3, nms_iou=0.4)


# --- YOLOv8 -----------------------------------------------------------------------------------------

def yolo_output(candidates, num_classes=2):
    """(1, 4 + nc, N) from rows (cx, cy, w, h, class, score)."""
    out = np.zeros((1, 4 + num_classes, len(candidates)), np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(candidates):
        out[0, :4, i] = [cx, cy, w, h]
        out[0, 4 + cls, i] = score
    return out


def test_yolo_decodes_centre_size_boxes_with_class_wise_nms():
    out = yolo_output([
        (50, 40, 20, 10, 1, 0.9),
        (51, 40, 20, 10, 1, 0.6),  # duplicate of the first: suppressed
        (50, 40, 20, 10, 0, 0.7),  # same place, other class: kept
        (10, 10, 4, 4, 0, 0.1),  # below threshold
    ])

    dets = decode_yolov8(out, 2, threshold=0.25, nms_iou=0.45, label_names=("person", "plate"))

    np.testing.assert_allclose(dets.boxes, [[40, 35, 60, 45], [40, 35, 60, 45]], atol=1e-4)
    np.testing.assert_allclose(dets.scores, [0.9, 0.7], atol=1e-6)
    assert dets.names == ["plate", "person"]
    assert dets.keypoints.shape == (2, 0, 2)


def test_yolo_accepts_transposed_output_and_keeps_only_chosen_classes():
    out = yolo_output([(50, 40, 20, 10, 1, 0.9), (10, 10, 8, 8, 0, 0.8)])
    transposed = out[0].T  # (N, 4 + nc)
    dets = decode_yolov8(transposed, 2, 0.25, 0.45, ("person", "plate"), keep_labels=np.array([True, False]))
    assert dets.names == ["person"]
    np.testing.assert_allclose(dets.boxes, [[6, 6, 14, 14]], atol=1e-4)


def test_yolo_empty_output():
    dets = decode_yolov8(np.zeros((6, 0), np.float32), 2, 0.25, 0.45, ("a", "b"))
    assert dets.boxes.shape == (0, 4) and dets.labels.shape == (0,)


# --- Detections -------------------------------------------------------------------------------------

def test_detections_transform_clip_and_select_keep_widths():
    dets = Detections.create([[0, 0, 10, 10], [20, 20, 30, 40]], [0.5, 0.9], None, ("face",),
                             np.zeros((2, 5, 2)))
    moved = dets.transformed(2.0, 0.5, 100, 10)
    np.testing.assert_allclose(moved.boxes, [[100, 10, 120, 15], [140, 20, 160, 30]])
    np.testing.assert_allclose(moved.keypoints[1, 0], [100, 10])
    clipped = moved.clipped(130, 100)
    np.testing.assert_allclose(clipped.boxes, [[100, 10, 120, 15]])  # the other box is outside
    none = dets.select(np.array([False, False]))
    assert none.boxes.shape == (0, 4) and none.keypoints.shape == (0, 5, 2)
    assert dets.sorted_by_score().scores.tolist() == pytest.approx([0.9, 0.5])
    with pytest.raises(ValueError):
        Detections(np.zeros((2, 4), np.float32), np.zeros(1, np.float32), np.zeros(2, np.int64), ("x",),
                   np.zeros((2, 0, 2), np.float32))
