"""Tracks <-> MOTChallenge CSV: `frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z`.

MOT lists a box on every frame an object is seen (frames count from 1), with no keyframes and no
shapes other than boxes. The export writes every masked frame of each track (the bounding box of
its shape there; conf is the detector's score on that frame, or 1) with three decimals, the
project's own precision. The import turns each run of frames back into keyframes: a gap in the
frames is an `outside` stretch, and inside a run the keyframes are the fewest frames whose linear
interpolation reproduces every row within TOLERANCE_PX (top-down: the row farthest from the line
becomes a keyframe until none is off). For rows written from keyframed boxes this recovers exactly
the keyframes that change the motion, so a round trip keeps every keyframe of a box track; only a
keyframe lying on the straight line between its neighbours (which changes nothing) is not recovered.
A box reaching beyond json_io.MAX_COORDINATE (left + width included) is refused with its line.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ..foundation import ProjectFormatError
from .interpolate import shape_at
from .json_io import coordinate_error
from .model import Keyframe, Project, Shape, Track

# Rows are written to 0.001 px, so a row between two keyframes is off its line by <= 0.001 px from
# rounding alone; anything farther is a real bend of the motion.
TOLERANCE_PX = 0.0015
MAX_ROWS = 5_000_000  # a bound on what one file may ask us to hold


def tracks_to_mot_csv(project: Project) -> bytes:
    """One row per track per masked frame, frames from 1, sorted by frame then track."""
    rows = []
    n = project.media.frame_count
    for track in project.tracks:
        if not track.keyframes:
            continue
        last = track.last_frame if n <= 0 else min(track.last_frame, n - 1)
        for frame in range(max(track.first_frame, 0), last + 1):
            shape = shape_at(track, frame)
            if shape is None:
                continue
            x1, y1, x2, y2 = shape.bbox()
            conf = track.scores.get(frame, 1.0)
            rows.append((frame + 1, track.id, x1, y1, x2 - x1, y2 - y1, conf))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = io.StringIO()
    for f, tid, x, y, w, h, conf in rows:
        out.write(f"{f},{tid},{x:.3f},{y:.3f},{w:.3f},{h:.3f},{conf:.4g},-1,-1,-1\n")
    return out.getvalue().encode("ascii")


def tracks_from_mot_csv(data: bytes, project: Project, label: str = "face") -> list[Track]:
    """The tracks of a MOTChallenge file (gt, det or tracker output), all with `label`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectFormatError("not a MOT CSV file (not UTF-8 text)") from None
    by_id: dict[int, dict[int, tuple[np.ndarray, float]]] = {}
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if lineno > MAX_ROWS:
            raise ProjectFormatError(f"the MOT file has more than {MAX_ROWS} rows")
        frame, tid, box, conf = _parse_row(row, lineno)
        if tid < 0:  # detections without an identity (MOT det files use -1)
            raise ProjectFormatError(f"line {lineno}: id {tid}; import tracks, not raw detections")
        rows = by_id.setdefault(tid, {})
        if frame in rows:
            raise ProjectFormatError(f"line {lineno}: a second box for id {tid} on frame {frame + 1}")
        rows[frame] = (box, conf)
    n = project.media.frame_count
    tracks = []
    for tid in sorted(by_id):
        rows = by_id[tid]
        if n > 0 and max(rows) >= n:
            raise ProjectFormatError(f"id {tid} has a box on frame {max(rows) + 1}, but the video has {n} frames")
        frames = np.array(sorted(rows))
        boxes = np.stack([rows[f][0] for f in frames])
        # conf 1 is MOT's "a person marked this"; a detector's score is below 1
        scores = {int(f): rows[f][1] for f in frames if 0.0 <= rows[f][1] < 1.0}
        tracks.append(Track(id=tid if tid > 0 else max(by_id) + 1, label=label,
                            source="auto" if scores else "manual",
                            keyframes=_keyframes(frames, boxes), scores=scores))
    return tracks


def _parse_row(row: list[str], lineno: int) -> tuple[int, int, np.ndarray, float]:
    if len(row) < 6:
        raise ProjectFormatError(f"line {lineno}: expected frame,id,left,top,width,height[,conf,...]")
    try:
        frame, tid = int(float(row[0])), int(float(row[1]))
        x, y, w, h = (float(v) for v in row[2:6])
        conf = float(row[6]) if len(row) > 6 and row[6].strip() else 1.0
    except ValueError:
        raise ProjectFormatError(f"line {lineno}: expected numbers, got {','.join(row)[:80]!r}") from None
    if not all(math.isfinite(v) for v in (x, y, w, h, conf)):
        raise ProjectFormatError(f"line {lineno}: numbers must be finite")
    if frame < 1:
        raise ProjectFormatError(f"line {lineno}: MOT frames count from 1, got {frame}")
    if w <= 0 or h <= 0:
        raise ProjectFormatError(f"line {lineno}: the box has no area")
    box = (x, y, x + w, y + h)  # left + width may overflow to infinity
    problem = coordinate_error(box, f"line {lineno}")
    if problem:
        raise ProjectFormatError(problem)
    return frame - 1, tid, np.array(box), conf


def _keyframes(frames: np.ndarray, boxes: np.ndarray) -> list[Keyframe]:
    """Runs of consecutive frames -> keyframes; a gap becomes an outside keyframe."""
    out: list[Keyframe] = []
    breaks = np.flatnonzero(np.diff(frames) > 1) + 1
    for start, stop in zip(np.r_[0, breaks], np.r_[breaks, len(frames)]):
        run_frames, run_boxes = frames[start:stop], boxes[start:stop]
        keep = _bends(run_boxes)
        if stop < len(frames) and len(keep) >= 2 and np.allclose(run_boxes[keep[-1]], run_boxes[keep[-2]],
                                                                 atol=TOLERANCE_PX, rtol=0):
            keep.pop()  # held before an outside keyframe: the last row repeats the keyframe before it
        out += [Keyframe(int(run_frames[i]), _rect(run_boxes[i])) for i in keep]
        if stop < len(frames):
            out.append(Keyframe(int(run_frames[-1]) + 1, _rect(run_boxes[-1]), outside=True))
    return out


def _bends(boxes: np.ndarray) -> list[int]:
    """Indices of the fewest rows whose linear interpolation stays within TOLERANCE_PX of every row.

    Top-down: between two neighbouring keyframes, the row farthest from their line (the first of
    equals) becomes a keyframe, until no row is off. A new keyframe changes the line only between
    its two neighbours, so every stretch is split on its own: each pass splits every stretch that is
    still off at once, and the passes are as many as the splits are deep (a few dozen for a jittery
    track of hours), not one per keyframe. np.interp over all the keyframes gives every row exactly
    the value it would get from its own two neighbours, so the result does not depend on the order
    of the splits.
    """
    n = len(boxes)
    if n <= 2:
        return list(range(n))
    idx = np.arange(n)
    keys = np.array([0, n - 1])
    while True:
        fitted = np.stack([np.interp(idx, keys, boxes[keys, c]) for c in range(4)], axis=1)
        error = np.abs(fitted - boxes).max(axis=1)
        # the worst row of each stretch [keys[i], keys[i + 1]) and whether it is off
        stretch = np.searchsorted(keys, idx, side="right") - 1
        worst = np.maximum.reduceat(error, keys[:-1])
        off = (error == worst[np.minimum(stretch, len(worst) - 1)]) & (error > TOLERANCE_PX)
        rows = np.flatnonzero(off)
        if not len(rows):
            return keys.tolist()
        _, first = np.unique(stretch[rows], return_index=True)  # the first of equals in each stretch
        keys = np.union1d(keys, rows[first])


def _rect(box: np.ndarray) -> Shape:
    return Shape("rect", [round(float(v), 3) for v in box])
