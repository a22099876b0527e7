"""Generic YOLOv8-style ONNX detector, for models a user adds through the manifest.

Expected export (ultralytics `format=onnx`): input float32 (B, 3, H, W), RGB scaled to 0..1,
letterboxed with grey 114; output (B, 4 + nc, N): per candidate the box centre x, y, width, height
in input pixels followed by nc class scores (already sigmoid). A (B, N, 4 + nc) output is accepted
too. The class names come from the manifest entry's `labels`; `classes` keeps a subset of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..foundation import ModelError
from .manifest import ModelSpec, model_path
from .base import Detections, parse_size, resolve_settings
from .nms import nms
from .runtime import ModelSession, ProviderChoice
from .tiling import WINDOW_DEFAULTS, WindowedDetector

DEFAULTS = {
    **WINDOW_DEFAULTS,
    "input_size": (640, 640),  # used only when the graph's input size is not fixed
    "score_threshold": 0.25,
    "nms_iou": 0.45,
    "classes": None,  # names from `labels` to keep; None keeps all
    "threads": None,
}


def decode_yolov8(output: np.ndarray, num_classes: int, threshold: float, nms_iou: float,
                  label_names: tuple[str, ...], keep_labels: np.ndarray | None = None) -> Detections:
    """Detections of one image from its (4 + nc, N) or (N, 4 + nc) output, in input pixels."""
    out = np.asarray(output, np.float32)
    out = out.reshape(out.shape[-2:])
    width = 4 + num_classes
    if out.shape[0] != width:
        if out.shape[1] != width:
            raise ValueError(f"YOLOv8 output {out.shape} does not have 4 + {num_classes} rows or columns")
        out = out.T
    class_scores = out[4:]
    if keep_labels is not None:
        class_scores = np.where(keep_labels[:, None], class_scores, 0.0)
    labels = class_scores.argmax(axis=0)
    scores = class_scores[labels, np.arange(out.shape[1])]
    keep = np.nonzero(scores >= threshold)[0]
    if len(keep) == 0:
        return Detections.empty(label_names)
    cx, cy, w, h = out[:4, keep]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return nms(Detections.create(boxes, scores[keep], labels[keep], label_names), nms_iou)


class YoloV8Detector(WindowedDetector):
    family = "yolov8"
    tasks = ("any",)  # whatever the model's labels name
    num_keypoints = 0
    pad_value = 114

    def __init__(self, spec: ModelSpec, device: str = "auto", weights: Path | None = None, **settings):
        where = f"model '{spec.name}'"
        config = resolve_settings(where, DEFAULTS, spec.params, settings)
        self.spec = spec
        self.name, self.task, self.label_names = spec.name, spec.task, tuple(spec.labels)
        self.score_threshold = float(config["score_threshold"])
        self.nms_iou = float(config["nms_iou"])
        self._keep = None
        if config["classes"]:
            unknown = sorted(set(config["classes"]) - set(self.label_names))
            if unknown:
                raise ModelError(f"{where}: classes {', '.join(unknown)} are not among its labels "
                                 f"{', '.join(self.label_names)}")
            self._keep = np.array([name in config["classes"] for name in self.label_names])
        self._session = ModelSession(str(weights or model_path(spec.name)), device, config["threads"],
                                     label=spec.name, planned_memory=bool(config["planned_memory"]))
        batch, _, height, width = (self._session.input_shapes[0] + [None] * 4)[:4]
        self._fixed = isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0
        self.work_size = (width, height) if self._fixed else parse_size(where, config["input_size"], 32)
        if self._fixed:  # every window must be exactly the graph's input size
            config = {**config, "max_window": self.work_size}
        self._apply_window_settings(where, config, 1 if self._fixed else 32)
        static_batch = batch if isinstance(batch, int) and batch > 0 else None
        self.batch_size = static_batch or self.batch_size
        self._static_batch = static_batch

    @property
    def provider(self) -> ProviderChoice:
        return self._session.choice

    def input_shape_for(self, model_size: tuple[int, int]) -> tuple[int, int]:
        if self._fixed:
            return self.work_size
        return tuple(-(-v // 32) * 32 for v in model_size)

    def _infer(self, batch: np.ndarray) -> list[Detections]:
        count = len(batch)
        if self._static_batch and count < self._static_batch:
            batch = np.concatenate([batch, np.zeros((self._static_batch - count, *batch.shape[1:]), batch.dtype)])
        blob = np.ascontiguousarray(batch[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        (output,) = self._session.run({self._session.input_names[0]: blob}, self._session.output_names[:1])
        return [decode_yolov8(output[i], len(self.label_names), self.score_threshold, self.nms_iou,
                              self.label_names, self._keep) for i in range(count)]
