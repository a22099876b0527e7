"""The viewer's mask outlines and their handles, and the geometry of dragging a handle.

Items live in scene coordinates, which are the frame's pixels, so a shape's points are used as
they are. Pens are cosmetic (their width is in screen pixels) and handles ignore the view's
transform, so outlines and handles stay the same size on screen at every zoom.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (QBrush, QColor, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF,
                           QTransform)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsSimpleTextItem, QStyleOptionGraphicsItem

from ...core.project import Shape
from ..app.label_colors import label_color

HANDLE_SIZE = 9  # screen pixels
Z_MASK, Z_SELECTED, Z_HANDLE, Z_DRAFT = 10, 20, 30, 40

# Box handles in order: corners and edge midpoints, clockwise from the top-left.
# Each names which box edges (x1, y1, x2, y2 as 0..3) it moves.
_BOX_HANDLE_EDGES = ((0, 1), (1,), (2, 1), (2,), (2, 3), (3,), (0, 3), (0,))
_BOX_HANDLE_CURSORS = (Qt.CursorShape.SizeFDiagCursor, Qt.CursorShape.SizeVerCursor,
                       Qt.CursorShape.SizeBDiagCursor, Qt.CursorShape.SizeHorCursor,
                       Qt.CursorShape.SizeFDiagCursor, Qt.CursorShape.SizeVerCursor,
                       Qt.CursorShape.SizeBDiagCursor, Qt.CursorShape.SizeHorCursor)


def handle_points(shape: Shape) -> list[QPointF]:
    if shape.kind == "polygon":
        p = shape.points
        return [QPointF(p[i], p[i + 1]) for i in range(0, len(p) - 1, 2)]
    x1, y1, x2, y2 = shape.bbox()
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return [QPointF(x1, y1), QPointF(cx, y1), QPointF(x2, y1), QPointF(x2, cy),
            QPointF(x2, y2), QPointF(cx, y2), QPointF(x1, y2), QPointF(x1, cy)]


def handle_cursor(shape: Shape, index: int) -> Qt.CursorShape:
    return Qt.CursorShape.CrossCursor if shape.kind == "polygon" else _BOX_HANDLE_CURSORS[index]


def drag_handle(shape: Shape, index: int, pos: QPointF) -> Shape:
    """`shape` with handle `index` moved to `pos` (a polygon vertex, or the edges a box handle holds)."""
    if shape.kind == "polygon":
        pts = list(shape.points)
        pts[2 * index], pts[2 * index + 1] = pos.x(), pos.y()
        return Shape("polygon", pts)
    box = list(shape.bbox())
    for edge in _BOX_HANDLE_EDGES[index]:
        box[edge] = pos.x() if edge in (0, 2) else pos.y()
    return Shape.rect(*box, kind=shape.kind)  # normalised: dragging past the other edge flips the box


def shape_path(shape: Shape) -> QPainterPath:
    path = QPainterPath()
    if shape.kind == "polygon":
        p = shape.points
        path.addPolygon(QPolygonF([QPointF(p[i], p[i + 1]) for i in range(0, len(p) - 1, 2)]))
        path.closeSubpath()
        return path
    x1, y1, x2, y2 = shape.bbox()
    rect = QRectF(x1, y1, x2 - x1, y2 - y1)
    if shape.kind == "ellipse":
        path.addEllipse(rect)
    else:
        path.addRect(rect)
    return path


class HandleItem(QGraphicsRectItem):
    """A square grip of constant screen size at one handle point of the selected mask."""

    def __init__(self, index: int, parent: "MaskItem"):
        half = HANDLE_SIZE / 2
        super().__init__(-half, -half, HANDLE_SIZE, HANDLE_SIZE, parent)
        self.index = index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(Z_HANDLE)

    @property
    def mask(self) -> "MaskItem":
        return self.parentItem()



class TagItem(QGraphicsSimpleTextItem):
    """The track's id and label on a dark backing, readable over any picture."""

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-3, -1, 3, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(self.boundingRect(), 3, 3)
        super().paint(painter, option, widget)


class MaskItem(QGraphicsItem):
    """One track's shape at the current frame: an outline coloured by label.

    Disabled tracks are dimmed and dashed; the selected track is drawn thicker with handles.
    """

    def __init__(self, track_id: int, label: str, shape: Shape, enabled: bool):
        super().__init__()
        self.track_id = track_id
        self.label = label
        self.enabled = enabled
        self.selected = False
        self.faint = False  # the redacted preview shows through: outline only as a hint
        self._shape = shape
        self._path = shape_path(shape)
        self._handles: list[HandleItem] = []
        self._tag = TagItem(self)
        self._tag.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(Z_MASK)
        self.setAcceptHoverEvents(False)
        self._update_tag()

    # -- state ------------------------------------------------------------------------------
    @property
    def mask_shape(self) -> Shape:
        return self._shape

    def set_mask_shape(self, shape: Shape) -> None:
        self.prepareGeometryChange()
        self._shape = shape
        self._path = shape_path(shape)
        for handle, point in zip(self._handles, handle_points(shape)):
            handle.setPos(point)
        if len(self._handles) != len(handle_points(shape)):
            self._rebuild_handles()
        self._update_tag()
        self.update()

    def set_look(self, label: str, enabled: bool, selected: bool, faint: bool) -> None:
        changed_selection = selected != self.selected
        self.label, self.enabled, self.selected, self.faint = label, enabled, selected, faint
        self.setZValue(Z_SELECTED if selected else Z_MASK)
        if changed_selection:
            self._rebuild_handles()
        self._update_tag()
        self.update()

    def handles(self) -> list[HandleItem]:
        return list(self._handles)

    def _rebuild_handles(self) -> None:
        for h in self._handles:
            h.setParentItem(None)
            if h.scene() is not None:
                h.scene().removeItem(h)
        self._handles = []
        if not self.selected:
            return
        color = label_color(self.label)
        for i, point in enumerate(handle_points(self._shape)):
            h = HandleItem(i, self)
            h.setPos(point)
            h.setPen(QPen(QColor(20, 20, 20), 1))
            h.setBrush(QBrush(color.lighter(130)))
            self._handles.append(h)

    def _update_tag(self) -> None:
        x1, y1, _, _ = self._shape.bbox()
        self._tag.setText(f"{self.track_id} {self.label}" + ("" if self.enabled else " (off)"))
        self._tag.setBrush(self._pen_color())
        self._tag.setPos(x1, y1)
        # above the shape, in screen pixels (the tag ignores the view's zoom)
        self._tag.setTransform(QTransform.fromTranslate(0, -16))
        self._tag.setVisible(not self.faint or self.selected)

    def _pen_color(self) -> QColor:
        color = label_color(self.label)
        if not self.enabled:
            color.setAlpha(130)
        if self.faint and not self.selected:
            color.setAlpha(70)
        return color

    # -- QGraphicsItem ----------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        """Hit area: the filled shape plus a thin band around it, so thin masks can be grabbed."""
        stroker = QPainterPathStroker()
        stroker.setWidth(4)
        return self._path.united(stroker.createStroke(self._path))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        color = self._pen_color()
        pen = QPen(color, 3 if self.selected else 2)
        pen.setCosmetic(True)
        if not self.enabled:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.selected and not self.faint:
            fill = QColor(color)
            fill.setAlpha(40)
            painter.setBrush(fill)
        else:
            painter.setBrush(Qt.BrushStyle.NoBrush)
        # A dark halo under the coloured line keeps it readable on bright and dark pictures alike.
        halo = QPen(QColor(0, 0, 0, 110 if not self.faint else 40), pen.widthF() + 2)
        halo.setCosmetic(True)
        painter.setPen(halo)
        painter.drawPath(self._path)
        painter.setPen(pen)
        painter.drawPath(self._path)
