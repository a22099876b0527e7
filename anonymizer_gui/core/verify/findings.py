"""What verify finds, frame by frame, and how single frames become ranges.

- leak: an enabled track's shape on a frame where the output still carries the source's fine
  detail (render.retained_detail at or above render.LEAK_DETAIL);
- possible leak: a face or plate the detectors find on the output, overlapping no enabled mask,
  whose detail still correlates with the source;
- visible by decision: a track the operator switched off, with the reason given.
Consecutive frames of one track (leaks) or of overlapping boxes (possible leaks) merge into one
range with the union of their boxes, so a 300-frame leak is one line, not 300.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[float, float, float, float]


@dataclass
class Finding:
    kind: str  # "leak" | "possible_leak" | "visible_by_decision"
    first_frame: int
    last_frame: int
    box: Box
    label: str
    track_id: int | None = None
    score: float | None = None  # detector score (possible leaks)
    detail: float = 0.0  # the largest share of source detail seen in the range (render.retained_detail)
    reason: str = ""
    frames: int = 0  # frames in the range where it was found (sampled frames for possible leaks)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "frames": [self.first_frame, self.last_frame], "frame_count": self.frames,
               "box": [round(v, 1) for v in self.box], "label": self.label}
        if self.track_id is not None:
            out["track"] = self.track_id
        if self.kind != "visible_by_decision":
            out["detail"] = round(self.detail, 3)
        if self.score is not None:
            out["score"] = round(self.score, 3)
        if self.kind == "visible_by_decision":
            out["reason"] = self.reason
        return out


def union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def iou(a: Box, b: Box) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area > 0 else 0.0


MOTION_SHARE = 0.05  # how far (a share of its size per frame) an object may move between sampled frames


def _reach(box: Box, frames: int) -> Box:
    """Where the object in `box` may be `frames` later: the box grown by MOTION_SHARE of its size a frame."""
    grow = min(1.0, MOTION_SHARE * frames)
    dx, dy = (box[2] - box[0]) * grow, (box[3] - box[1]) * grow
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


@dataclass
class RangeBuilder:
    """Merges per-frame hits into ranges: a hit continues an open range of the same key when it
    comes within `gap` frames of its last frame (and, with `match_iou`, overlaps where its last box
    may have moved to since)."""

    kind: str
    gap: int = 1
    match_iou: bool = False
    done: list[Finding] = field(default_factory=list)
    _open: list[tuple[object, Finding, Box]] = field(default_factory=list)

    def add(self, frame: int, key, box: Box, label: str, detail: float, track_id: int | None = None,
            score: float | None = None) -> None:
        for k, f, last_box in self._open:
            if k == key and frame - f.last_frame <= self.gap and (
                    not self.match_iou or iou(_reach(last_box, frame - f.last_frame), box) > 0.0):
                f.last_frame, f.box = frame, union(f.box, box)
                f.detail, f.frames = max(f.detail, detail), f.frames + 1
                if score is not None:
                    f.score = max(f.score or 0.0, score)
                self._open = [(k2, f2, box if f2 is f else b2) for k2, f2, b2 in self._open]
                return
        finding = Finding(self.kind, frame, frame, box, label, track_id, score, detail, frames=1)
        self._open.append((key, finding, box))

    def close_before(self, frame: int) -> None:
        keep = []
        for entry in self._open:
            if frame - entry[1].last_frame <= self.gap:
                keep.append(entry)
            else:
                self.done.append(entry[1])
        self._open = keep

    def finish(self) -> list[Finding]:
        self.done.extend(f for _, f, _ in self._open)
        self._open = []
        return sorted(self.done, key=lambda f: (f.first_frame, f.track_id or 0))
