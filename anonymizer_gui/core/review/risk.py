"""The review queue's order: the tracks most likely to be wrong, or most costly if wrong, first.

risk_of(track) adds up a few plain, documented signs (each 0..1, weighted):
- weak: a low mean detector score is the classic false detection;
- short: few detections are often a flicker (a poster, a reflection) or a face seen for a moment;
- large: a big face left wrongly visible is the worst leak, and big boxes are rare false positives;
- edge: a box touching the frame edge is a half face, where detectors and trackers fail most;
- first of its group: deciding the first track of a person sets the pattern for the rest.
Manual tracks carry no detector doubt and come last. Ties go by first frame, then id.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..project import REVIEW_MIN_FRAMES, Project, Track, shape_at

WEIGHTS = {"weak": 3.0, "short": 2.0, "large": 1.0, "edge": 1.0, "first_of_group": 1.5}
EDGE_MARGIN = 0.02  # share of the frame size: a box this close to an edge counts as cut off
LARGE_SHARE = 0.05  # a box covering this share of the frame area counts as fully large


@dataclass(frozen=True)
class Risk:
    track_id: int
    score: float
    signs: tuple[str, ...]  # the signs that fired, for the panel's tooltip


def best_frame(track: Track) -> int:
    """The frame to show when reviewing: the strongest detection, else the middle of the span."""
    if track.scores:
        return max(track.scores.items(), key=lambda kv: (kv[1], -kv[0]))[0]
    return (track.first_frame + track.last_frame) // 2


def risk_of(track: Track, width: int, height: int, first_of_group: bool = False) -> Risk:
    parts: dict[str, float] = {}
    if track.source == "auto":
        mean = track.mean_score
        parts["weak"] = 0.0 if mean is None else max(0.0, min(1.0, 1.0 - mean))
        seen = track.seen_frames
        parts["short"] = max(0.0, 1.0 - (seen - 1) / (4 * REVIEW_MIN_FRAMES))
    shape = shape_at(track, best_frame(track)) or (track.keyframes[0].shape if track.keyframes else None)
    if shape is not None and width > 0 and height > 0:
        x1, y1, x2, y2 = shape.bbox()
        parts["large"] = min(1.0, (x2 - x1) * (y2 - y1) / (width * height) / LARGE_SHARE)
        mx, my = EDGE_MARGIN * width, EDGE_MARGIN * height
        parts["edge"] = 1.0 if (x1 <= mx or y1 <= my or x2 >= width - mx or y2 >= height - my) else 0.0
    if first_of_group:
        parts["first_of_group"] = 1.0
    score = sum(WEIGHTS[k] * v for k, v in parts.items())
    if track.source != "auto":
        score -= 100.0  # manual tracks: the operator drew them
    signs = tuple(k for k, v in parts.items() if v >= 0.5)
    return Risk(track.id, round(score, 4), signs)


def risk_order(project: Project, only_unreviewed: bool = False) -> list[Risk]:
    """Every track's risk, highest first (ties: first frame, then id)."""
    width, height = project.media.width, project.media.height
    firsts: dict[int, int] = {}
    for t in sorted(project.tracks, key=lambda t: (t.first_frame, t.id)):
        if t.group is not None:
            firsts.setdefault(t.group, t.id)
    tracks = [t for t in project.tracks if not (only_unreviewed and t.reviewed)]
    order = {t.id: (t.first_frame, t.id) for t in tracks}
    risks = [risk_of(t, width, height, t.group is not None and firsts.get(t.group) == t.id) for t in tracks]
    return sorted(risks, key=lambda r: (-r.score, order[r.track_id]))
