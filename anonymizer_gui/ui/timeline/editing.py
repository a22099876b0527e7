"""Editing on the timeline: drag a keyframe in time, drag a track's start or end to trim or extend.

Live preview while the button is held (a dashed line where the drag would land), then one undo
step on release (commands.move_keyframe / commands.set_span). Drags snap to the playhead, the
in/out marks and every lane's keyframes within SNAP_PX; Shift held while dragging turns snapping off.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from ..document import commands

GRAB_PX = 5  # how close to a keyframe or a track end the press must land
SNAP_PX = 6
PREVIEW = QColor(120, 200, 255)


class LaneEditing:
    def __init__(self, canvas):
        self.canvas = canvas
        self.doc = canvas.doc
        self.drag: tuple[str, int, int] | None = None  # (kind: keyframe|start|end, track id, grabbed frame)
        self.target: int | None = None

    # -- hit testing ------------------------------------------------------------------------------
    def grab_at(self, track, x: float) -> tuple[str, int] | None:
        """What a press at viewport x on `track`'s lane grabs: a keyframe, else the start or end edge."""
        if not track.keyframes:
            return None
        geo = self.canvas.geometry_()
        best = min(track.keyframes, key=lambda k: abs(self.canvas.x_of_frame(k.frame) - x))
        if abs(self.canvas.x_of_frame(best.frame) - x) <= GRAB_PX and self.canvas.ppf >= 2:
            return "keyframe", best.frame
        if abs(geo.x(track.first_frame) - x) <= GRAB_PX:
            return "start", track.first_frame
        if abs(geo.x(track.last_frame + 1) - x) <= GRAB_PX:
            return "end", track.last_frame
        return None

    def cursor_at(self, pos: QPointF):
        lane = self.canvas.lane_at(pos.y())
        if lane is not None and pos.x() >= self.canvas.geometry_().left:
            if self.grab_at(self.canvas.lane_tracks()[lane], pos.x()) is not None:
                return Qt.CursorShape.SizeHorCursor
        return Qt.CursorShape.ArrowCursor

    # -- the drag ---------------------------------------------------------------------------------
    def press(self, track, pos: QPointF, modifiers) -> bool:
        if modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            return False
        grab = self.grab_at(track, pos.x())
        if grab is None:
            return False
        self.doc.select([track.id])
        self.drag = (grab[0], track.id, grab[1])
        self.target = grab[1]
        return True

    def move(self, pos: QPointF, snap: bool = True) -> None:
        if self.drag is None:
            return
        frame = self.canvas.frame_at(pos.x())
        self.target = self.snapped(frame) if snap else frame
        self.canvas.viewport().update()

    def release(self, pos: QPointF | None = None) -> None:
        if self.drag is None:
            return
        kind, track_id, grabbed = self.drag
        target = self.target
        self.drag = self.target = None
        self.canvas.viewport().update()
        if target is None or target == grabbed or not self.doc.has_track(track_id):
            return
        track = self.doc.track(track_id)
        if kind == "keyframe":
            if track.keyframe_index(target) is not None:
                return  # another keyframe is there: a drop onto it would lose one
            command = commands.move_keyframe(self.doc, track_id, grabbed, target)
        elif kind == "start":
            command = commands.set_span(self.doc, track_id, min(target, track.last_frame), track.last_frame)
        else:
            command = commands.set_span(self.doc, track_id, track.first_frame, max(target, track.first_frame))
        self.doc.undo_stack.push(command)

    def snapped(self, frame: int) -> int:
        """`frame`, or the nearest snap point (playhead, marks, keyframes) within SNAP_PX."""
        points = {self.doc.frame} | {m for m in self.canvas.marks if m is not None}
        dragged = self.drag[1] if self.drag else None
        for t in self.canvas.lane_tracks():
            points.update(int(f) for f in self.canvas.lane(t).keyframes if not (t.id == dragged
                                                                                 and f == self.drag[2]))
        reach = SNAP_PX / max(self.canvas.ppf, 1e-6)
        best = min(points, key=lambda f: abs(f - frame), default=None)
        return best if best is not None and abs(best - frame) <= reach else frame

    def paint(self, p: QPainter, top: int, h: int) -> None:
        if self.drag is None or self.target is None:
            return
        x = self.canvas.x_of_frame(self.target)
        p.save()
        p.setPen(QPen(PREVIEW, 2, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(x, top), QPointF(x, h))
        p.restore()
