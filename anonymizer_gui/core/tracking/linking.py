"""One track per object: join tracklet fragments across gaps, absorb one-off detections.

The online tracker (tracker.py) loses an object whenever the detector misses it for longer than
`max_age` (a head turned away, a face behind a passer-by, a whip pan) and starts a new tracklet
when it comes back; and a stray weak detection on a hand or a collar next to a tracked face
starts a tentative tracklet of its own. Each becomes a track the operator has to review. Here,
with the finished tracklets in view, we undo both:

- link: tracklet B continues tracklet A when B starts at most `max_gap` frames after A ends, B's
  first box lies where A's motion predicts it (centre within `gate` box sizes, plus
  `gate_per_frame` sizes per frame of gap), their sizes differ by less than `max_size_ratio`, and
  their colour histograms (of the box's centre) are alike (Bhattacharyya distance
  at most `max_appearance`). Each A takes the best B, each B the best A.
  A fragment seen on one frame only has no velocity of its own; it is predicted to move with the
  scene: the median per-frame motion of the confirmed tracks around its last frame (a pan moves a
  poster's one-off detections with everything else; on a still camera that median is ~0). Where
  no ordinary link is found, such a fragment may reach `fast_gate_per_frame` sizes per frame of
  gap further (a small face crossing the picture a face-width a frame), when that link is the
  only one either side could make.
- absorb: a short tracklet (fewer than `absorb_max_hits` detections) whose boxes lie mostly
  (`absorb_overlap` of their area) inside another tracklet's boxes on the same frames joins that
  tracklet: on shared frames the box becomes the union of both, so the mask still covers what
  the short one saw (fail closed).

Streaming: a finished tracklet is held until no later tracklet can change it: until the frame is
past its end + `max_gap` and every tracklet it was linked to has been released too. A tracklet
that is neither linked nor absorbed is released unchanged, so fail-closed coverage never depends
on linking; linking only joins masks (and bridges the gap between them by the motion model).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .tracker import Tracklet

HIST_BINS = (4, 4, 4)  # blue, green, red: coarse, so codec noise and small lighting changes stay in a bin


@dataclass(frozen=True)
class LinkSettings:
    max_gap: int = 50
    gate: float = 0.6
    gate_per_frame: float = 0.04
    max_size_ratio: float = 1.6
    max_appearance: float = 0.45
    absorb_max_hits: int = 8
    absorb_overlap: float = 0.5
    absorb_reach: int = 2  # frames either side of a short detection in which the host must be seen
    # A fragment seen once has no velocity: a small face crossing the picture a face-width a frame
    # leaves one fragment per detection (each a still mask, the face beside it in between). Such a
    # fragment may link up to `fast_gate_per_frame` sizes per frame of gap away, where that link is
    # the only one either side could make (see _decide).
    fast_gate_per_frame: float = 1.5


def appearance_of(image: np.ndarray, box) -> np.ndarray | None:
    """Normalised colour histogram of the middle of `box` (half its width and height).

    BGR rather than hue-saturation: hue is undefined on grey and near-white pixels (a face in
    poor light, a checker pattern after chroma subsampling) and jumps between bins there.
    """
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy, bw, bh = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 4, (y2 - y1) / 4
    X1, Y1, X2, Y2 = int(max(0, cx - bw)), int(max(0, cy - bh)), int(min(w, cx + bw)), int(min(h, cy + bh))
    if X2 - X1 < 2 or Y2 - Y1 < 2:
        return None
    patch = np.ascontiguousarray(image[Y1:Y2, X1:X2])
    hist = cv2.calcHist([patch], [0, 1, 2], None, list(HIST_BINS), [0, 256, 0, 256, 0, 256])
    total = float(hist.sum())
    return (hist / total).astype(np.float32) if total > 0 else None


@dataclass
class _Appearance:
    sum: np.ndarray | None = None
    count: int = 0

    def add(self, hist: np.ndarray | None) -> None:
        if hist is None:
            return
        self.sum = hist.copy() if self.sum is None else self.sum + hist
        self.count += 1

    def mean(self) -> np.ndarray | None:
        return None if self.sum is None else self.sum / self.count


def appearance_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya distance of two histograms (0 alike, 1 disjoint); 0 when either is unknown."""
    if a is None or b is None:
        return 0.0
    return float(cv2.compareHist(a.astype(np.float32), b.astype(np.float32), cv2.HISTCMP_BHATTACHARYYA))


def _end_state(t: Tracklet, tail: int = 5, drift: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Last box and the per-frame velocity of its centre over the last `tail` detections (`drift`,
    the scene's motion, for a tracklet seen on one frame only)."""
    boxes = t.box_array()[-tail:]
    frames = np.asarray(t.frames[-tail:], np.float64)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    if len(frames) < 2 or frames[-1] == frames[0]:
        return boxes[-1], np.zeros(2) if drift is None else np.asarray(drift, np.float64)
    return boxes[-1], (centres[-1] - centres[0]) / (frames[-1] - frames[0])


def link_cost(a: Tracklet, b: Tracklet, settings: LinkSettings, app_a=None, app_b=None,
              drift: np.ndarray | None = None) -> float | None:
    """How well `b` continues `a` (lower is better), or None when it cannot. `drift`: the scene's
    per-frame motion at `a`'s end, taken as `a`'s velocity when it has none of its own."""
    return _cost(a, b, settings, app_a, app_b, drift, fast=False)


def fast_link_cost(a: Tracklet, b: Tracklet, settings: LinkSettings, app_a=None, app_b=None,
                   drift: np.ndarray | None = None) -> float | None:
    """link_cost for a fragment seen on one frame, whose speed is unknown: `b` may start up to
    `fast_gate_per_frame` sizes per frame of gap from where the scene's motion puts it (None
    otherwise, or when `a` has a velocity of its own). Costlier than any ordinary link."""
    return _cost(a, b, settings, app_a, app_b, drift, fast=True) if len(a.frames) == 1 else None


def _cost(a: Tracklet, b: Tracklet, settings: LinkSettings, app_a, app_b, drift, fast: bool) -> float | None:
    found = _miss_distance(a, b, settings, drift)
    if found is None:
        return None
    distance, gap = found
    look = appearance_distance(app_a, app_b)
    reach = settings.gate + (settings.fast_gate_per_frame if fast else settings.gate_per_frame) * gap
    if distance > reach or look > settings.max_appearance:
        return None
    return (1.0 + distance / gap if fast else distance) + look + 0.002 * gap


def _miss_distance(a: Tracklet, b: Tracklet, settings: LinkSettings,
                   drift: np.ndarray | None) -> tuple[float, int] | None:
    """(how far b's first box lies from where a's motion puts it, in a's sizes; the gap in frames),
    or None when b cannot continue a at all (not after it, too late, another size)."""
    gap = b.first_frame - a.last_frame
    if gap < 1 or gap > settings.max_gap:
        return None
    last, velocity = _end_state(a, drift=drift)
    first = b.box_array()[0]
    size_a = max(last[2] - last[0], last[3] - last[1], 1.0)
    size_b = max(first[2] - first[0], first[3] - first[1], 1.0)
    if max(size_a, size_b) / min(size_a, size_b) > settings.max_size_ratio:
        return None
    predicted = (last[:2] + last[2:]) / 2 + velocity * gap
    return float(np.hypot(*((first[:2] + first[2:]) / 2 - predicted))) / size_a, gap


def _containment(small: np.ndarray, big: np.ndarray) -> float:
    ix = max(0.0, min(small[2], big[2]) - max(small[0], big[0]))
    iy = max(0.0, min(small[3], big[3]) - max(small[1], big[1]))
    area = max(1e-9, (small[2] - small[0]) * (small[3] - small[1]))
    return ix * iy / area


def absorbs(host: Tracklet, short: Tracklet, settings: LinkSettings) -> bool:
    """True when every detection of `short` lies mostly inside `host`'s box of a nearby frame."""
    if host is short or len(short.frames) >= settings.absorb_max_hits or len(host.frames) < len(short.frames):
        return False
    frames = np.asarray(host.frames)
    boxes = host.box_array()
    for f, box in zip(short.frames, short.box_array()):
        near = np.flatnonzero(np.abs(frames - f) <= settings.absorb_reach)
        if len(near) == 0 or max(_containment(box, boxes[i]) for i in near) < settings.absorb_overlap:
            return False
    return True


def merge(parts: list[Tracklet]) -> Tracklet:
    """One tracklet from several of one label; on a frame seen by more than one, the union box."""
    first = min(parts, key=lambda t: (t.first_frame, t.id))
    by_frame: dict[int, tuple[np.ndarray, float]] = {}
    for t in parts:
        for f, box, score in zip(t.frames, t.box_array(), t.scores):
            if f in by_frame:
                old, old_score = by_frame[f]
                box = np.concatenate([np.minimum(old[:2], box[:2]), np.maximum(old[2:], box[2:])])
                score = max(old_score, score)
            by_frame[f] = (np.asarray(box, np.float64), float(score))
    frames = sorted(by_frame)
    blind = sorted({f for t in parts for f in t.blind_frames} - by_frame.keys())
    return Tracklet(first.id, first.label, frames, [by_frame[f][0] for f in frames],
                    [by_frame[f][1] for f in frames], any(t.confirmed for t in parts), blind)


@dataclass
class _Pending:
    tracklet: Tracklet
    next_id: int | None = None  # linked: continues as this tracklet
    decided: bool = False  # its link (or none) is chosen


class TrackletLinker:
    """Holds finished tracklets until linking can no longer change them (see module text)."""

    def __init__(self, settings: LinkSettings | None = None):
        self.settings = settings or LinkSettings()
        self._looks: dict[int, _Appearance] = {}
        self._pending: dict[int, _Pending] = {}
        self._prefix: dict[int, int] = {}  # tracklet id -> id of the pending tracklet it continues
        self._absorbed: dict[int, list[Tracklet]] = {}  # host id -> short tracklets it took in
        self.counts = {"linked": 0, "absorbed": 0}  # what linking saved the operator, for the record
        self._motion: dict[int, list[np.ndarray]] = {}  # frame -> per-frame centre motion of confirmed tracks

    def observe(self, tracklet: Tracklet, image: np.ndarray) -> None:
        """Add the appearance of the tracklet's newest detection (call on the frame it was matched)."""
        look = self._looks.setdefault(tracklet.id, _Appearance())
        if look.count < 12 or len(tracklet.frames) % 5 == 0:  # enough to compare; keeps the cost low
            look.add(appearance_of(image, tracklet.boxes[-1]))
        if tracklet.confirmed and len(tracklet.frames) >= 2:
            steps = tracklet.frames[-1] - tracklet.frames[-2]
            a, b = tracklet.boxes[-2], tracklet.boxes[-1]
            move = ((b[:2] + b[2:]) - (a[:2] + a[2:])) / 2 / steps
            self._motion.setdefault(tracklet.frames[-1], []).append(move)

    def drift_at(self, frame: int, reach: int = 2) -> np.ndarray | None:
        """The scene's per-frame motion round `frame`: the median motion of the confirmed tracks
        seen within `reach` frames of it (None when none was)."""
        moves = [m for f in range(frame - reach, frame + reach + 1) for m in self._motion.get(f, [])]
        return np.median(np.asarray(moves), axis=0) if moves else None

    def appearance(self, tracklet_id: int) -> np.ndarray | None:
        look = self._looks.get(tracklet_id)
        return None if look is None else look.mean()

    def held_first_frames(self) -> list[int]:
        """First frames of every tracklet held back (pending or absorbed): not handed on yet."""
        return ([p.tracklet.first_frame for p in self._pending.values()]
                + [t.first_frame for shorts in self._absorbed.values() for t in shorts])

    def push(self, finished: list[Tracklet], live: list[Tracklet], frame: int) -> list[Tracklet]:
        """Take tracklets that ended; return those released by now (merged where linked)."""
        for t in finished:
            if t.id not in self._prefix and self._absorb(t, live):
                continue
            self._pending[t.id] = _Pending(t)
        self._decide(live, frame)
        return self._release(final=False)

    def finish(self, remaining: list[Tracklet]) -> list[Tracklet]:
        """End of the video: link and release everything."""
        out = self.push(remaining, [], 1 << 60)
        return out + self._release(final=True)

    # -- internals ---------------------------------------------------------------------------
    def _absorb(self, short: Tracklet, live: list[Tracklet]) -> bool:
        if len(short.frames) >= self.settings.absorb_max_hits:
            return False
        for host in [p.tracklet for p in self._pending.values()] + list(live):
            if host.label == short.label and absorbs(host, short, self.settings):
                taken = self._absorbed.setdefault(host.id, [])
                taken.append(short)
                taken.extend(self._absorbed.pop(short.id, []))
                self._looks.pop(short.id, None)
                self.counts["absorbed"] += 1
                return True
        return False

    def _decide(self, live: list[Tracklet], frame: int) -> None:
        s = self.settings
        candidates = {t.id: t for t in live}
        candidates.update({k: p.tracklet for k, p in self._pending.items()})
        taken = set(self._prefix)
        offers = []
        fast: dict[int, list[tuple[float, int]]] = {}  # a -> its fast links (a fragment seen once)
        fast_to: dict[int, int] = {}  # b -> how many fragments could reach it by a fast link
        for key, p in self._pending.items():
            if p.decided or frame <= p.tracklet.last_frame + s.max_gap:
                continue
            a = p.tracklet
            look_a, drift = self.appearance(a.id), self.drift_at(a.last_frame)  # once per a, not per pair
            ordinary = False
            for b in candidates.values():
                if b.id in taken or b.label != a.label or b.id == a.id:
                    continue
                look_b = self.appearance(b.id)
                cost = link_cost(a, b, s, look_a, look_b, drift)
                if cost is not None:
                    offers.append((cost, a.id, b.id))
                    ordinary = True
                    continue
                cost = fast_link_cost(a, b, s, look_a, look_b, drift)
                if cost is not None:
                    fast.setdefault(a.id, []).append((b.first_frame, cost, b.id))
            if ordinary:
                fast.pop(a.id, None)
        # A fast link goes to the next fragment in time, and only where it is the one choice either
        # side has: one candidate at that frame, and no other fragment choosing the same one. In a
        # crowd, fragments within reach of each other stay apart (each keeps its own mask).
        chosen = {}
        for a_id, links in fast.items():
            soonest = min(f for f, _, _ in links)
            nearest = [(cost, b_id) for f, cost, b_id in links if f == soonest]
            if len(nearest) == 1:
                chosen[a_id] = nearest[0]
                fast_to[nearest[0][1]] = fast_to.get(nearest[0][1], 0) + 1
        for a_id, (cost, b_id) in chosen.items():
            if fast_to[b_id] == 1:
                offers.append((cost, a_id, b_id))
        linked_from = set()
        for cost, a_id, b_id in sorted(offers):
            if a_id in linked_from or b_id in taken:
                continue
            linked_from.add(a_id)
            taken.add(b_id)
            self._pending[a_id].next_id = b_id
            self._prefix[b_id] = a_id
            self.counts["linked"] += 1
        for p in self._pending.values():
            if frame > p.tracklet.last_frame + s.max_gap:
                p.decided = True
        oldest = min([frame, *(p.tracklet.last_frame for p in self._pending.values() if not p.decided)])
        for f in [f for f in self._motion if f < oldest - 2 * s.max_gap]:  # keeps memory bounded
            del self._motion[f]

    def _release(self, final: bool) -> list[Tracklet]:
        out = []
        for key in list(self._pending):
            p = self._pending.get(key)
            if p is None or not (p.decided or final) or p.next_id is not None:
                continue  # waits for its link decision, or for the tracklet that continues it
            parts = []
            while True:  # walk back from the tail of the chain to its head
                parts.append(p.tracklet)
                parts.extend(self._absorbed.pop(p.tracklet.id, []))
                self._pending.pop(p.tracklet.id, None)
                self._looks.pop(p.tracklet.id, None)
                before = self._prefix.pop(p.tracklet.id, None)
                if before is None:
                    break
                p = self._pending[before]
            out.append(merge(parts) if len(parts) > 1 else parts[0])
        if final:  # hosts that were never released (cannot happen in order; fail closed anyway)
            for shorts in self._absorbed.values():
                out.extend(shorts)
            self._absorbed.clear()
        return out
