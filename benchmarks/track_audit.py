"""What the automatic tracks ARE, against the ground truth: the review burden measured, not asserted.

Each automatic track of a project is attributed to the ground-truth object (same label) that its
mask overlaps on most of its detection frames: overlap = intersection over the smaller of the two
boxes >= MATCH_OVERLAP (a detector box is larger than the hand-drawn face, a hidden face's truth
box is only its visible part). A track is then

- "true": it follows a real object; the first track of each object counts as the object's own, any
  other track of the same object is "extra" (a fragment: the operator reviews that person twice);
- "ignore": it lies on an ignore region of the scene (a painted portrait: neither right nor wrong);
- "false": no real object there (a face on a car, a plate on lettering).

From that, with `Track.needs_review` as the flag:
- flag precision: share of flagged tracks that are false (a flag the operator needs);
- flag recall: share of false tracks that are flagged (a false track that is not flagged is masked
  without anyone being asked to look);
- true tracks flagged: real objects the operator is asked to check although they are right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MATCH_OVERLAP = 0.5  # intersection / smaller box
MATCH_SHARE = 0.5  # of the track's detection frames on one object


@dataclass
class TrackFacts:
    id: int
    label: str
    first: int
    last: int
    detections: int
    mean_score: float
    max_score: float
    flagged: bool
    kind: str  # "true", "extra", "ignore", "false"
    object_id: str | None = None
    on_object: float = 0.0  # share of its detection frames on `object_id`


@dataclass
class AuditCounts:
    tracks: int = 0
    true: int = 0
    extra: int = 0
    ignore: int = 0
    false: int = 0
    flagged: int = 0
    flagged_false: int = 0
    flagged_true: int = 0  # flagged tracks that follow a real object (own or extra)
    objects: int = 0  # distinct true objects with at least one track
    facts: list[TrackFacts] = field(default_factory=list)

    def add(self, other: "AuditCounts") -> "AuditCounts":
        out = AuditCounts()
        for name in ("tracks", "true", "extra", "ignore", "false", "flagged", "flagged_false", "flagged_true",
                     "objects"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.facts = self.facts + other.facts
        return out

    @property
    def flag_precision(self) -> float | None:
        return self.flagged_false / self.flagged if self.flagged else None

    @property
    def flag_recall(self) -> float | None:
        return sum(f.flagged for f in self.facts if f.kind == "false") / self.false if self.false else None


def _overlap(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


def classify(track, truth: list, ignore: list) -> tuple[str, str | None, float]:
    """(kind without extra/true split, object id, share of detection frames on it) for one track."""
    from anonymizer_gui.core.project import shape_at

    frames = sorted(track.scores) or list(range(track.first_frame, track.last_frame + 1))
    votes: dict[str, int] = {}
    on_ignore = 0
    seen = 0
    for f in frames:
        if f >= len(truth):
            continue
        shape = shape_at(track, f)
        if shape is None:
            continue
        seen += 1
        box = shape.bbox()
        best = max(((gt.object_id, _overlap(box, gt.box)) for gt in truth[f] if gt.label == track.label),
                   key=lambda kv: kv[1], default=(None, 0.0))
        if best[0] is not None and best[1] >= MATCH_OVERLAP:
            votes[best[0]] = votes.get(best[0], 0) + 1
        elif any(_overlap(box, ig) >= MATCH_OVERLAP for ig in ignore[f]):
            on_ignore += 1
    if votes:
        obj, n = max(votes.items(), key=lambda kv: kv[1])
        if n >= MATCH_SHARE * max(1, seen):
            return "true", obj, n / seen
    if on_ignore >= MATCH_SHARE * max(1, seen):
        return "ignore", None, 0.0
    if votes:  # mostly elsewhere but on an object for a while: name it, still false
        obj, n = max(votes.items(), key=lambda kv: kv[1])
        return "false", obj, n / max(1, seen)
    return "false", None, 0.0


def audit(project, truth: list, ignore: list) -> AuditCounts:
    """Attribute every automatic track of `project` to the ground truth (see module text)."""
    counts = AuditCounts()
    owners: set[str] = set()
    for track in sorted((t for t in project.tracks if t.source == "auto"), key=lambda t: (t.first_frame, t.id)):
        kind, obj, share = classify(track, truth, ignore)
        if kind == "true":
            key = f"{track.label}:{obj}"
            if key in owners:
                kind = "extra"
            owners.add(key)
        scores = list(track.scores.values()) or [0.0]
        facts = TrackFacts(track.id, track.label, track.first_frame, track.last_frame, len(track.scores),
                           float(np.mean(scores)), float(np.max(scores)), bool(track.needs_review), kind, obj, share)
        counts.facts.append(facts)
        counts.tracks += 1
        setattr(counts, kind, getattr(counts, kind) + 1)
        if facts.flagged:
            counts.flagged += 1
            counts.flagged_false += kind == "false"
            counts.flagged_true += kind in ("true", "extra")
    counts.objects = len(owners)
    return counts


def fmt_share(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def print_audit(per_scene: dict[str, AuditCounts], title: str, details: bool = False) -> AuditCounts:
    """One row per scene and a total; with `details`, every track."""
    print(f"\n== review burden, {title}: tracks against the truth (true = an object's first track, extra = more "
          f"tracks of one object, false = no object there; flag precision = flagged that are false, flag recall = "
          f"false that are flagged) ==")
    print(f"{'scene':20s} {'tracks':>6s} {'true':>5s} {'extra':>5s} {'false':>5s} {'ign':>4s} {'tr/obj':>6s} "
          f"{'flagged':>8s} {'fl.true':>7s} {'fl.prec':>7s} {'fl.rec':>6s}")
    total = AuditCounts()
    for scene, c in per_scene.items():
        total = total.add(c)
        _row(scene, c)
    _row("total", total)
    if details:
        print(f"\n{'scene':20s} {'id':>4s} {'label':5s} {'kind':6s} {'object':>10s} {'on':>4s} {'frames':>9s} "
              f"{'dets':>4s} {'mean':>5s} {'max':>5s} flag")
        for scene, c in per_scene.items():
            for f in c.facts:
                print(f"{scene:20s} {f.id:4d} {f.label:5s} {f.kind:6s} {str(f.object_id or '-'):>10s} "
                      f"{100 * f.on_object:3.0f}% {f.first:4d}-{f.last:<4d} {f.detections:4d} {f.mean_score:5.2f} "
                      f"{f.max_score:5.2f} {'F' if f.flagged else ''}")
    return total


def _row(name: str, c: AuditCounts) -> None:
    per_obj = f"{c.tracks / c.objects:.2f}" if c.objects else "-"  # as accuracy.py counts: every track
    flagged = f"{fmt_share(c.flagged / c.tracks if c.tracks else None)}/{c.flagged}"
    print(f"{name:20s} {c.tracks:6d} {c.true:5d} {c.extra:5d} {c.false:5d} {c.ignore:4d} {per_obj:>6s} "
          f"{flagged:>8s} {c.flagged_true:7d} {fmt_share(c.flag_precision):>7s} {fmt_share(c.flag_recall):>6s}")
