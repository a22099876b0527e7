"""Follow one shape forward through a video: a single-object tracker for manual masks.

The tracker is median flow (Kalal et al., 2010) on OpenCV's pyramidal Lucas-Kanade optical flow:
points inside the box are tracked to the next frame and back again; points whose round trip does
not return within a pixel or two are unreliable and dropped; the box moves by the median
displacement of the rest and scales by the median change of their pairwise distances. Why this
and not what else the headless OpenCV build offers (measured in the report of this module's
tests and benchmarks):
- TrackerMIL keeps the box size fixed, so a face that walks towards the camera escapes its mask;
  it also drifts by several pixels on textured patches and costs ~10x more per frame.
- Template matching is exact on pure translation but has no scale and no notion of losing
  the target other than a correlation threshold that depends on the picture.
- TrackerDaSiamRPN, Nano and Vit need network weights that are not shipped.
Median flow follows translation and scale, its forward-backward error says when the target is
lost (occlusion, leaving the picture), and it runs in a few milliseconds per frame.

The followed path is reduced to keyframes with keyframes.reduce_to_keyframes, the
same reduction the analysis uses: interpolation between keyframes always contains the followed
box and exceeds it by at most the tolerance (it errs larger: fail closed).
"""

from __future__ import annotations

from typing import Iterable, Iterator

import cv2
import numpy as np

from ..foundation import AnonymizerError, Cancelled
from ..foundation import CancelFn, ProgressFn, ProgressMeter
from ..project import Shape, Track
from .keyframes import reduce_to_keyframes, share_of_size

# Tuning, with the trade-offs:
GRID = 10  # points per side sampled in the box, topped up by corners; more: steadier, slower
FB_MAX_PX = 2.0  # forward-backward error above which a point is unreliable
MIN_RELIABLE = 0.25  # share of reliable points below which the target counts as lost
MIN_POINTS = 6
MIN_AGREEING = 0.6  # share of reliable points that must move with the box; lower tolerates more occlusion
AGREE_PX, AGREE_SHARE = 1.5, 0.02
MAX_SCALE_STEP = 0.1  # largest size change per frame believed (a zoom); larger means a tracking error
LK_WINDOW = (15, 15)
LK_LEVELS = 3
KEYFRAME_TOLERANCE = 0.04  # share of the box size that interpolation may exceed the followed box by
MIN_TOLERANCE_PX = 1.0


def follow_shape(video_path, info, track: Track, start_frame: int, stop_frame: int | None = None,
                 progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                 reduce: bool = True) -> list[tuple[int, Shape]]:
    """Keyframes (frame, shape) of the track's shape followed from `start_frame` until it is lost,
    `stop_frame` (inclusive) or the end of the video. The first entry is the start shape itself.

    Raises Cancelled with `.partial` holding the keyframes followed so far.
    """
    from ..project import shape_at
    from ..media import iter_frames

    shape = shape_at(track, start_frame)
    if shape is None:
        raise AnonymizerError(f"track {track.id} ({track.label}) has no mask at frame {start_frame} to follow; "
                              f"move the playhead onto the mask first")
    last = info.frame_count - 1 if stop_frame is None else min(stop_frame, info.frame_count - 1)
    frames = iter_frames(video_path, start_frame, last + 1, info)
    try:
        return follow_frames(frames, shape, start_frame, last, progress, cancel, reduce=reduce,
                             frame_size=(info.width, info.height))
    finally:
        frames.close()


def follow_frames(frames: Iterable[tuple[int, np.ndarray]], shape: Shape, start_frame: int,
                  stop_frame: int | None = None, progress: ProgressFn | None = None,
                  cancel: CancelFn | None = None, reduce: bool = True,
                  frame_size: tuple[int, int] | None = None) -> list[tuple[int, Shape]]:
    """follow_shape on frames already decoded: (index, BGR image) from `start_frame` on."""
    total = 0 if stop_frame is None else stop_frame - start_frame + 1
    meter = ProgressMeter("follow", total, progress, cancel)
    path: list[tuple[int, np.ndarray]] = []
    try:
        for frame, box in _follow_boxes(iter(frames), np.array(shape.bbox(), np.float64), start_frame, stop_frame):
            path.append((frame, box))
            meter.advance()
    except Cancelled as exc:
        exc.partial = _to_keyframes(path, shape, reduce, frame_size)
        raise
    return _to_keyframes(path, shape, reduce, frame_size)


def _follow_boxes(frames: Iterator[tuple[int, np.ndarray]], box: np.ndarray, start_frame: int,
                  stop_frame: int | None) -> Iterator[tuple[int, np.ndarray]]:
    prev_gray = None
    for index, img in frames:
        if index < start_frame:
            continue
        if stop_frame is not None and index > stop_frame:
            return
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
        if prev_gray is not None:
            moved = track_step(prev_gray, gray, box)
            if moved is None:
                return  # lost: stop, and leave the rest to the operator
            box = moved
        yield index, box.copy()
        prev_gray = gray


def track_step(prev: np.ndarray, cur: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The box moved from `prev` to `cur` (grey images), or None when the target is lost.

    Two passes: pyramidal flow of every point gives the box's motion by the median (robust to a
    minority of wrong points); then every point is tracked again from where that motion puts it,
    on the full-resolution image only, so that a periodic texture (a checked shirt, a fence) cannot
    pull single points onto a neighbouring period. The second pass decides: the box moves by the
    median of the points that agree with it, and when too few agree, the target is lost.
    """
    h, w = prev.shape[:2]
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    if bw < 2 or bh < 2:
        return None
    pts = _sample_points(prev, box)
    if len(pts) < MIN_POINTS:
        return None
    centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2], np.float32)
    fwd, ok = _flow(prev, cur, pts, None, LK_LEVELS)
    if ok.sum() < MIN_POINTS:  # only the median is used here: a minority of good points is enough
        return None
    d, scale = _similarity(pts[ok].reshape(-1, 2), fwd[ok].reshape(-1, 2), centre)
    guess = (centre + d + (pts.reshape(-1, 2) - centre) * scale).astype(np.float32).reshape(-1, 1, 2)
    fwd, ok = _flow(prev, cur, pts, guess, 0)
    if ok.sum() < MIN_POINTS or ok.mean() < MIN_RELIABLE:
        return None
    # Points that move with the box agree with its motion; when many disagree, something else moves
    # across the box (an occluder) or it deforms: stop before the mask follows the wrong thing.
    agree = ok & (np.linalg.norm((fwd - guess).reshape(-1, 2), axis=1) <= max(AGREE_PX, AGREE_SHARE * max(bw, bh)))
    if agree.sum() < MIN_POINTS or agree.sum() < MIN_AGREEING * ok.sum():
        return None
    d, scale = _similarity(pts[agree].reshape(-1, 2), fwd[agree].reshape(-1, 2), centre)
    if abs(scale - 1.0) > MAX_SCALE_STEP:
        return None
    cx, cy = centre + d
    nw, nh = bw * scale, bh * scale
    new = np.array([cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2], np.float64)
    # a target that has left the picture is lost, not squeezed against the edge
    vis_w = min(new[2], w) - max(new[0], 0)
    vis_h = min(new[3], h) - max(new[1], 0)
    if vis_w <= 0.25 * nw or vis_h <= 0.25 * nh:
        return None
    return new


def _flow(prev: np.ndarray, cur: np.ndarray, pts: np.ndarray, guess: np.ndarray | None,
          levels: int) -> tuple[np.ndarray, np.ndarray]:
    """Forward flow of `pts` and which points are reliable: found both ways, back within FB_MAX_PX."""
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)
    flags = cv2.OPTFLOW_USE_INITIAL_FLOW if guess is not None else 0
    fwd, st1, _ = cv2.calcOpticalFlowPyrLK(prev, cur, pts, None if guess is None else guess.copy(),
                                           winSize=LK_WINDOW, maxLevel=levels, criteria=criteria, flags=flags)
    back, st2, _ = cv2.calcOpticalFlowPyrLK(cur, prev, fwd, pts.copy(), winSize=LK_WINDOW, maxLevel=levels,
                                            criteria=criteria, flags=cv2.OPTFLOW_USE_INITIAL_FLOW)
    fb = np.linalg.norm((pts - back).reshape(-1, 2), axis=1)
    ok = (st1.ravel() == 1) & (st2.ravel() == 1) & np.isfinite(fb) & (fb <= FB_MAX_PX)
    return fwd, ok


def _similarity(p0: np.ndarray, p1: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, float]:
    """Median translation of the box centre and median scale between two point sets."""
    scale = _median_scale(p0, p1)
    d = np.median(p1 - centre - (p0 - centre) * scale, axis=0)
    return d, scale


def _sample_points(gray: np.ndarray, box: np.ndarray) -> np.ndarray:
    """A grid inside the box (median flow's choice: it covers flat parts too), plus strong corners."""
    h, w = gray.shape[:2]
    x1, y1, x2, y2 = box
    inset_x, inset_y = 0.1 * (x2 - x1), 0.1 * (y2 - y1)
    gx = np.linspace(x1 + inset_x, x2 - inset_x, GRID)
    gy = np.linspace(y1 + inset_y, y2 - inset_y, GRID)
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    ix1, iy1 = max(0, int(x1)), max(0, int(y1))
    ix2, iy2 = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
    corners = None
    if ix2 - ix1 >= 8 and iy2 - iy1 >= 8:
        corners = cv2.goodFeaturesToTrack(gray[iy1:iy2, ix1:ix2], maxCorners=60, qualityLevel=0.05,
                                          minDistance=3)
    pts = grid if corners is None else np.vstack([grid, corners.reshape(-1, 2) + (ix1, iy1)])
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
    return pts[inside].astype(np.float32).reshape(-1, 1, 2)


def _median_scale(p0: np.ndarray, p1: np.ndarray, max_pairs: int = 2000) -> float:
    n = len(p0)
    if n < 2:
        return 1.0
    i, j = np.triu_indices(n, k=1)
    if len(i) > max_pairs:  # a fixed subset: the median of ratios needs no more
        pick = np.linspace(0, len(i) - 1, max_pairs).astype(int)
        i, j = i[pick], j[pick]
    d0 = np.linalg.norm(p0[i] - p0[j], axis=1)
    d1 = np.linalg.norm(p1[i] - p1[j], axis=1)
    keep = d0 > 2.0
    return float(np.median(d1[keep] / d0[keep])) if keep.any() else 1.0


def _to_keyframes(path: list[tuple[int, np.ndarray]], shape: Shape, reduce: bool,
                  frame_size: tuple[int, int] | None) -> list[tuple[int, Shape]]:
    if not path:
        return []
    frames = [f for f, _ in path]
    boxes = np.array([b for _, b in path], np.float64)
    if reduce and len(path) > 2:
        keys, key_boxes = reduce_to_keyframes(boxes, share_of_size(boxes, KEYFRAME_TOLERANCE, MIN_TOLERANCE_PX))
        frames = [frames[k] for k in keys]
        # The first keyframe keeps its widened box too (it contains the operator's shape): put
        # back exactly, interpolation towards the second keyframe would cut into the object.
        boxes = key_boxes
    return [(f, shape_in_box(shape, b)) for f, b in zip(frames, boxes)]


def shape_in_box(shape: Shape, box) -> Shape:
    """`shape` moved and scaled so that its bounding box becomes `box` (polygons keep their form)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    if shape.kind != "polygon":
        return Shape.rect(x1, y1, x2, y2, kind=shape.kind)
    ox1, oy1, ox2, oy2 = shape.bbox()
    sx = (x2 - x1) / (ox2 - ox1) if ox2 > ox1 else 1.0
    sy = (y2 - y1) / (oy2 - oy1) if oy2 > oy1 else 1.0
    pts = [x1 + (v - ox1) * sx if i % 2 == 0 else y1 + (v - oy1) * sy for i, v in enumerate(shape.points)]
    return Shape("polygon", pts)
