"""Mouse gestures of the viewer: drawing new masks, and moving or resizing an existing one.

A gesture only draws a live preview; it hands its result back to the viewer, which turns it into
ONE command when the mouse is released (one undo step per drag).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QGraphicsPathItem, QGraphicsScene

from ...core.project import Keyframe, Shape, Track, track_edits
from ..document.document import ProjectDocument
from ..app.label_colors import label_color
from .mask_items import Z_DRAFT, MaskItem, drag_handle, shape_path

TOOLS = ("select", "rect", "ellipse", "polygon")
MIN_DRAWN_SIZE = 3.0  # frame pixels; a smaller drag is a click, not a shape
MANUAL_LABEL = "manual"


def manual_track(doc: ProjectDocument, shape: Shape, frame: int) -> Track:
    """A manual track holding `shape` from `frame` to the clip's last frame (fail closed).

    Two keyframes with the same shape: the mask stays put until the operator moves it, and a
    move at a later frame interpolates from where it was drawn.
    """
    last = max(frame, doc.frame_count - 1)
    keyframes = [Keyframe(frame, shape.copy())]
    if last != frame:
        keyframes.append(Keyframe(last, shape.copy()))
    # Drawn by the operator: accepted at once, in their name (issue 11: manual tracks start accepted).
    return track_edits.new_manual_track(doc.project.next_track_id(), MANUAL_LABEL, keyframes, doc.operator,
                                        doc.clock())


def _draft_pen() -> QPen:
    pen = QPen(label_color(MANUAL_LABEL), 2, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen


class BoxDraft:
    """A rectangle or ellipse being drawn: from the press point to the mouse."""

    def __init__(self, scene: QGraphicsScene, kind: str, start: QPointF):
        self.kind = kind
        self.start = QPointF(start)
        self.end = QPointF(start)
        self.item = QGraphicsPathItem()
        self.item.setPen(_draft_pen())
        fill = QColor(label_color(MANUAL_LABEL))
        fill.setAlpha(40)
        self.item.setBrush(fill)
        self.item.setZValue(Z_DRAFT)
        scene.addItem(self.item)

    def shape(self) -> Shape:
        return Shape.rect(self.start.x(), self.start.y(), self.end.x(), self.end.y(), kind=self.kind)

    def move(self, pos: QPointF) -> None:
        self.end = QPointF(pos)
        self.item.setPath(shape_path(self.shape()))

    def finish(self, pos: QPointF) -> Shape | None:
        self.move(pos)
        self.cancel()
        x1, y1, x2, y2 = self.shape().bbox()
        return self.shape() if x2 - x1 >= MIN_DRAWN_SIZE and y2 - y1 >= MIN_DRAWN_SIZE else None

    def cancel(self) -> None:
        if self.item.scene() is not None:
            self.item.scene().removeItem(self.item)


class PolygonDraft:
    """A polygon being drawn vertex by vertex, with a rubber band to the mouse."""

    def __init__(self, scene: QGraphicsScene, first: QPointF):
        self.points: list[QPointF] = [QPointF(first)]
        self.hover = QPointF(first)
        self.item = QGraphicsPathItem()
        self.item.setPen(_draft_pen())
        self.item.setZValue(Z_DRAFT)
        scene.addItem(self.item)
        self._redraw()

    def add(self, pos: QPointF) -> None:
        if (pos - self.points[-1]).manhattanLength() >= 1.0:  # a double-click's second press adds nothing
            self.points.append(QPointF(pos))
        self._redraw()

    def move(self, pos: QPointF) -> None:
        self.hover = QPointF(pos)
        self._redraw()

    def remove_last(self) -> bool:
        """Backspace: drop the last vertex; False when none is left (the draft is gone)."""
        self.points.pop()
        self._redraw()
        return bool(self.points)

    def shape(self) -> Shape | None:
        if len(self.points) < 3:
            return None
        pts = [v for p in self.points for v in (p.x(), p.y())]
        shape = Shape("polygon", pts)
        x1, y1, x2, y2 = shape.bbox()
        return shape if x2 - x1 >= MIN_DRAWN_SIZE and y2 - y1 >= MIN_DRAWN_SIZE else None

    def finish(self) -> Shape | None:
        shape = self.shape()
        self.cancel()
        return shape

    def cancel(self) -> None:
        if self.item.scene() is not None:
            self.item.scene().removeItem(self.item)

    def _redraw(self) -> None:
        path = QPainterPath()
        if self.points:
            path.moveTo(self.points[0])
            for p in self.points[1:]:
                path.lineTo(p)
            path.lineTo(self.hover)
        self.item.setPath(path)


class MaskDrag:
    """Moving (handle None) or resizing (a handle index) one mask; the item shows the live result."""

    def __init__(self, item: MaskItem, handle: int | None, start: QPointF):
        self.item = item
        self.handle = handle
        self.start = QPointF(start)
        self.original = item.mask_shape.copy()
        self.moved = False

    def move(self, pos: QPointF) -> None:
        if self.handle is None:
            d = pos - self.start
            shape = self.original.translated(d.x(), d.y())
        else:
            shape = drag_handle(self.original, self.handle, pos)
        self.moved = True
        self.item.set_mask_shape(shape)

    def finish(self, pos: QPointF) -> Shape | None:
        """The new shape, or None when the drag changed nothing (a click)."""
        self.move(pos)
        new = self.item.mask_shape
        x1, y1, x2, y2 = new.bbox()
        degenerate = x2 - x1 < 1.0 or y2 - y1 < 1.0
        if degenerate or all(abs(a - b) < 1e-6 for a, b in zip(new.points, self.original.points)):
            self.item.set_mask_shape(self.original)
            return None
        return new

    def cancel(self) -> None:
        self.item.set_mask_shape(self.original)


class Pan:
    """Moving the picture with the mouse (middle button, or a drag on empty picture)."""

    def __init__(self, view, pos: QPointF):
        self.start = QPointF(pos)
        self.h0 = view.horizontalScrollBar().value()
        self.v0 = view.verticalScrollBar().value()


def dragged(start: QPointF, pos: QPointF) -> bool:
    """True once the mouse moved far enough from `start` to be a drag rather than a click."""
    return (pos - start).manhattanLength() >= QApplication.startDragDistance()
