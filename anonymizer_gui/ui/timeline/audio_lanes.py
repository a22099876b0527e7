"""The timeline's audio lanes: one per audio stream, under the ruler, with the waveform, the speech
found for review and the audio ranges; drag on a lane to draw a range (one undo step on release).

Times: ranges and speech are seconds from the first frame, the timeline is laid out in frames, so
TimeMap converts both ways through the frames' own time stamps (variable frame rates included).
Painting covers only the visible pixel columns (one min/max line per column, from the cached
peaks), so an hour-long stream draws as fast as a short one.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette, QPen

from ...core.project import AudioRange
from ..document import commands
from .lanes import Geometry

AUDIO_LANE_H = 36
ACTION_COLORS = {"mute": QColor(214, 58, 58), "bleep": QColor(236, 166, 36), "disguise": QColor(146, 88, 220)}
SPEECH_COLOR = QColor(70, 190, 110)
MIN_DRAG_PX = 4  # a shorter drag is a click: select the range under it, or move the playhead
EDGE_PX = 4  # a press this close to a range's edge moves that edge


class TimeMap:
    """Frame positions <-> seconds from the first frame; frame f spans [times[f], times[f + 1])."""

    def __init__(self, info, fps: float, frame_count: int):
        n = max(1, frame_count)
        step = 1.0 / fps if fps > 0 else 0.04
        if info is not None and getattr(info, "pts", None) and len(info.pts) == frame_count and not info.is_still:
            tb = float(info.time_base)
            times = (np.asarray(info.pts, np.float64) - info.pts[0]) * tb
        else:
            times = np.arange(n, dtype=np.float64) * step
        self.times = np.append(times, times[-1] + step)
        self.frames = np.arange(len(self.times), dtype=np.float64)

    def seconds(self, frame_pos):
        return np.interp(frame_pos, self.frames, self.times)

    def frame_pos(self, seconds):
        return np.interp(seconds, self.times, self.frames)


class AudioLanes:
    """Paints and edits the audio lanes of a TimelineCanvas (which owns geometry and scrolling)."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.doc = canvas.doc
        self._time_map: TimeMap | None = None
        self._drag: tuple[int, float, float] | None = None  # stream, anchor x, current x
        self._edge: tuple[int, str, float] | None = None  # range index, "start" | "end", current x
        self.stream = 0  # the lane speech navigation works on (the last one clicked)

    # -- geometry -----------------------------------------------------------------------------
    def count(self) -> int:
        return self.doc.audio_stream_count if self.doc.project is not None else 0

    def height(self) -> int:
        return self.count() * AUDIO_LANE_H

    def time_map(self) -> TimeMap:
        if self._time_map is None:
            from ..media.timecode import doc_fps

            self._time_map = TimeMap(self.doc.media_info, doc_fps(self.doc), self.doc.frame_count)
        return self._time_map

    def reset(self) -> None:
        self._time_map = None
        self._drag = self._edge = None
        self.stream = 0

    def x_of(self, seconds: float, geo: Geometry) -> float:
        return geo.x(float(self.time_map().frame_pos(seconds)))

    def seconds_at(self, x: float, geo: Geometry) -> float:
        return float(self.time_map().seconds(max(0.0, (x - geo.left) / geo.ppf)))

    def lane_at(self, y: float, top: float) -> int | None:
        k = int((y - top) // AUDIO_LANE_H)
        return k if y >= top and 0 <= k < self.count() else None

    def edge_at(self, stream: int, x: float, geo: Geometry) -> tuple[int, str] | None:
        """(range index, "start" | "end") whose edge is within EDGE_PX of x, nearest first."""
        best = None
        for i, r in enumerate(self.doc.project.audio_ranges):
            if r.stream != stream:
                continue
            for which, t in (("start", r.start), ("end", r.end)):
                d = abs(self.x_of(t, geo) - x)
                if d <= EDGE_PX and (best is None or d < best[0]):
                    best = (d, i, which)
        return None if best is None else (best[1], best[2])

    def range_at(self, stream: int, x: float, geo: Geometry) -> int | None:
        hits = [(r.end - r.start, i) for i, r in enumerate(self.doc.project.audio_ranges)
                if r.stream == stream and self.x_of(r.start, geo) - 2 <= x <= self.x_of(r.end, geo) + 2]
        return min(hits)[1] if hits else None

    # -- painting -------------------------------------------------------------------------------
    def paint(self, p: QPainter, top: float, width: float, geo: Geometry, pal: QPalette, header_w: float) -> None:
        project = self.doc.project
        overviews = {o.stream: o for o in self.doc.audio_overviews}
        for k in range(self.count()):
            y = top + k * AUDIO_LANE_H
            rect = QRectF(header_w, y, max(0.0, width - header_w), AUDIO_LANE_H)
            bg = QColor(pal.color(QPalette.ColorRole.Base)).darker(115)
            p.fillRect(QRectF(0, y, width, AUDIO_LANE_H), bg)
            p.save()
            p.setClipRect(rect)
            end_x = min(rect.right(), geo.x(self.doc.frame_count))
            overview = overviews.get(k)
            if overview is not None:
                self._paint_speech(p, overview.speech, rect, geo, end_x)
                self._paint_waveform(p, overview, rect, geo, end_x, pal)
            else:
                p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
                p.drawText(rect.adjusted(8, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, "reading the audio\u2026")
            self._paint_ranges(p, k, rect, geo, pal)
            if project.remove_audio:
                p.fillRect(rect, QBrush(QColor(214, 58, 58, 120), Qt.BrushStyle.BDiagPattern))
            p.restore()
            self._paint_title(p, k, overview, y, header_w, pal)
            p.setPen(pal.color(QPalette.ColorRole.Mid))
            p.drawLine(QPointF(0, y + AUDIO_LANE_H - 0.5), QPointF(width, y + AUDIO_LANE_H - 0.5))

    def _paint_title(self, p: QPainter, k: int, overview, y: float, header_w: float, pal: QPalette) -> None:
        p.fillRect(QRectF(0, y, header_w, AUDIO_LANE_H), pal.color(QPalette.ColorRole.Window))
        if k == self.stream:
            hl = QColor(pal.color(QPalette.ColorRole.Highlight))
            hl.setAlpha(60)
            p.fillRect(QRectF(0, y, header_w, AUDIO_LANE_H), hl)
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        info = self.doc.media_info.audio[k] if self.doc.media_info is not None and k < len(self.doc.media_info.audio) \
            else None
        title = f"\u266a A{k + 1}" + (f" {info.codec} {info.channels}ch" if info else "")
        if self.doc.project.remove_audio:
            title += " (removed)"
        font = QFont(p.font())
        p.drawText(QRectF(6, y + 2, header_w - 8, AUDIO_LANE_H / 2), Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, int(header_w - 10)))
        detail = "\u2026" if overview is None else f"{len(overview.speech)} speech"
        ranges = sum(1 for r in self.doc.project.audio_ranges if r.stream == k)
        if ranges:
            detail += f" \u00b7 {ranges} range{'s' if ranges > 1 else ''}"
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        p.setFont(small)
        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        p.drawText(QRectF(6, y + AUDIO_LANE_H / 2, header_w - 8, AUDIO_LANE_H / 2 - 2), Qt.AlignmentFlag.AlignVCenter,
                   detail)
        p.setFont(font)

    def _paint_waveform(self, p: QPainter, overview, rect: QRectF, geo: Geometry, end_x: float,
                        pal: QPalette) -> None:
        n = len(overview.mins)
        if n == 0 or end_x <= rect.left():
            return
        cols = np.arange(math.floor(rect.left()), math.ceil(end_x), dtype=np.float64)
        tm = self.time_map()
        t0 = tm.seconds((cols - geo.left) / geo.ppf)
        t1 = tm.seconds((cols + 1 - geo.left) / geo.ppf)
        first = np.clip((t0 / overview.bucket_s).astype(np.int64), 0, n - 1)
        last = np.clip(np.ceil(t1 / overview.bucket_s).astype(np.int64), first + 1, n)
        keep = t0 < n * overview.bucket_s
        cols, first, last = cols[keep], first[keep], last[keep]
        if not len(cols):
            return
        # Column i reduces buckets [first_i, first_{i+1}) (the last one up to its own end).
        lo = np.minimum.reduceat(overview.mins[:last[-1]], first)
        hi = np.maximum.reduceat(overview.maxs[:last[-1]], first)
        one = last - first <= 1
        lo[one], hi[one] = overview.mins[first[one]], overview.maxs[first[one]]
        cy, half = rect.center().y(), rect.height() / 2 - 3
        color = QColor(pal.color(QPalette.ColorRole.Highlight)).lighter(130)
        p.setPen(QPen(color, 1))
        y_top = cy - np.clip(hi, -1, 1) * half
        y_bot = cy - np.clip(lo, -1, 1) * half
        y_bot = np.maximum(y_bot, y_top + 1)
        p.drawLines([QLineF(x + 0.5, a, x + 0.5, b) for x, a, b in zip(cols.tolist(), y_top.tolist(), y_bot.tolist())])

    def _paint_speech(self, p: QPainter, speech, rect: QRectF, geo: Geometry, end_x: float) -> None:
        if not speech:
            return
        # Vectorised: an hour of talk is thousands of segments, and a paint must not loop over them.
        spans = np.asarray(speech, np.float64).reshape(-1, 2)
        xs = geo.left + self.time_map().frame_pos(spans) * geo.ppf
        xs = xs[(xs[:, 1] >= rect.left()) & (xs[:, 0] <= end_x)]
        fill = QColor(SPEECH_COLOR)
        fill.setAlpha(45)
        for xa, xb in xs.tolist():
            p.fillRect(QRectF(xa, rect.top(), max(1.0, xb - xa), rect.height()), fill)
            p.fillRect(QRectF(xa, rect.bottom() - 4, max(1.0, xb - xa), 3), SPEECH_COLOR)

    def _paint_ranges(self, p: QPainter, stream: int, rect: QRectF, geo: Geometry, pal: QPalette) -> None:
        selected = self.doc.audio_selected
        for i, r in enumerate(self.doc.project.audio_ranges):
            if r.stream == stream:
                if self._edge is not None and self._edge[0] == i:  # live preview of a moved edge
                    r = self._moved(r, self._edge[1], self._edge[2], geo) or r
                self._paint_range(p, r, rect, geo, pal, i == selected)
        if self._drag is not None and self._drag[0] == stream:
            _, xa, xb = self._drag
            a, b = sorted((xa, xb))
            preview = AudioRange(stream, self.seconds_at(a, geo), self.seconds_at(b, geo) + 1e-6, "mute")
            self._paint_range(p, preview, rect, geo, pal, True)

    def _paint_range(self, p: QPainter, r: AudioRange, rect: QRectF, geo: Geometry, pal: QPalette,
                     selected: bool) -> None:
        xa, xb = self.x_of(r.start, geo), self.x_of(r.end, geo)
        box = QRectF(xa, rect.top() + 1, max(2.0, xb - xa), rect.height() - 2)
        color = QColor(ACTION_COLORS.get(r.action, ACTION_COLORS["mute"]))
        fill = QColor(color)
        fill.setAlpha(120)
        p.fillRect(box, fill)
        p.setPen(QPen(pal.color(QPalette.ColorRole.HighlightedText) if selected else color, 2 if selected else 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(box.adjusted(0.5, 0.5, -0.5, -0.5))
        if box.width() > 36:
            p.setPen(QColor(255, 255, 255))  # on the action's colour, in either theme
            label = r.action + (f": {r.reason}" if r.reason else "")
            p.drawText(box.adjusted(4, 1, -2, 0), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                       p.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, int(box.width() - 6)))

    def _moved(self, r: AudioRange, which: str, x: float, geo: Geometry) -> AudioRange | None:
        t = self.seconds_at(x, geo)
        start, end = (t, r.end) if which == "start" else (r.start, t)
        if end - start < 0.01:
            return None
        return AudioRange(r.stream, start, end, r.action, r.reason, r.tone_hz, r.level_dbfs)

    # -- mouse ------------------------------------------------------------------------------------
    def press(self, stream: int, x: float) -> None:
        self.stream = stream
        edge = self.edge_at(stream, x, self.canvas.geometry_())
        if edge is not None:
            self._edge = (*edge, x)
            self.doc.select_audio_range(edge[0])
        else:
            self._drag = (stream, x, x)
        self.canvas.viewport().update()

    def move(self, x: float) -> None:
        if self._edge is not None:
            self._edge = (self._edge[0], self._edge[1], x)
        elif self._drag is not None:
            self._drag = (self._drag[0], self._drag[1], x)
        self.canvas.viewport().update()

    def release(self, x: float, geo: Geometry) -> None:
        """A drag adds a mute range, a dragged edge moves (each one undo step); a click selects
        the range under it or moves the playhead there."""
        if self._edge is not None:
            index, which, _ = self._edge
            self._edge = None
            old = self.doc.project.audio_ranges[index]
            new = self._moved(old, which, x, geo)
            if new is not None and (new.start, new.end) != (old.start, old.end):
                self.doc.undo_stack.push(commands.set_audio_range_fields(
                    self.doc, index, f"Move audio range {which}", start=new.start, end=new.end))
            self.canvas.viewport().update()
            return
        if self._drag is None:
            return
        stream, anchor, _ = self._drag
        self._drag = None
        a, b = sorted((anchor, x))
        if b - a >= MIN_DRAG_PX:
            start, end = self.seconds_at(a, geo), self.seconds_at(b, geo)
            self.doc.undo_stack.push(commands.add_audio_range(self.doc, AudioRange(stream, start, end, "mute")))
        else:
            hit = self.range_at(stream, x, geo)
            self.doc.select_audio_range(hit)
            if hit is None:
                self.doc.set_frame(self.canvas.frame_at(x))
        self.canvas.viewport().update()

    @property
    def dragging(self) -> bool:
        return self._drag is not None or self._edge is not None
