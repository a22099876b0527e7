"""Non-maximum suppression without Python loops: OpenCV's NMS plus a vectorised containment pass."""

from __future__ import annotations

import cv2
import numpy as np

from .base import Detections


def nms_indices(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float,
                labels: np.ndarray | None = None) -> np.ndarray:
    """Indices kept by greedy NMS (class-wise when labels are given), highest score first."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    xywh = np.asarray(boxes, np.float32).copy()
    xywh[:, 2:] -= xywh[:, :2]
    scores = np.asarray(scores, np.float32)
    floor = float(scores.min()) - 1.0  # keep every box: callers filter by score before NMS
    if labels is None:
        keep = cv2.dnn.NMSBoxes(xywh, scores, floor, float(iou_threshold))
    else:
        keep = cv2.dnn.NMSBoxesBatched(xywh, scores, np.asarray(labels, np.int32), floor, float(iou_threshold))
    keep = np.asarray(keep, np.int64).reshape(-1)
    return keep[np.argsort(-scores[keep], kind="stable")]


UNION_SCORE_SHARE = 0.8  # a suppressed box widens the kept one when it scores at least this share of it


def nms(dets: Detections, iou_threshold: float) -> Detections:
    """Greedy NMS whose kept boxes grow to the union of the boxes they suppress that the detector is
    nearly as sure of (UNION_SCORE_SHARE): fail closed, two overlapping detections of one face that
    disagree on its extent are masked over both. Weaker ones are left out: an anchor-based model
    returns dozens of faint neighbours of every box, and their union would double a plate's width."""
    keep = nms_indices(dets.boxes, dets.scores, iou_threshold, dets.labels)
    kept = dets.select(keep)
    if len(kept) == len(dets):
        return kept
    b = dets.boxes.astype(np.float64)
    iou = box_iou(b, b[keep])  # [i, k]: box i against kept box k
    iou[dets.labels[:, None] != dets.labels[keep][None, :]] = 0.0
    iou[keep, np.arange(len(keep))] = np.inf  # a kept box is its own owner
    owner = np.argmax(iou, axis=1)
    owned = iou[np.arange(len(b)), owner] > iou_threshold
    owned &= dets.scores >= UNION_SCORE_SHARE * dets.scores[keep][owner]
    boxes = b[keep].copy()
    for k in range(len(keep)):  # per kept box (a handful), vectorised over what it swallowed
        members = b[owned & (owner == k)]
        boxes[k, :2] = members[:, :2].min(axis=0)
        boxes[k, 2:] = members[:, 2:].max(axis=0)
    return Detections(boxes.astype(np.float32), kept.scores, kept.labels, kept.label_names, kept.keypoints)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of x1y1x2y2 boxes."""
    iw = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def suppress_contained(dets: Detections, containment: float, droppable: np.ndarray) -> Detections:
    """Drop each droppable box that lies at least `containment` inside a non-droppable box of its label.

    Tiling marks the boxes cut by a tile border as droppable: such a box is often the part of an
    object that its tile shows, while another window saw the object whole. The whole box stays and
    takes the higher score of the two. Whole boxes are never dropped here, so a small object next
    to or in front of a larger one keeps its own box.
    """
    droppable = np.asarray(droppable, bool)
    if len(dets) < 2 or not droppable.any() or droppable.all():
        return dets
    b = dets.boxes
    area = np.maximum(b[:, 2] - b[:, 0], 0) * np.maximum(b[:, 3] - b[:, 1], 0)
    iw = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0, None)
    covered = iw * ih / np.maximum(area[:, None], 1e-6)  # [i, j]: share of box i inside box j
    inside = (covered >= containment) & droppable[:, None] & ~droppable[None, :] \
        & (dets.labels[:, None] == dets.labels[None, :])
    drop = inside.any(axis=1)
    if not drop.any():
        return dets
    swallowed = np.where(inside, dets.scores[:, None], 0.0).max(axis=0)
    scores = np.maximum(dets.scores, swallowed).astype(np.float32)
    merged = Detections(dets.boxes, scores, dets.labels, dets.label_names, dets.keypoints)
    return merged.select(~drop)
