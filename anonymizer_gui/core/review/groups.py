"""Person groups: tracks of one person, linked by appearance and motion.

No face-embedding model with permissively licensed weights ships in a registry wheel that the
model manifest could pin (the ArcFace-family weights are research-only), so a person is
recognised the plain way: the colour of the face region and a little around it (hair, collar)
as an HSV histogram, its size, and where the track ends versus where the next one starts.

Two tracks can join when they never show at the same frame (one person is in one place at a
time), their colours agree and their sizes are alike; a short gap with the second track starting
where the first was heading is accepted on looser colour agreement. Candidate pairs are joined
best first with union-find, and a join that would put two overlapping tracks in one group is
refused, so a chain of near matches cannot merge two people who were seen together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import cv2
import numpy as np

from ..media import FrameReader
from ..project import Track, shape_at
from .risk import best_frame

HIST_BINS = (16, 8)  # hue x saturation; value is left out so shade and lighting matter less
CONTEXT = 0.35  # grow the face box by this share on each side: hair and collar tell people apart
MAX_DISTANCE = 0.35  # Bhattacharyya distance of the colour histograms for an appearance-only link
MOTION_DISTANCE = 0.5  # looser colour agreement when the motion also agrees
MOTION_GAP = 30  # frames: a gap this short is checked for motion continuity
MOTION_REACH = 1.5  # the new box must start within this many box sizes of the predicted one
SIZE_RATIO = 1.8  # box sides within this ratio
SAMPLES = 3  # frames per track whose crops make its signature


@dataclass
class Signature:
    hist: np.ndarray  # normalised HS histogram, float32
    size: float  # mean box side in pixels


def region(bbox: tuple[float, float, float, float], width: int, height: int,
           context: float = CONTEXT) -> tuple[int, int, int, int] | None:
    x1, y1, x2, y2 = bbox
    dx, dy = (x2 - x1) * context, (y2 - y1) * context
    ix1, iy1 = max(0, int(x1 - dx)), max(0, int(y1 - dy))
    ix2, iy2 = min(width, int(np.ceil(x2 + dx))), min(height, int(np.ceil(y2 + dy)))
    return (ix1, iy1, ix2, iy2) if ix2 - ix1 >= 2 and iy2 - iy1 >= 2 else None


def sample_frames(track: Track, count: int = SAMPLES) -> list[int]:
    """The best frame and frames spread over the span where the track shows."""
    frames = [best_frame(track)]
    span = track.last_frame - track.first_frame
    for k in range(1, count):
        f = track.first_frame + span * k // count
        if f not in frames and shape_at(track, f) is not None:
            frames.append(f)
    return [f for f in frames if shape_at(track, f) is not None]


def crop_hist(frame_bgr: np.ndarray, bbox) -> np.ndarray | None:
    h, w = frame_bgr.shape[:2]
    box = region(bbox, w, h)
    if box is None:
        return None
    x1, y1, x2, y2 = box
    hsv = cv2.cvtColor(frame_bgr[y1:y2, x1:x2], cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(HIST_BINS), [0, 180, 0, 256])
    return cv2.normalize(hist, None, 1.0, 0.0, cv2.NORM_L1).astype(np.float32)


def signatures(tracks: Iterable[Track], frames: Iterable[tuple[int, np.ndarray]]) -> dict[int, Signature]:
    """Signatures of `tracks` from `frames` ((index, BGR image) in any order, e.g. a decode pass
    over just the frames that sample_frames asks for)."""
    tracks = list(tracks)
    wanted: dict[int, list[Track]] = {}
    for t in tracks:
        for f in sample_frames(t):
            wanted.setdefault(f, []).append(t)
    hists: dict[int, list[np.ndarray]] = {}
    sizes: dict[int, list[float]] = {}
    for index, image in frames:
        for t in wanted.get(index, ()):
            shape = shape_at(t, index)
            hist = crop_hist(image, shape.bbox()) if shape is not None else None
            if hist is not None:
                x1, y1, x2, y2 = shape.bbox()
                hists.setdefault(t.id, []).append(hist)
                sizes.setdefault(t.id, []).append(((x2 - x1) * (y2 - y1)) ** 0.5)
    return {tid: Signature(np.mean(h, axis=0).astype(np.float32), float(np.mean(sizes[tid])))
            for tid, h in hists.items()}


def distance(a: Signature, b: Signature) -> float:
    return float(cv2.compareHist(a.hist, b.hist, cv2.HISTCMP_BHATTACHARYYA))


def _motion_agrees(a: Track, b: Track) -> bool:
    """b starts soon after a ends, near where a was heading."""
    a_first, a_last = a.seen_span
    b_first = b.seen_span[0]
    gap = b_first - a_last
    if not 0 < gap <= MOTION_GAP:
        return False
    end = shape_at(a, a_last) or a.keyframes[-1].shape
    before = shape_at(a, max(a_first, a_last - 5)) or end
    start = shape_at(b, b_first) or b.keyframes[0].shape
    (ex1, ey1, ex2, ey2), (px1, py1, px2, py2) = end.bbox(), before.bbox()
    steps = max(1, a_last - max(a_first, a_last - 5))
    vx = ((ex1 + ex2) - (px1 + px2)) / 2 / steps
    vy = ((ey1 + ey2) - (py1 + py2)) / 2 / steps
    cx, cy = (ex1 + ex2) / 2 + vx * gap, (ey1 + ey2) / 2 + vy * gap
    sx1, sy1, sx2, sy2 = start.bbox()
    side = max(ex2 - ex1, ey2 - ey1, 1.0)
    return np.hypot((sx1 + sx2) / 2 - cx, (sy1 + sy2) / 2 - cy) <= MOTION_REACH * side


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(x1 <= y2 and y1 <= x2 for x1, x2 in a for y1, y2 in b)


def link_groups(tracks: list[Track], sigs: Mapping[int, Signature],
                fixed: Mapping[int, int] | None = None) -> dict[int, int]:
    """Group id per track id. Tracks with a group in `fixed` keep it (the operator's merges and
    splits stand; two fixed groups are never joined); others join a fixed group or each other
    when they match. New group ids are above every fixed one, numbered by first appearance."""
    fixed = {tid: g for tid, g in (fixed or {}).items() if any(t.id == tid for t in tracks)}
    by_id = {t.id: t for t in tracks}
    parent = {t.id: t.id for t in tracks}
    spans = {t.id: [t.seen_span] for t in tracks}  # one person is never *seen* twice at once
    owner = {t.id: fixed.get(t.id) for t in tracks}  # root -> the fixed group it holds, if any

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: int, y: int, force: bool = False) -> None:
        rx, ry = find(x), find(y)
        if rx == ry:
            return
        if not force and (_overlap(spans[rx], spans[ry])  # one person is never seen twice at once
                          or (owner[rx] is not None and owner[ry] is not None and owner[rx] != owner[ry])):
            return
        parent[ry] = rx
        spans[rx] += spans.pop(ry)
        owner[rx] = owner[rx] if owner[rx] is not None else owner.pop(ry)

    first_of: dict[int, int] = {}
    for tid, g in fixed.items():  # the operator's groups first, whatever they overlap
        union(first_of.setdefault(g, tid), tid, force=True)
    pairs = []
    ordered = sorted(tracks, key=lambda t: (t.seen_span[0], t.id))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if a.label != b.label or a.id not in sigs or b.id not in sigs or (a.id in fixed and b.id in fixed):
                continue
            sa, sb = sigs[a.id], sigs[b.id]
            if max(sa.size, sb.size) > SIZE_RATIO * max(1e-6, min(sa.size, sb.size)):
                continue
            d = distance(sa, sb)
            if d <= (MOTION_DISTANCE if _motion_agrees(a, b) else MAX_DISTANCE):
                pairs.append((d, a.id, b.id))
    for _, x, y in sorted(pairs):
        union(x, y)
    groups: dict[int, list[int]] = {}
    for tid in parent:
        groups.setdefault(find(tid), []).append(tid)
    out: dict[int, int] = {}
    next_id = max(fixed.values(), default=0) + 1
    for root, members in sorted(groups.items(), key=lambda kv: min((by_id[i].first_frame, i) for i in kv[1])):
        gid = owner.get(root)
        if gid is None:
            gid, next_id = next_id, next_id + 1
        for i in members:
            out[i] = gid
    return out


def read_signatures(path: str, tracks: list[Track], cancel=None) -> dict[int, Signature]:
    """Signatures of `tracks` from the video at `path`: one forward decode over the sampled frames."""
    wanted = sorted({f for t in tracks for f in sample_frames(t)})
    if not wanted:
        return {}

    def frames():
        with FrameReader(path) as reader:
            need = set(wanted)
            for index, image in reader.frames(wanted[0], wanted[-1] + 1):
                if cancel is not None and cancel():
                    return
                if index in need:
                    yield index, image

    return signatures(tracks, frames())


def group_people(project, cancel=None) -> dict[int, int]:
    """Group ids for every track of `project` with a signature: existing groups stand (they may be
    the operator's), ungrouped tracks join one when they match, or start their own."""
    tracks = [t for t in project.tracks if t.keyframes]
    sigs = read_signatures(project.media.path, tracks, cancel)
    fixed = {t.id: t.group for t in tracks if t.group is not None}
    return link_groups(tracks, sigs, fixed)
