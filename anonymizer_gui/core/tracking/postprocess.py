"""Tracklets -> keyframed project Tracks: bridge, smooth, extend, grow, reduce to keyframes.

Analysis is offline, so each tracklet is finished with the whole of it in view:

1. bridge and smooth: a Rauch-Tung-Striebel smoother over the constant-velocity model runs over
   every frame from the first detection to the last. It fills missed frames (occlusion, blur,
   detect-every-k) by the motion model, and takes out the detector's jitter without the lag of a
   causal filter: constant motion is followed exactly, only sudden turns are rounded off. On every
   detected frame the smoothed box is then widened, where needed, to contain the detection shrunk
   by `detection_slack` of its size: jitter within the slack is smoothed away, but smoothing never
   uncovers more than that of what the detector saw (a head that turns back within a frame).
2. extend: `extend_frames` before the first and after the last detection (clipped to the video),
   the box swept from where it was last seen along its velocity, never shrinking: it covers a
   face that stops as it turns away as well as one that walks on out of the detector's sight.
   Inside a gap between detections the bridge gets the same sweep from both ends (sweep_gaps).
3. grow (fail closed): each side moves out by `motion_growth` times the per-frame displacement,
   which covers motion blur and the half frame a detector box may be off on a fast object, and by
   `gap_growth * size * (frames to the nearest detection)`, what a velocity error of `gap_growth`
   sizes per frame would add up to, so the mask widens where it is guessed rather than seen; and,
   before the first and after the last detection, by `speed_change * |velocity| * (frames from it
   - 1)`: a fast object may speed up or turn while unseen (a whip pan triples its speed in a few
   frames), a still one hardly moves.
   Growth is capped at `max_growth * size`.
4. keyframes: greedy, each segment as long as linear interpolation between its end keyframes
   stays within `keyframe_tolerance` (a share of the box size, at least `min_tolerance_px`) of
   the grown boxes. Keyframe boxes are widened by half the tolerance and interpolation must never
   fall inside the grown box, so the interpolated mask always contains it and exceeds it by at
   most the tolerance: reduction errs larger, never smaller.
5. fit: each label's box becomes its keyframe shape (MaskFit: kind, scale about the centre, a few
   pixels of pad). The mask must hold every detection box whatever the style's margin (0 by
   default), and the smallest shape that does is the box itself: an ellipse that holds a w x h
   box is sqrt(2) w x sqrt(2) h (1.57 w h), which measured larger on the output pixels than the
   box with a narrow soft edge (benchmarks/README.md, issue 10). A face keeps the box plus
   FACE_PAD_PX: on faces under ~30 px the detector's box falls a pixel or two short of the face
   (its output grid is 4 px). A plate's box already outlines the plate; its mask is the box plus
   PLATE_MARGIN, for the characters at its edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kalman import BoxMotionModel, cxcywh_to_boxes, rts_smooth
from ..project import REVIEW_MIN_FRAMES, Keyframe, Shape, Track
from .keyframes import outward_excess, reduce_to_keyframes, share_of_size, widen
from .tracker import Tracklet

# Offline smoothing model: less position noise than the online tracker's, so that the velocity
# explains the motion and the detector's jitter is averaged out; the velocity noise still lets it
# follow a head that turns within a few frames.
SMOOTHING_MODEL = BoxMotionModel(pos_noise=1 / 100, vel_noise=1 / 40, meas_noise=1 / 20,
                                 init_vel_noise=1.0)  # no prior on speed: a zero-speed prior lags at the start


COVER_HOLD = 6  # frames each way that a detection's overshoot keeps the mask widened

FACE_PAD_PX = 2.0  # per side, frame pixels: see step 5 of the module text
PLATE_MARGIN = 0.05  # per side, of the plate box


@dataclass(frozen=True)
class MaskFit:
    """How a label's tracked box becomes its keyframe shape: `kind`, width and height times
    `scale` about the centre, then `pad_px` more on each side. Both are linear in the box, so
    interpolating fitted keyframes is fitting the interpolated box: nothing falls out between."""

    kind: str = "rect"
    scale: float = 1.0
    pad_px: float = 0.0

    def apply(self, boxes: np.ndarray) -> np.ndarray:
        out = scaled_about_centre(np.asarray(boxes, np.float64), self.scale)
        return out + np.array([-1.0, -1.0, 1.0, 1.0]) * self.pad_px if self.pad_px else out


DEFAULT_SHAPES = (("face", MaskFit("rect", 1.0, FACE_PAD_PX)),
                  ("plate", MaskFit("rect", 1.0 + 2.0 * PLATE_MARGIN)))


@dataclass(frozen=True)
class TrackShapeSettings:
    """How tracklets become masks; see the module text for what each step does.

    extend_frames: frames added before the first and after the last detection. More hides faces
        that the detector loses as they turn or enter; costs masked background.
    smoothing: scales how little a single detection is trusted; 0 follows every detection exactly
        (jitter shows as wobbling masks), 1 is the tuned default, 2-3 smooth harder and round off
        sudden turns more.
    detection_slack: share of a detected box's size that smoothing may leave uncovered. 0 (the
        default, fail closed): the mask contains every detection whatever the style's margin, which
        may be 0; a jittery detector then widens the mask where it jumps out. Larger hides more
        jitter but leans on the margin to cover the detection.
    motion_growth: share of the per-frame displacement added on each side.
    gap_growth, speed_change, max_growth: growth per frame away from the nearest detection, as a
        share of the size and of the speed (see module text),
        and the cap of all growth; shares of the box size.
    keyframe_tolerance, min_tolerance_px: how far interpolated keyframes may exceed the mask.
    unseen_frames: frames between two detector runs (detect-every-K: K - 1). A face can enter or
        leave that many frames before its first or after its last detection, so the extension is
        never shorter, confirmed tracklet or not.
    interior_extend_frames: the extension (instead of extend_frames, when longer) at an end of a
        confirmed track whose box there lies well inside the frame (well_inside) and moves
        slowly (INTERIOR_MAX_SPEED): a face that shows up or vanishes mid-picture was there,
        turned or too small for the detector.
    shapes: per label, how its box becomes the keyframe shape (MaskFit); a label not listed gets
        the box as a rectangle. The analysis uses DEFAULT_SHAPES.
    """

    extend_frames: int = 8
    smoothing: float = 1.0
    detection_slack: float = 0.0
    motion_growth: float = 0.5
    gap_growth: float = 0.01
    speed_change: float = 1.0
    max_growth: float = 0.5
    keyframe_tolerance: float = 0.04
    min_tolerance_px: float = 1.0
    unseen_frames: int = 0
    interior_extend_frames: int = 0
    shapes: tuple[tuple[str, MaskFit], ...] = ()

    @property
    def lead_frames(self) -> int:
        """The most frames a track may mask before its first detection."""
        return max(self.extend_frames, self.interior_extend_frames) + self.unseen_frames

    def shape_of(self, label: str) -> MaskFit:
        return next((fit for name, fit in self.shapes if name == label), MaskFit())

    def __post_init__(self):
        if self.unseen_frames < 0:
            raise ValueError("unseen_frames must not be negative")
        if self.extend_frames < 0 or self.smoothing < 0 or self.keyframe_tolerance < 0:
            raise ValueError("extend_frames, smoothing and keyframe_tolerance must not be negative")


@dataclass
class BoxPath:
    """A track's box on every frame of its span, before keyframe reduction."""

    start: int  # frame of row 0
    boxes: np.ndarray  # (T, 4) x1y1x2y2
    velocity: np.ndarray  # (T, 2) centre displacement per frame
    detection_distance: np.ndarray  # (T,) frames to the nearest detection, 0 on detected frames

    @property
    def frames(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.boxes))


def smooth_path(tracklet: Tracklet, smoothing: float = 1.0, detection_slack: float = 0.0) -> BoxPath:
    """Bridged and smoothed boxes on every frame from the first to the last detection."""
    frames = np.asarray(tracklet.frames)
    start = int(frames[0])
    span = int(frames[-1]) - start + 1
    detected = tracklet.box_array()
    observed = np.full((span, 4), np.nan)
    observed[frames - start] = detected
    mean, _ = rts_smooth(observed, SMOOTHING_MODEL, meas_scale=smoothing)
    boxes = cxcywh_to_boxes(mean[:, :, 0])
    rows = frames - start
    # Where a detection sticks out of the smoothed box, widen that side by the overshoot, held as
    # the largest over COVER_HOLD frames each way: every detection is covered, but a jittery
    # detector widens the mask in steps rather than making it wobble (few keyframes).
    cover = widen(detected, -share_of_size(detected, detection_slack))
    overshoot = np.zeros((span, 4))
    overshoot[rows] = np.maximum(outward_excess(cover, boxes[rows]), 0.0)
    from scipy.ndimage import maximum_filter1d  # here: see tracker.match_by_iou

    overshoot = maximum_filter1d(overshoot, size=2 * COVER_HOLD + 1, axis=0, mode="nearest")
    boxes = widen(boxes, overshoot)
    return BoxPath(start, boxes, mean[:, :2, 1].copy(), _distance_to_detection(rows, span))


def union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([np.minimum(a[..., :2], b[..., :2]), np.maximum(a[..., 2:], b[..., 2:])], axis=-1)


def _distance_to_detection(detected: np.ndarray, span: int) -> np.ndarray:
    t = np.arange(span)
    pos = np.searchsorted(detected, t)
    after = detected[np.minimum(pos, len(detected) - 1)]
    before = detected[np.maximum(pos - 1, 0)]
    return np.minimum(np.abs(after - t), np.abs(t - before)).astype(np.float64)


def extend_path(path: BoxPath, before: int, after: int) -> BoxPath:
    """Add `before` frames ahead of the path and `after` frames behind it (see module text)."""
    pre = [_swept(path.boxes[0], -path.velocity[0], d) for d in range(before, 0, -1)]
    post = [_swept(path.boxes[-1], path.velocity[-1], d) for d in range(1, after + 1)]
    boxes = np.concatenate([np.reshape(pre, (-1, 4)), path.boxes, np.reshape(post, (-1, 4))])
    velocity = np.concatenate([np.repeat(path.velocity[:1], before, 0), path.velocity,
                               np.repeat(path.velocity[-1:], after, 0)])
    distance = np.concatenate([np.arange(before, 0, -1), path.detection_distance,
                               np.arange(1, after + 1)]).astype(np.float64)
    return BoxPath(path.start - before, boxes, velocity, distance)


MIN_SWEPT_GAP = 3  # missed frames: shorter gaps are bridged well by the motion model alone


def sweep_gaps(path: BoxPath, tracklet: Tracklet, extend: int) -> BoxPath:
    """Inside a gap between detections, also cover what the two ends' extensions would.

    The smoother bridges a gap along the motion model, which is right for an object that moved
    on steadily, but a whip pan or a head that ducked away and came back moved elsewhere in
    between. Each row of a gap of at least MIN_SWEPT_GAP frames gets the union of the bridge and
    the detection swept `extend` frames on from the last one before the gap (at the speed of
    the detections just before it) and back from the first one after it: two fragments joined
    into one track (linking.py) cover what each one's own extension covered apart.
    """
    frames = np.asarray(tracklet.frames)
    gaps = np.flatnonzero(np.diff(frames) > MIN_SWEPT_GAP)
    if extend <= 0 or len(gaps) == 0:
        return path
    detected = tracklet.box_array()
    boxes = path.boxes.copy()
    for g in gaps:
        a, b = int(frames[g] - path.start), int(frames[g + 1] - path.start)
        before = _detection_velocity(frames[max(0, g - 3):g + 1], detected[max(0, g - 3):g + 1])
        after = _detection_velocity(frames[g + 1:g + 5], detected[g + 1:g + 5])
        for d in range(1, min(extend, b - a - 1) + 1):
            boxes[a + d] = union(boxes[a + d], _swept(detected[g], before, d))
            boxes[b - d] = union(boxes[b - d], _swept(detected[g + 1], -after, d))
    return BoxPath(path.start, boxes, path.velocity, path.detection_distance)


def _detection_velocity(frames: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Centre displacement per frame over a few detections (zero for one)."""
    if len(frames) < 2 or frames[-1] == frames[0]:
        return np.zeros(2)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    return (centres[-1] - centres[0]) / (frames[-1] - frames[0])


def _swept(box: np.ndarray, velocity: np.ndarray, frames: int) -> np.ndarray:
    """Union of the box held where it was and moved `frames` along `velocity`."""
    dx, dy = velocity * frames
    return np.array([box[0] + min(dx, 0), box[1] + min(dy, 0), box[2] + max(dx, 0), box[3] + max(dy, 0)])


def grow_path(path: BoxPath, settings: TrackShapeSettings) -> np.ndarray:
    """Boxes grown for motion and for guessed frames (see module text)."""
    b = path.boxes
    size = np.stack([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)  # (T, 2): w, h
    unseen = path.detection_distance[:, None]
    # Past the first and last detection the speed itself is a guess (from the second frame on);
    # inside a gap both ends are known and sweep_gaps covers it.
    seen = np.flatnonzero(path.detection_distance == 0)
    rows = np.arange(len(b))[:, None]
    beyond = (rows < seen[0]) | (rows > seen[-1]) if len(seen) else np.ones_like(unseen, bool)
    guessed_speed = np.where(beyond, np.maximum(unseen - 1, 0), 0)
    growth = ((settings.motion_growth + settings.speed_change * guessed_speed) * np.abs(path.velocity)
              + settings.gap_growth * size * unseen)
    growth = np.minimum(growth, settings.max_growth * size)
    return b + np.concatenate([-growth, growth], axis=1)


def clip_path(boxes: np.ndarray, frame_size: tuple[int, int]) -> tuple[np.ndarray, slice]:
    """Boxes clipped to the frame, and the rows to keep: extension rows wholly outside are dropped."""
    w, h = frame_size
    clipped = np.column_stack([np.clip(boxes[:, 0], 0, w), np.clip(boxes[:, 1], 0, h),
                               np.clip(boxes[:, 2], 0, w), np.clip(boxes[:, 3], 0, h)])
    inside = np.flatnonzero((clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1]))
    if len(inside) == 0:
        return clipped, slice(0, 0)
    return clipped, slice(int(inside[0]), int(inside[-1]) + 1)


def well_inside(box: np.ndarray, frame_size: tuple[int, int]) -> bool:
    """At least its own size away from every edge of the frame (it did not come in or go out there)."""
    w, h = box[2] - box[0], box[3] - box[1]
    return bool(box[0] >= w and box[1] >= h and box[2] <= frame_size[0] - w and box[3] <= frame_size[1] - h)


INTERIOR_MAX_SPEED = 0.03  # box sizes per frame: slower ends get the interior extension


def _settled(path: BoxPath, row: int, frame_size: tuple[int, int]) -> bool:
    """The track's end at `row` lies well inside the frame and moves slowly there: a fast one
    (a pan) left the detector's sight by moving, and sweeping it on for long covers background."""
    box = path.boxes[row]
    size = max(box[2] - box[0], box[3] - box[1], 1.0)
    return well_inside(box, frame_size) and float(np.hypot(*path.velocity[row])) <= INTERIOR_MAX_SPEED * size


def scaled_about_centre(boxes: np.ndarray, scale: float) -> np.ndarray:
    """(N, 4) boxes with width and height times `scale`, centres kept (linear: commutes with interpolation)."""
    if scale == 1.0:
        return boxes
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = (boxes[:, 2:] - boxes[:, :2]) / 2 * scale
    return np.concatenate([centre - half, centre + half], axis=1)


def tracklet_to_track(tracklet: Tracklet, frame_count: int, frame_size: tuple[int, int],
                      settings: TrackShapeSettings | None = None) -> Track | None:
    """The keyframed, fail-closed project Track of one tracklet (None if it lies wholly outside).

    Unconfirmed tracklets (a few weak hits, see track.py) get only a short extension: enough that
    a one-off detection masks a few frames rather than flashing for one, but short enough that the
    track stays shorter than REVIEW_MIN_FRAMES, so Track.needs_review flags it for the operator.
    """
    s = settings or TrackShapeSettings()
    path = smooth_path(tracklet, s.smoothing, s.detection_slack)
    extend = s.extend_frames + s.unseen_frames
    if not tracklet.confirmed:
        span = tracklet.last_frame - tracklet.first_frame + 1
        extend = min(extend, max(s.unseen_frames, (REVIEW_MIN_FRAMES - 1 - span) // 2))
    path = sweep_gaps(path, tracklet, extend)
    lead = trail = extend
    if tracklet.confirmed and s.interior_extend_frames > s.extend_frames:
        # a face does not appear or vanish in the middle of the picture: the detector lost it there
        longer = s.interior_extend_frames + s.unseen_frames
        lead = longer if _settled(path, 0, frame_size) else extend
        trail = longer if _settled(path, -1, frame_size) else extend
    if lead or trail:
        before = min(lead, path.start)
        after = min(trail, max(0, frame_count - 1 - tracklet.last_frame))
        path = extend_path(path, before, after)
    boxes, keep = clip_path(grow_path(path, s), frame_size)
    boxes = boxes[keep]
    if len(boxes) == 0:
        return None
    start = path.start + keep.start
    keys, key_boxes = reduce_to_keyframes(boxes, share_of_size(boxes, s.keyframe_tolerance,
                                                                     s.min_tolerance_px))
    fit = s.shape_of(tracklet.label)
    key_boxes = fit.apply(key_boxes)
    keyframes = [Keyframe(start + k, Shape.rect(*map(float, kb), kind=fit.kind)) for k, kb in zip(keys, key_boxes)]
    scores = {int(f): float(sc) for f, sc in zip(tracklet.frames, tracklet.scores)}
    blind = sum(1 for f in set(tracklet.blind_frames) if tracklet.first_frame < f < tracklet.last_frame)
    return Track(id=tracklet.id, label=tracklet.label, source="auto", keyframes=keyframes, scores=scores,
                 blind_frames=blind)
