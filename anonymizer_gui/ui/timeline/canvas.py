"""The timeline's painted surface: ruler, thumbnails, lanes and playhead, with mouse and keys.

One custom-painted widget, no item per frame or per keyframe: it paints only the visible frame
range and the visible lanes. Scroll bars move in pixels; `ppf` is pixels per frame.
"""

from __future__ import annotations

import math

import numpy as np

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QAbstractScrollArea

from ...core.project import shape_at
from ..document.document import ProjectDocument
from ..media.frames import FrameSource, bgr_to_pixmap, thumbnail_key
from ..app.label_colors import label_color
from ..media.timecode import doc_fps, frame_seconds
from .audio_lanes import AudioLanes
from .editing import LaneEditing
from .lanes import Geometry, LaneData, lane_data, lanes_in_order, paint_lane, paint_ruler

HEADER_W = 130  # lane titles
RULER_H = 22
THUMB_H = 40
LANE_H = 28  # default lane height; the operator sets 16-96 (lane_h)
MIN_LANE_H, MAX_LANE_H = 16, 96
FINDING_H = 5  # px: the band along the ruler's foot where the leak check's findings show
FINDING_COLOR = QColor(220, 30, 30)
MAX_PPF = 48.0
PLAYHEAD = QColor(235, 64, 52)
MARK_BAND = QColor(80, 160, 255, 70)
MARK_EDGE = QColor(80, 160, 255)
MARK_LANES = QColor(80, 160, 255, 30)  # the in/out range over the track lanes
THUMBS_WITHIN_S = 2.0  # show ruler thumbnails when one covers at most this many seconds


class TimelineCanvas(QAbstractScrollArea):
    def __init__(self, doc: ProjectDocument, frames: FrameSource, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.frames = frames
        self.ppf = 1.0
        self.fit_mode = True
        self._lanes: dict[int, LaneData] = {}
        self._thumb_pixmaps: dict = {}
        self._drag: str | None = None  # "scrub" on the ruler or a track lane, "audio" on an audio lane
        self.audio = AudioLanes(self)
        self._drag: str | None = None  # "scrub" while a button is held on the ruler or a lane
        self.lane_h = LANE_H
        self.order: list[int] | None = None  # track ids in the panel's filter and sort; None: project order
        self.editor = None  # timeline.editing.LaneEditing: drags of keyframes and track ends
        self.painted_thumbnails = 0  # thumbnails on the ruler in the last paint
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAccessibleName("Timeline")
        self.horizontalScrollBar().valueChanged.connect(self.viewport().update)
        self.verticalScrollBar().valueChanged.connect(self.viewport().update)
        frames.thumbnailReady.connect(self._on_thumbnail)
        self.editor = LaneEditing(self)

    # -- geometry ---------------------------------------------------------------------------
    def top_height(self) -> int:
        """Ruler, thumbnails and the audio lanes: the fixed band above the track lanes."""
        return self.audio_top() + self.audio.height()

    def audio_top(self) -> int:
        return RULER_H + (THUMB_H if self.shows_thumbnails() else 0)

    def geometry_(self) -> Geometry:
        return Geometry(HEADER_W - self.horizontalScrollBar().value(), self.ppf)

    def x_of_frame(self, frame: float) -> float:
        """Viewport x of the middle of `frame`."""
        return self.geometry_().x(frame + 0.5)

    def frame_at(self, x: float) -> int:
        return max(0, min(self.doc.frame_count - 1, self.geometry_().frame_at(x)))

    def lane_at(self, y: float) -> int | None:
        if y < self.top_height() or self.doc.project is None:
            return None
        i = int((y - self.top_height() + self.verticalScrollBar().value()) // self.lane_h)
        return i if 0 <= i < len(self.lane_tracks()) else None

    def lane_rect(self, index: int) -> QRectF:
        y = self.top_height() + index * self.lane_h - self.verticalScrollBar().value()
        return QRectF(HEADER_W, y, max(0, self.viewport().width() - HEADER_W), self.lane_h)

    def lane_tracks(self) -> list:
        """The tracks with a lane, top to bottom: the panel's rows (or the project's order), with
        the tracks of one person together at the first one's place."""
        project = self.doc.project
        if project is None:
            return []
        return lanes_in_order(project.tracks if self.order is None else
                              [project.track(i) for i in self.order if self.doc.has_track(i)])

    def lane_index(self, track_id: int) -> int | None:
        return next((i for i, t in enumerate(self.lane_tracks()) if t.id == track_id), None)

    def set_order(self, ids: list[int] | None) -> None:
        self.order = list(ids) if ids is not None else None
        self.invalidate(None)

    def set_lane_height(self, height: int) -> None:
        self.lane_h = max(MIN_LANE_H, min(MAX_LANE_H, int(height)))
        self._update_scrollbars()
        self.viewport().update()

    @property
    def marks(self) -> tuple[int | None, int | None]:
        """The in and out marks: the document's (one pair for video ranges and audio ranges)."""
        return self.doc.mark_in, self.doc.mark_out

    def set_marks(self, mark_in: int | None, mark_out: int | None) -> None:
        if mark_in is not None and mark_out is not None and mark_out < mark_in:
            mark_in, mark_out = mark_out, mark_in
        self.doc.set_marks(mark_in, mark_out)
        self.viewport().update()

    def fit_ppf(self) -> float:
        return max(1e-4, (self.viewport().width() - HEADER_W - 6) / max(1, self.doc.frame_count))

    def shows_thumbnails(self) -> bool:
        info = self.frames.info
        if info is None or not self.doc.frame_count:
            return False
        frames_per_thumb = self._thumb_width() / self.ppf
        return frames_per_thumb <= max(1.0, THUMBS_WITHIN_S * doc_fps(self.doc))

    def _thumb_width(self) -> float:
        media = self.doc.project.media if self.doc.project else None
        aspect = media.width / media.height if media and media.height else 16 / 9
        return THUMB_H * aspect

    def set_ppf(self, ppf: float, anchor_x: float | None = None) -> None:
        ppf = max(min(self.fit_ppf(), MAX_PPF), min(MAX_PPF, ppf))
        anchor_x = self.viewport().width() / 2 if anchor_x is None else anchor_x
        anchor_frame = (anchor_x - self.geometry_().left) / self.ppf
        self.ppf = ppf
        self._update_scrollbars()
        self.horizontalScrollBar().setValue(int(round(HEADER_W + anchor_frame * ppf - anchor_x)))
        self.viewport().update()

    def _update_scrollbars(self) -> None:
        content = self.doc.frame_count * self.ppf
        visible = max(1, self.viewport().width() - HEADER_W)
        h = self.horizontalScrollBar()
        h.setRange(0, max(0, int(math.ceil(content - visible + 6))))
        h.setPageStep(visible)
        h.setSingleStep(max(1, int(self.ppf)))
        lanes = len(self.lane_tracks()) * self.lane_h
        v = self.verticalScrollBar()
        v.setRange(0, max(0, lanes - (self.viewport().height() - self.top_height())))
        v.setPageStep(max(self.lane_h, self.viewport().height() - self.top_height()))
        v.setSingleStep(self.lane_h)

    def ensure_frame_visible(self, frame: int) -> None:
        x = self.x_of_frame(frame)
        if x < HEADER_W or x > self.viewport().width() - 4:
            visible = self.viewport().width() - HEADER_W
            self.horizontalScrollBar().setValue(int(frame * self.ppf - visible * 0.1))

    def ensure_lane_visible(self, index: int) -> None:
        r = self.lane_rect(index)
        if r.top() < self.top_height():
            self.verticalScrollBar().setValue(index * self.lane_h)
        elif r.bottom() > self.viewport().height():
            self.verticalScrollBar().setValue((index + 1) * self.lane_h - (self.viewport().height() - self.top_height()))

    # -- data -------------------------------------------------------------------------------
    def lane(self, track) -> LaneData:
        data = self._lanes.get(track.id)
        if data is None:
            data = self._lanes[track.id] = lane_data(track)
        return data

    def invalidate(self, track_id: int | None = None) -> None:
        if track_id is None:
            self._lanes.clear()
        else:
            self._lanes.pop(track_id, None)
        self._update_scrollbars()
        self.viewport().update()

    def reset(self) -> None:
        self._thumb_pixmaps.clear()
        self.audio.reset()
        self.invalidate()
        self.fit_mode = True
        self.set_ppf(self.fit_ppf(), 0)
        self.horizontalScrollBar().setValue(0)

    def _on_thumbnail(self, key) -> None:
        self.viewport().update()

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self.viewport())
        pal = self.palette()
        w, h = self.viewport().width(), self.viewport().height()
        p.fillRect(0, 0, w, h, pal.color(QPalette.ColorRole.Base))
        project = self.doc.project
        if project is None or not self.doc.frame_count:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, "No video open")
            return
        geo = self.geometry_()
        top = self.top_height()
        selected = set(self.doc.selected_ids)
        # lanes
        p.save()
        p.setClipRect(QRectF(0, top, w, h - top))
        lanes = self.lane_tracks()
        first = int(self.verticalScrollBar().value() // self.lane_h)
        last = min(len(lanes), first + (h - top) // self.lane_h + 2)
        for i in range(first, last):
            track = lanes[i]
            rect = self.lane_rect(i)
            if i % 2:
                p.fillRect(QRectF(0, rect.top(), w, self.lane_h), pal.color(QPalette.ColorRole.AlternateBase))
            if track.id in selected:
                hl = QColor(pal.color(QPalette.ColorRole.Highlight))
                hl.setAlpha(70)
                p.fillRect(QRectF(0, rect.top(), w, self.lane_h), hl)
            p.save()
            p.setClipRect(rect)
            paint_lane(p, rect, self.lane(track), track, geo, self.doc.frame_count, track.id in selected, pal)
            p.restore()
            self._paint_lane_title(p, track, rect.top(), track.id in selected, pal)
        if self.editor is not None:
            self.editor.paint(p, top, h)
        self._shade_marks(p, top, h)
        if not lanes:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(QRectF(HEADER_W + 12, top, w - HEADER_W - 24, h - top),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       "No tracks yet: analyse the clip, or draw a mask on the picture (R, E, P)")
        p.restore()
        # ruler and thumbnails
        fps = doc_fps(self.doc)
        ruler = QRectF(HEADER_W, 0, w - HEADER_W, RULER_H)
        p.save()
        p.setClipRect(QRectF(HEADER_W, 0, w - HEADER_W, top))
        paint_ruler(p, ruler, geo, self.doc.frame_count, fps,
                    lambda f: frame_seconds(self.doc.media_info, fps, f), pal)
        if self.shows_thumbnails():
            self._paint_thumbnails(p, QRectF(HEADER_W, RULER_H, w - HEADER_W, THUMB_H), geo, pal)
        self._paint_marks(p, geo)
        for rect in self.finding_rects():
            p.fillRect(rect, FINDING_COLOR)
        p.restore()
        p.fillRect(QRectF(0, 0, HEADER_W, self.audio_top()), pal.color(QPalette.ColorRole.Window))
        if self.audio.count():
            p.save()
            p.setClipRect(QRectF(0, self.audio_top(), w, self.audio.height()))
            self.audio.paint(p, self.audio_top(), w, geo, pal, HEADER_W)
            p.restore()
        p.setPen(pal.color(QPalette.ColorRole.Mid))
        p.drawLine(QPointF(HEADER_W - 0.5, 0), QPointF(HEADER_W - 0.5, h))
        p.drawLine(QPointF(0, top - 0.5), QPointF(w, top - 0.5))
        self._paint_playhead(p, h)

    def finding_rects(self) -> list[QRectF]:
        """The leak check's findings as red marks along the bottom of the ruler, one per finding."""
        out = []
        for f in self.doc.findings:
            a, b = f["frames"]
            x0, x1 = self.x_of_frame(a), self.x_of_frame(b + 1)
            out.append(QRectF(x0, RULER_H - FINDING_H, max(2.0, x1 - x0), FINDING_H))
        return out

    def _paint_lane_title(self, p: QPainter, track, y: float, selected: bool, pal: QPalette) -> None:
        lane_h = self.lane_h
        p.fillRect(QRectF(0, y, HEADER_W, lane_h), pal.color(QPalette.ColorRole.Window))
        if selected:
            hl = QColor(pal.color(QPalette.ColorRole.Highlight))
            hl.setAlpha(110)
            p.fillRect(QRectF(0, y, HEADER_W, lane_h), hl)
        color = label_color(track.label)
        if not track.enabled:
            color.setAlpha(90)
        p.fillRect(QRectF(4, y + 5, 8, lane_h - 10), color)
        text = pal.color(QPalette.ColorRole.WindowText)
        if not track.enabled:
            text = pal.color(QPalette.ColorRole.PlaceholderText)
        p.setPen(text)
        font = QFont(p.font())
        font.setBold(selected)
        p.setFont(font)
        mark = {"unreviewed": "", "accepted": " \u2713", "rejected": " \u2717", "visible": " \u25cb"}[track.review]
        person = f"P{track.group} " if track.group is not None else ""
        title = f"{person}{track.id} {track.label}{mark}" + ("  (off)" if not track.enabled else "") \
            + ("  \u26a0" if self.lane(track).needs_review and not track.reviewed else "")
        elided = p.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, HEADER_W - 20)
        p.drawText(QRectF(16, y, HEADER_W - 18, lane_h), Qt.AlignmentFlag.AlignVCenter, elided)
        font.setBold(False)
        p.setFont(font)

    def _paint_thumbnails(self, p: QPainter, rect: QRectF, geo: Geometry, pal: QPalette) -> None:
        """Thumbnails side by side, in slots anchored at frame 0 (stable while scrolling); each shows
        the frame under its left edge."""
        p.fillRect(rect, pal.color(QPalette.ColorRole.Dark))
        dpr = self.devicePixelRatioF()
        slot_w = self._thumb_width()
        height_px = int(round(THUMB_H * dpr))
        end_x = min(rect.right(), geo.x(self.doc.frame_count))
        self.painted_thumbnails = 0
        k = max(0, int((rect.left() - geo.left) // slot_w))
        while geo.left + k * slot_w < end_x:
            x = geo.left + k * slot_w
            f = min(self.doc.frame_count - 1, geo.frame_at(x + 0.5))
            k += 1
            key = thumbnail_key(f, None, height_px)
            pix = self._thumb_pixmaps.get(key)
            if pix is None:
                img = self.frames.thumbnail(f, None, height_px)
                if img is None:
                    continue
                pix = bgr_to_pixmap(img, dpr)
                if len(self._thumb_pixmaps) > 400:
                    self._thumb_pixmaps.clear()
                self._thumb_pixmaps[key] = pix
            p.save()
            p.setClipRect(QRectF(x, rect.top(), min(slot_w, end_x - x), THUMB_H), Qt.ClipOperation.IntersectClip)
            p.drawPixmap(QPointF(x, rect.top()), pix)
            p.restore()
            self.painted_thumbnails += 1

    def _paint_marks(self, p: QPainter, geo: Geometry) -> None:
        """The in/out marks on the ruler: a band between them, a bracket at each."""
        a, b = self.doc.mark_in, self.doc.mark_out
        if a is None and b is None:
            return
        xa = geo.x(a) if a is not None else geo.x(0)
        xb = geo.x(b + 1) if b is not None else geo.x(self.doc.frame_count)
        p.fillRect(QRectF(xa, 0, max(1.0, xb - xa), RULER_H), MARK_BAND)
        p.setPen(QPen(MARK_EDGE, 2))
        for x, known in ((xa, a is not None), (xb, b is not None)):
            if known:
                p.drawLine(QPointF(x, 0), QPointF(x, RULER_H))

    def _shade_marks(self, p: QPainter, top: int, h: int) -> None:
        """The in/out range over the track lanes, where the range actions will act."""
        a, b = self.marks
        if a is None and b is None:
            return
        geo = self.geometry_()
        xa = max(float(HEADER_W), geo.x(a) if a is not None else geo.x(0))
        xb = geo.x(b + 1) if b is not None else geo.x(self.doc.frame_count)
        p.fillRect(QRectF(xa, top, max(1.0, xb - xa), h - top), MARK_LANES)
        p.setPen(QPen(MARK_EDGE, 1, Qt.PenStyle.DashLine))
        for x, known in ((xa, a is not None), (xb, b is not None)):
            if known and x >= HEADER_W:
                p.drawLine(QPointF(x, top), QPointF(x, h))

    def _paint_playhead(self, p: QPainter, h: int) -> None:
        x = self.x_of_frame(self.doc.frame)
        if x < HEADER_W:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(PLAYHEAD, 2))
        p.drawLine(QPointF(x, RULER_H - 8), QPointF(x, h))
        p.setBrush(PLAYHEAD)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawPolygon(QPolygonF([QPointF(x - 6, RULER_H - 10), QPointF(x + 6, RULER_H - 10), QPointF(x, RULER_H - 2)]))

    # -- input ------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.doc.project is None:
            return super().mousePressEvent(event)
        pos = event.position()
        stream = self.audio.lane_at(pos.y(), self.audio_top())
        if stream is not None:
            self.audio.stream = stream
            if pos.x() >= HEADER_W:
                self._drag = "audio"
                self.audio.press(stream, pos.x())
            self.viewport().update()
            return
        if pos.y() < self.top_height():
            if pos.x() >= HEADER_W:
                self._drag = "scrub"
                self.doc.set_frame(self.frame_at(pos.x()))
            return
        lane = self.lane_at(pos.y())
        if lane is None:
            self.doc.select([])
            return
        track = self.lane_tracks()[lane]
        if self.editor is not None and self.editor.press(track, pos, event.modifiers()):
            self._drag = "edit"
            return
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            ids = self.doc.selected_ids
            self.doc.select([i for i in ids if i != track.id] if track.id in ids else ids + [track.id])
            return
        self.doc.select([track.id])
        if pos.x() >= HEADER_W:
            self._drag = "scrub"
            self.doc.set_frame(self.frame_at(pos.x()))
        elif track.keyframes:
            if shape_at(track, self.doc.frame) is None:
                self.doc.set_frame(track.first_frame)

    def mouseMoveEvent(self, event) -> None:
        if self._drag == "audio" and event.buttons() & Qt.MouseButton.LeftButton:
            self.audio.move(max(float(HEADER_W), event.position().x()))
            return
        if self._drag == "edit":
            self.editor.move(event.position(), snap=not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            return
        if self._drag == "scrub" and event.buttons() & Qt.MouseButton.LeftButton:
            x = event.position().x()
            self.doc.set_frame(self.frame_at(x))
            if x > self.viewport().width() - 10 or x < HEADER_W + 10:  # drag past the edge: scroll along
                self.ensure_frame_visible(self.doc.frame)
        elif not event.buttons() and self.doc.project is not None:  # hover: show where an edge can move
            stream = self.audio.lane_at(event.position().y(), self.audio_top())
            edge = None if stream is None else self.audio.edge_at(stream, event.position().x(), self.geometry_())
            grab = edge or self.editor.cursor_at(event.position()) == Qt.CursorShape.SizeHorCursor
            self.viewport().setCursor(Qt.CursorShape.SizeHorCursor if grab else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event) -> None:
        if self._drag == "audio":
            self.audio.release(max(float(HEADER_W), event.position().x()), self.geometry_())
        if self._drag == "edit":
            self.editor.release(event.position())
        self._drag = None

    def mouseDoubleClickEvent(self, event) -> None:
        pos = event.position()
        lane = self.lane_at(pos.y())
        if lane is None or pos.x() < HEADER_W:
            return
        keyframes = self.lane(self.lane_tracks()[lane]).keyframes
        if not len(keyframes):
            return
        distance = np.abs(self.geometry_().left + (keyframes + 0.5) * self.ppf - pos.x())
        nearest = int(np.argmin(distance))
        if distance[nearest] <= max(7.0, self.ppf / 2):
            self.doc.set_frame(int(keyframes[nearest]))

    def keyPressEvent(self, event) -> None:
        """Up/Down select the previous/next lane's track (the playhead keys are the window's)."""
        key = event.key()
        tracks = self.lane_tracks()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and tracks:
            ids = self.doc.selected_ids
            row = self.lane_index(ids[0]) if ids else -1
            row = -1 if row is None else row
            row = max(0, min(len(tracks) - 1, row + (1 if key == Qt.Key.Key_Down else -1)))
            self.doc.select([tracks[row].id])
            self.ensure_lane_visible(row)
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.AltModifier:  # Alt+wheel: lane height
            self.set_lane_height(self.lane_h + (4 if (delta.y() or delta.x()) > 0 else -4))
        elif event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.fit_mode = False
            self.set_ppf(self.ppf * 1.25 ** (delta.y() / 120.0), event.position().x())
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier or not self.verticalScrollBar().maximum():
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - int((delta.y() or delta.x()) / 120.0 * bar.pageStep() / 8))
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fit_mode:
            self.set_ppf(self.fit_ppf(), 0)
            self.horizontalScrollBar().setValue(0)
        else:
            self._update_scrollbars()

    def sizeHint(self) -> QSize:
        return QSize(800, RULER_H + THUMB_H + self.audio.height() + 5 * self.lane_h)
