"""What one timeline lane shows, computed once per track edit, and how lanes and the ruler are painted.

Runs (masked stretches, weak or bridged detections) and keyframes are kept per track as numpy
arrays. Painting rasterises them onto the visible pixel columns with a binary search per column,
so a paint costs the lane's width in pixels, never the number of frames or runs: an hour of
flickering scores zoomed out to fit is as cheap as ten seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette, QPen, QPolygonF

from ...core.project import masked_ranges
from ...core.project import REVIEW_MIN_MEAN_SCORE, Track
from ..app.label_colors import label_color
from ..media.timecode import format_timecode, nominal_rate

LOW_SCORE = REVIEW_MIN_MEAN_SCORE  # a frame whose detection is weaker than this is shaded
MAX_DIAMONDS = 300  # more keyframes than this in view are drawn as ticks
Run = tuple[int, int]  # inclusive frame range


class Runs:
    """Sorted, disjoint inclusive frame ranges as two arrays."""

    def __init__(self, runs: list[Run]):
        arr = np.asarray(runs, dtype=np.int64).reshape(-1, 2)
        self.starts, self.ends = arr[:, 0], arr[:, 1]

    def as_list(self) -> list[Run]:
        return [(int(a), int(b)) for a, b in zip(self.starts, self.ends)]

    def __eq__(self, other) -> bool:  # tests compare with plain lists of (first, last)
        return self.as_list() == (other.as_list() if isinstance(other, Runs) else list(other))

    def __len__(self) -> int:
        return len(self.starts)


@dataclass
class LaneData:
    ranges: Runs  # masked stretches (outside stretches are left empty)
    keyframes: np.ndarray  # frames, sorted
    low: Runs  # detections below LOW_SCORE
    bridged: Runs  # no detection: the mask is interpolated (auto tracks only)
    needs_review: bool = False  # cached: Track.needs_review averages every score


def lane_data(track: Track) -> LaneData:
    ranges = masked_ranges(track)
    low: list[Run] = []
    bridged: list[Run] = []
    if track.source == "auto" and ranges:
        first, last = ranges[0][0], ranges[-1][1]
        scores = np.full(last - first + 1, np.nan)
        if track.scores:
            frames = np.fromiter(track.scores.keys(), dtype=np.int64)
            values = np.fromiter(track.scores.values(), dtype=np.float64)
            inside = (frames >= first) & (frames <= last)
            scores[frames[inside] - first] = values[inside]
        masked = np.zeros(len(scores), bool)
        for a, b in ranges:
            masked[a - first:b - first + 1] = True
        low = _runs(masked & (scores < LOW_SCORE), first)
        bridged = _runs(masked & np.isnan(scores), first)
    keyframes = np.array([k.frame for k in track.keyframes], dtype=np.int64)
    return LaneData(Runs(ranges), keyframes, Runs(low), Runs(bridged), track.needs_review)


def _runs(flags: np.ndarray, offset: int) -> list[Run]:
    if not flags.any():
        return []
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a) + offset, int(b) - 1 + offset) for a, b in zip(edges[0::2], edges[1::2])]


@dataclass
class Geometry:
    """Frames to pixels in the lane area: frame f spans [x(f), x(f + 1))."""

    left: float  # x of frame 0 (negative when scrolled)
    ppf: float  # pixels per frame

    def x(self, frame: float) -> float:
        return self.left + frame * self.ppf

    def frame_at(self, x: float) -> int:
        return int(math.floor((x - self.left) / self.ppf))

    def span(self, x0: float, x1: float, frame_count: int) -> tuple[int, int]:
        return max(0, self.frame_at(x0)), min(frame_count - 1, self.frame_at(x1))


def pixel_spans(runs: Runs, geo: Geometry, x0: float, x1: float) -> list[tuple[float, float]]:
    """[xa, xb) spans of the pixel columns in [x0, x1) that show some frame of `runs`, merged.

    Zoomed in, a span is exact to the frame edge; zoomed out, a column counts when any of its
    frames is in a run, so a one-frame weak detection stays visible as one pixel.
    """
    if not len(runs) or x1 <= x0:
        return []
    if geo.ppf >= 1.0:  # at most one frame per column: draw runs at their exact edges
        f0, f1 = geo.frame_at(x0), geo.frame_at(x1)
        i0, i1 = np.searchsorted(runs.ends, f0), np.searchsorted(runs.starts, f1, side="right")
        xa = np.maximum(x0, geo.left + runs.starts[i0:i1] * geo.ppf)
        xb = np.minimum(x1, geo.left + (runs.ends[i0:i1] + 1) * geo.ppf)
        return [(float(a), float(b)) for a, b in zip(xa, xb) if b > a]
    cols = np.arange(math.floor(x0), math.ceil(x1), dtype=np.float64)
    first = np.floor((cols - geo.left) / geo.ppf).astype(np.int64)  # frames overlapping [c, c + 1)
    last = np.ceil((cols + 1 - geo.left) / geo.ppf).astype(np.int64) - 1
    idx = np.searchsorted(runs.ends, first)  # the first run ending at or after the column's first frame
    hit = idx < len(runs)
    hit[hit] = runs.starts[idx[hit]] <= last[hit]
    if not hit.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hit.astype(np.int8), [0]])))
    return [(float(cols[a]), float(cols[b - 1] + 1)) for a, b in zip(edges[0::2], edges[1::2])]


def paint_lane(p: QPainter, rect: QRectF, data: LaneData, track: Track, geo: Geometry, frame_count: int,
               selected: bool, palette: QPalette) -> None:
    x0, x1 = rect.left(), min(rect.right(), geo.x(frame_count))
    color = label_color(track.label)
    fill = QColor(color)
    fill.setAlpha(190 if track.enabled else 70)
    top, h = rect.top() + 3, rect.height() - 6
    p.setPen(Qt.PenStyle.NoPen)
    masked = pixel_spans(data.ranges, geo, x0, x1)
    for a, b in masked:
        p.fillRect(QRectF(a, top, max(1.0, b - a), h), fill)
    shade = QColor(palette.color(QPalette.ColorRole.Shadow))
    shade.setAlpha(150)
    for a, b in pixel_spans(data.low, geo, x0, x1):
        p.fillRect(QRectF(a, top, max(1.0, b - a), h), shade)
    hatch = QBrush(QColor(palette.color(QPalette.ColorRole.Base)), Qt.BrushStyle.BDiagPattern)
    for a, b in pixel_spans(data.bridged, geo, x0, x1):
        p.fillRect(QRectF(a, top, max(1.0, b - a), h), hatch)
    if selected or not track.enabled:
        pen = QPen(palette.color(QPalette.ColorRole.HighlightedText) if selected else color, 1,
                   Qt.PenStyle.SolidLine if selected else Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for a, b in masked:
            p.drawRect(QRectF(a, top, max(1.0, b - a) - 1, h - 1))
    _paint_keyframes(p, data.keyframes, geo, x0, x1, rect.center().y(), min(5.0, h / 2 - 1),
                     color.lighter(150) if track.enabled else palette.color(QPalette.ColorRole.Mid), palette)


def _paint_keyframes(p: QPainter, keyframes: np.ndarray, geo: Geometry, x0: float, x1: float, cy: float,
                     size: float, fill: QColor, palette: QPalette) -> None:
    """Diamonds at frame centres, one per 3 px at most; ticks when there are too many to tell apart."""
    f0, f1 = geo.frame_at(x0 - size), geo.frame_at(x1 + size)
    shown = keyframes[np.searchsorted(keyframes, f0):np.searchsorted(keyframes, f1, side="right")]
    if not len(shown):
        return
    cx = geo.left + (shown + 0.5) * geo.ppf
    keep = np.concatenate([[True], np.diff(np.floor(cx / 3.0)) > 0])
    cx = cx[keep]
    p.setPen(QPen(palette.color(QPalette.ColorRole.Shadow), 1))
    if len(cx) > MAX_DIAMONDS:
        p.setPen(QPen(fill, 1))
        p.drawLines([QLineF(x, cy - size, x, cy + size) for x in cx.tolist()])
        return
    p.setBrush(fill)
    for x in cx.tolist():
        p.drawPolygon(QPolygonF([QPointF(x, cy - size), QPointF(x + size, cy), QPointF(x, cy + size),
                                 QPointF(x - size, cy)]))


def tick_step(ppf: float, fps: float, min_px: float = 90.0) -> tuple[int, int]:
    """(major, minor) tick spacing in frames so that labels stay at least `min_px` apart."""
    rate = nominal_rate(fps)
    candidates = [1, 2, 5, 10] + [rate * s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)]
    candidates = sorted(set(c for c in candidates if c >= 1))
    major = next((c for c in candidates if c * ppf >= min_px), candidates[-1] * max(1, math.ceil(min_px / (candidates[-1] * ppf))))
    minor = next((major // d for d in (10, 5, 4, 2) if major % d == 0 and (major // d) * ppf >= 6), major)
    return major, minor


def paint_ruler(p: QPainter, rect: QRectF, geo: Geometry, frame_count: int, fps: float,
                seconds_of, palette: QPalette) -> None:
    """Ticks and timecode labels; `seconds_of(frame)` gives the frame's time (VFR aware)."""
    p.fillRect(rect, palette.color(QPalette.ColorRole.Window))
    f0, f1 = geo.span(rect.left(), rect.right(), frame_count)
    if f1 < f0:
        return
    major, minor = tick_step(geo.ppf, fps)
    text = palette.color(QPalette.ColorRole.WindowText)
    dim = QColor(text)
    dim.setAlpha(110)
    bottom = rect.bottom()
    fm_h = p.fontMetrics().ascent()
    start = f0 - f0 % minor
    for f in range(start, f1 + 1, minor):
        x = geo.x(f)
        if x < rect.left():
            continue
        if f % major == 0:
            p.setPen(text)
            p.drawLine(QPointF(x, bottom - 10), QPointF(x, bottom))
            label = format_timecode(seconds_of(f), fps)
            p.drawText(QPointF(x + 3, rect.top() + fm_h + 2), label)
        else:
            p.setPen(dim)
            p.drawLine(QPointF(x, bottom - 4), QPointF(x, bottom))


def lanes_in_order(tracks: list[Track]) -> list[Track]:
    """`tracks` in their order, with the tracks of one person together at the first one's place."""
    bunches: list[list[Track]] = []
    groups: dict[int, list[Track]] = {}
    for t in tracks:
        if t.group is None:
            bunches.append([t])
        elif t.group in groups:
            groups[t.group].append(t)
        else:
            groups[t.group] = [t]
            bunches.append(groups[t.group])
    return [t for bunch in bunches for t in bunch]

