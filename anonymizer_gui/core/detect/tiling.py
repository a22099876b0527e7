"""Keep small objects in large frames: a coarse whole-frame pass plus a fine pass, tiled when large.

A detector has a working size (e.g. 1280x736) and a smallest object it finds reliably (CenterFace:
faces of about 20-24 px; measured in benchmarks/detector_sizes.py). Shrinking a 4K frame to the
working size divides a 30 px face into 10 px, so it would be missed. Hence two passes:
- coarse: the whole frame fitted into the working size (never upscaled beyond `max_upscale`);
  it finds the large objects, which tiles would cut;
- fine, only when the coarse pass shrank the frame below `min_scale`: the frame at `min_scale`
  (1.0 = native pixels; 2.0 = upscaled, for tiny faces), as one window if it fits `max_window`,
  else as a grid of equal, overlapping tiles. The overlap is wide enough that any object cut by a
  tile border is large enough for the coarse pass to find.
Detections of all windows are mapped back to frame pixels and merged: boxes cut by a tile border
that lie mostly inside a whole box from another window are dropped (a confident half face must not
win over the whole face), then class-wise NMS.
Each window is padded on the right and bottom to the model's stride (or to its fixed input size).
Cost is about proportional to the model pixels: 1080p at min_scale 1 = 1280x736 + 1920x1088.

Multi-rate detection (analysis/schedule.py) asks for a cheaper pass on most frames: the whole
frame fitted into a smaller `reduced` size (e.g. 640x368), alone or next to the full windows.
`reduced_blind_size` says below which object size (frame px) that pass is not trusted, so that
the tracker does not count such an object as missed on a reduced frame.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from ..foundation import ModelError
from .base import Detections, Detector, parse_size
from .nms import nms, suppress_contained

# On the CPU, model input pixels per run: two 720p frames (1280x736) together, a 1080p window
# (1088x1920) alone (WindowedDetector._batch_for).
CPU_BATCH_PIXELS = 2_100_000

# Settings every windowed family takes (see plan_windows); families add their own.
WINDOW_DEFAULTS = {
    "min_scale": 1.0,
    "max_window": (1920, 1088),
    "max_upscale": 1.0,
    "min_object": 32.0,
    "batch_size": 4,
    # False: onnxruntime takes buffers one by one instead of one planned block per run (the leak
    # check's detectors: a few runs, and at 1080p the block is the process's largest allocation)
    "planned_memory": True,
}


@dataclass(frozen=True)
class Window:
    """A region of the frame and the factor (model pixels per frame pixel) it is resized by."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float
    close_look: bool = False  # round a small object the tracker expects: keep only what lies wholly inside
    min_found: float = 0.0  # detections smaller than this (longer side, frame px) are dropped as unreliable

    @property
    def model_size(self) -> tuple[int, int]:
        """(width, height) of the region once resized for the model, before padding."""
        return (max(1, round((self.x1 - self.x0) * self.scale)), max(1, round((self.y1 - self.y0) * self.scale)))


def plan_windows(frame_w: int, frame_h: int, work_size: tuple[int, int], min_scale: float = 1.0,
                 max_window: tuple[int, int] = (1920, 1088), max_upscale: float = 1.0,
                 min_object: float = 32.0) -> list[Window]:
    """The coarse whole-frame window first, then the fine windows (if the frame needs them).

    `min_object` is the size (model px) above which the coarse pass is trusted to find an object;
    it sets the tile overlap.
    """
    coarse_scale = min(work_size[0] / frame_w, work_size[1] / frame_h, max_upscale)
    windows = [Window(0, 0, frame_w, frame_h, coarse_scale)]
    if coarse_scale >= min_scale * 0.999:
        return windows
    scale = min_scale
    overlap = min_object * scale / coarse_scale  # model px at the fine scale
    xs, tile_w = _tiles(frame_w, max_window[0] / scale, overlap / scale)
    ys, tile_h = _tiles(frame_h, max_window[1] / scale, overlap / scale)
    windows += [Window(x, y, x + tile_w, y + tile_h, scale) for y in ys for x in xs]
    return windows


def reduced_window(frame_w: int, frame_h: int, size: tuple[int, int], max_upscale: float = 1.0) -> Window:
    """The whole frame fitted into `size` (the cheap pass of multi-rate detection)."""
    return Window(0, 0, frame_w, frame_h, min(size[0] / frame_w, size[1] / frame_h, max_upscale))


def region_window(box, frame_w: int, frame_h: int, scale: float, multiple: int = 32) -> Window:
    """A window at `scale` round a small object's box (frame px): three times its longer side, at
    least 128 model px, a multiple of `multiple` (few distinct shapes: few sessions), kept inside
    the frame."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side_model = max(128, -(-int(math.ceil(3 * max(x2 - x1, y2 - y1) * scale)) // multiple) * multiple)
    return centred_window(box, side_model / scale, frame_w, frame_h, scale, close_look=True)


def centred_window(box, side: float, frame_w: int, frame_h: int, scale: float, close_look: bool = False) -> Window:
    """A square window of `side` frame px centred on `box`, shifted to stay inside the frame (cut
    where the frame is smaller)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = min(side, frame_w), min(side, frame_h)
    x0 = min(max(0.0, (x1 + x2 - w) / 2), frame_w - w)
    y0 = min(max(0.0, (y1 + y2 - h) / 2), frame_h - h)
    return Window(int(x0), int(y0), int(x0) + max(1, int(round(w))), int(y0) + max(1, int(round(h))), scale,
                  close_look=close_look)


def _inside(box, window: Window) -> bool:
    return window.x0 <= box[0] and window.y0 <= box[1] and box[2] <= window.x1 and box[3] <= window.y1


def _tiles(length: int, limit: float, overlap: float) -> tuple[list[int], int]:
    """Starts and size (frame px) of equal tiles covering `length`, each <= limit, overlapping."""
    if length <= limit:
        return [0], length
    overlap = min(overlap, limit / 2)
    count = math.ceil((length - overlap) / (limit - overlap))
    size = min(math.floor(limit), math.ceil((length + (count - 1) * overlap) / count))
    return [round(i * (length - size) / (count - 1)) for i in range(count)], size


def cut_by_window(dets: Detections, window: Window, frame_w: int, frame_h: int, margin: float = 2.0
                  ) -> np.ndarray:
    """Which boxes (frame px) reach a border of the window that lies inside the frame.

    Such a box may hold only the part of an object that the window shows.
    """
    b = dets.boxes
    cut = np.zeros(len(dets), bool)
    if window.x0 > 0:
        cut |= b[:, 0] <= window.x0 + margin
    if window.y0 > 0:
        cut |= b[:, 1] <= window.y0 + margin
    if window.x1 < frame_w:
        cut |= b[:, 2] >= window.x1 - margin
    if window.y1 < frame_h:
        cut |= b[:, 3] >= window.y1 - margin
    return cut


def merge_detections(parts: Sequence[Detections], iou_threshold: float, containment: float = 0.7,
                     cut: Sequence[np.ndarray] | None = None) -> Detections:
    """One set of detections from overlapping windows, highest score first.

    First the boxes cut by a window border that lie mostly inside a whole box are dropped (a
    confident half face must not win over the whole face), then class-wise NMS.
    """
    merged = Detections.concatenate(parts)
    if cut is not None and len(parts) > 1:
        merged = suppress_contained(merged, containment, np.concatenate(cut))
    return nms(merged, iou_threshold)


def pad_to(image: np.ndarray, width: int, height: int, value: int) -> np.ndarray:
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    return cv2.copyMakeBorder(image, 0, height - h, 0, width - w, cv2.BORDER_CONSTANT, value=(value,) * 3)


def resize_window(frame: np.ndarray, window: Window) -> np.ndarray:
    crop = frame[window.y0:window.y1, window.x0:window.x1]
    size = window.model_size
    if size == (crop.shape[1], crop.shape[0]):
        return crop
    interpolation = cv2.INTER_AREA if window.scale < 1.0 else cv2.INTER_LINEAR
    return cv2.resize(crop, size, interpolation=interpolation)


class WindowedDetector(Detector):
    """Runs a model on the windows of each frame, batched by input shape, and merges the results.

    Subclasses give `input_shape_for((w, h))` (the padded shape the model takes) and `_infer`, which
    turns a uint8 BGR batch (B, H, W, 3) into one Detections per image in that image's pixels.
    """

    pad_value: int = 0
    work_size: tuple[int, int]
    min_scale: float = 1.0
    max_window: tuple[int, int] = (1920, 1088)
    max_upscale: float = 1.0
    min_object: float = 32.0
    nms_iou: float = 0.4
    containment: float = 0.7
    batch_size: int = 4

    @abstractmethod
    def input_shape_for(self, model_size: tuple[int, int]) -> tuple[int, int]:
        """(width, height) the model is fed for a window resized to model_size."""

    @abstractmethod
    def _infer(self, batch: np.ndarray) -> list[Detections]:
        """Detections per image of a uint8 BGR batch (B, H, W, 3), in that image's pixels."""

    def _apply_window_settings(self, where: str, config: dict, multiple: int) -> None:
        self.min_scale = float(config["min_scale"])
        self.max_upscale = float(config["max_upscale"])
        self.min_object = float(config["min_object"])
        self.batch_size = int(config["batch_size"])
        if not (0.05 <= self.min_scale <= 8 and 0.05 <= self.max_upscale <= 8):
            raise ModelError(f"{where}: min_scale and max_upscale must be between 0.05 and 8")
        if self.min_object <= 0 or self.batch_size < 1:
            raise ModelError(f"{where}: min_object and batch_size must be positive")
        self.max_window = parse_size(where, config["max_window"], multiple)

    def windows_for(self, width: int, height: int) -> list[Window]:
        return plan_windows(width, height, self.work_size, self.min_scale, self.max_window, self.max_upscale,
                            self.min_object)

    def reduced_blind_size(self, width: int, height: int, size: tuple[int, int]) -> float:
        """Objects smaller than this (longer side, frame px) the reduced pass at `size` is not
        trusted to find; 0 when that pass is no coarser than the finest full window."""
        reduced = reduced_window(width, height, size, self.max_upscale).scale
        finest = max(w.scale for w in self.windows_for(width, height))
        return 0.0 if reduced >= finest * 0.999 else self.min_object / reduced

    def _windows(self, width: int, height: int, reduced: tuple[int, int] | None, full: bool,
                 regions: Sequence | None) -> list[Window]:
        planned = self.windows_for(width, height)
        windows = list(planned) if full else []
        if reduced is not None:
            cheap = reduced_window(width, height, reduced, self.max_upscale)
            if not full:  # alone, it is trusted only as far as the coarse pass is (tiling rule)
                cheap = Window(cheap.x0, cheap.y0, cheap.x1, cheap.y1, cheap.scale,
                               min_found=self.min_object / cheap.scale)
            if cheap not in windows:  # reduced == the working size: the coarse window already
                windows.append(cheap)
        if regions is not None and len(regions):
            finest = max(w.scale for w in planned)
            crops: list[Window] = []
            for box in regions:  # one crop per region not already inside another crop
                if not any(_inside(box, c) for c in crops):
                    crops.append(region_window(box, width, height, finest, self._multiple()))
            windows += crops
        return windows

    def _batch_for(self, width: int, height: int) -> int:
        """Windows per run: batch_size, on the CPU only as many as fit in CPU_BATCH_PIXELS. A CPU
        gains little from a batch (720p full pass: 2 frames in 0.92 of the time of two runs) and
        its buffers grow with it: four 1088x1920 windows in one run took 4.4 GB, one 1.6 GB."""
        if self.provider.device != "cpu":
            return self.batch_size
        return max(1, min(self.batch_size, CPU_BATCH_PIXELS // (width * height)))

    def _multiple(self) -> int:
        probe = self.input_shape_for((1, 1))
        return max(1, min(probe))

    def detect(self, frames: Sequence[np.ndarray], reduced: tuple[int, int] | None = None,
               full: bool = True, regions: Sequence[Sequence] | None = None) -> list[Detections]:
        """Detections per frame. reduced: also run the whole frame fitted into this size (the
        cheap pass of multi-rate detection); full=False runs that pass alone. regions: per frame,
        boxes (frame px) of small objects to look at closely: a window at the full pass's finest
        scale round each (where the tracker expects a small object the reduced pass cannot see)."""
        if reduced is None and not full:
            raise ValueError("detect needs the full windows, a reduced size, or both")
        jobs: dict[tuple[int, int], list[tuple[int, Window]]] = defaultdict(list)
        for index, frame in enumerate(frames):
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(f"frames must be uint8 BGR HxWx3, got {frame.dtype} {frame.shape}")
            wanted = regions[index] if regions is not None else None
            for window in self._windows(frame.shape[1], frame.shape[0], reduced, full, wanted):
                jobs[self.input_shape_for(window.model_size)].append((index, window))
        found: list[list[Detections]] = [[] for _ in frames]
        cut: list[list[np.ndarray]] = [[] for _ in frames]
        for (width, height), items in jobs.items():
            per_run = self._batch_for(width, height)
            for start in range(0, len(items), per_run):
                chunk = items[start:start + per_run]
                batch = np.stack([pad_to(resize_window(frames[i], w), width, height, self.pad_value)
                                  for i, w in chunk])
                for (i, window), dets in zip(chunk, self._infer(batch)):
                    sx = (window.x1 - window.x0) / window.model_size[0]
                    sy = (window.y1 - window.y0) / window.model_size[1]
                    mapped = dets.transformed(sx, sy, window.x0, window.y0)
                    cuts = cut_by_window(mapped, window, frames[i].shape[1], frames[i].shape[0])
                    keep = ~cuts if window.close_look else np.ones(len(mapped), bool)
                    if window.min_found > 0:
                        b = mapped.boxes
                        keep &= np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) >= window.min_found
                    if not keep.all():  # a neighbour cut by a close look's border has a window of its own, or is none
                        mapped, cuts = mapped.select(keep), cuts[keep]
                    found[i].append(mapped)
                    cut[i].append(cuts)
        results = []
        for frame, parts, cuts in zip(frames, found, cut):
            merged = merge_detections(parts, self.nms_iou, self.containment, cuts)
            results.append(merged.clipped(frame.shape[1], frame.shape[0]))
        return results
