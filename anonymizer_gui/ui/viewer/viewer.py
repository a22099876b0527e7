"""VideoViewer: the frame at the playhead with every mask on it; move, resize and draw masks.

The scene's coordinates are the frame's pixels, so shapes go in and out unconverted. The view
only reads the document; a finished drag or a drawn shape becomes one command on the undo stack,
and the document's signals bring the result back here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QPainter, QPalette, QPixmap, QTransform
from PySide6.QtWidgets import QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from ...core.project import masks_at, shape_at
from ..document import commands
from ..document.document import ProjectDocument
from .draw_tools import TOOLS, BoxDraft, MaskDrag, Pan, PolygonDraft, dragged, manual_track
from ..media.frames import FrameSource, bgr_to_qimage
from .mask_items import HandleItem, MaskItem, handle_cursor
from ..media.timecode import doc_timecode
from .actions import make_viewer_actions, sync_viewer_actions
from .overlay import OverlayState, paint_overlay

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 32.0


class VideoViewer(QGraphicsView):
    toolChanged = Signal(str)
    previewChanged = Signal(bool)

    def __init__(self, doc: ProjectDocument, frames: FrameSource, parent=None, playback=None):
        super().__init__(parent)
        self.doc = doc
        self.frames = frames
        self.playback = None
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._pixmap_item = QGraphicsPixmapItem()
        self._pixmap_item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self._scene.addItem(self._pixmap_item)
        self._items: dict[int, MaskItem] = {}
        self._tool = "select"
        self._preview = False
        self._fit_mode = True
        self._gesture = None  # MaskDrag | BoxDraft | PolygonDraft | Pan | ("click", pos, Pan)
        self._image: np.ndarray | None = None  # decoded frame on screen
        self._image_index: int | None = None
        self.displayed_bgr: np.ndarray | None = None  # what is on screen: the frame, or its redacted preview
        self._overlay = OverlayState()
        self._actions: list[QAction] | None = None

        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)  # the overlay is fixed
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)
        self.setAccessibleName("Video viewer")
        self._apply_background()

        doc.projectReset.connect(self._on_project_reset)
        doc.frameChanged.connect(self._on_frame_changed)
        doc.trackChanged.connect(lambda _id: self._refresh_masks(rerender=True))
        doc.trackListChanged.connect(lambda: self._refresh_masks(rerender=True))
        doc.selectionChanged.connect(lambda _ids: self._refresh_masks())
        doc.defaultStyleChanged.connect(lambda: self._refresh_masks(rerender=True))
        frames.frameReady.connect(self._on_frame_ready)
        frames.frameFailed.connect(self._on_frame_failed)
        if playback is not None:
            self.set_playback(playback)
        self._on_project_reset()

    # -- public -----------------------------------------------------------------------------
    def set_playback(self, playback) -> None:
        """Show the transport state (shuttle speed, dropped frames) and pause playback on edits."""
        self.playback = playback
        playback.speedChanged.connect(self._on_speed)
        playback.droppedChanged.connect(self._on_dropped)

    def tool(self) -> str:
        return self._tool

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}; one of {', '.join(TOOLS)}")
        self._cancel_gesture()
        if tool == self._tool:
            return
        self._tool = tool
        self.viewport().setCursor(Qt.CursorShape.ArrowCursor if tool == "select" else Qt.CursorShape.CrossCursor)
        self._overlay.tool = tool
        sync_viewer_actions(self._actions, self._tool, self._preview)
        self.viewport().update()
        self.toolChanged.emit(tool)

    def preview(self) -> bool:
        return self._preview

    def set_preview(self, on: bool) -> None:
        """Show the redacted frame exactly as export renders it (core.render.render_bgr)."""
        on = bool(on)
        if on == self._preview:
            return
        self._preview = on
        self._overlay.preview = on
        self._refresh_masks(rerender=True)
        sync_viewer_actions(self._actions, self._tool, self._preview)
        self.previewChanged.emit(on)

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor_view_pos: QPointF | None = None) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self._fit_mode = False
        if anchor_view_pos is None:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setTransform(QTransform.fromScale(factor, factor))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self._update_sampling()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def fit(self) -> None:
        """Show the whole frame, and keep it fitted as the window resizes."""
        self._fit_mode = True
        rect = self._scene.sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._update_sampling()

    def displayed_frame(self) -> int | None:
        """Index of the decoded frame on screen (it may trail the playhead while decoding)."""
        return self._image_index

    def status_text(self) -> str:
        """The overlay's text: timecode, frame / total, transport and preview state."""
        left, right = self._overlay.lines()
        return f"{left}   {right}".strip()

    def mask_item(self, track_id: int) -> MaskItem | None:
        return self._items.get(track_id)

    def actions(self) -> list[QAction]:
        """Tools, preview and zoom, with window-wide shortcuts."""
        if self._actions is None:
            self._actions = make_viewer_actions(self)
        return list(self._actions)

    # -- document and frames ------------------------------------------------------------------
    def _on_project_reset(self) -> None:
        self._cancel_gesture()
        project = self.doc.project
        self.frames.ensure_media(project.media.path if project else None, self.doc.media_info)
        self._image = self._image_index = self.displayed_bgr = None
        self._pixmap_item.setPixmap(QPixmap())
        if project is None:
            self._scene.setSceneRect(QRectF(0, 0, 1, 1))
            self._overlay.message = "Open a video, a picture or a project (Ctrl+O), or drop a file here"
        else:
            self._scene.setSceneRect(QRectF(0, 0, max(1, project.media.width), max(1, project.media.height)))
            self._overlay.message = ""
        self._refresh_masks()
        self.fit()
        self._on_frame_changed(self.doc.frame)

    def _on_frame_changed(self, frame: int) -> None:
        if isinstance(self._gesture, MaskDrag):
            self._cancel_gesture()  # the shape under the mouse belongs to another frame now
        self._overlay.frame = frame
        self._overlay.frame_count = self.doc.frame_count
        self._overlay.timecode = doc_timecode(self.doc, frame)
        if self.doc.project is not None:
            self.frames.request(frame)
        self._refresh_masks()

    def _on_frame_ready(self, index: int, img: np.ndarray) -> None:
        if index != self.doc.frame:
            return
        self._image, self._image_index = img, index
        if self.doc.project is not None:
            self._overlay.message = ""  # a frame arrived: an earlier decode error no longer applies
        self._show_image()

    def _on_frame_failed(self, index: int, message: str) -> None:
        if index == self.doc.frame:
            self._overlay.message = f"Frame {index} cannot be shown: {message}"
            self.viewport().update()

    def _on_speed(self, speed: int) -> None:
        self._overlay.speed = speed
        self.viewport().update()

    def _on_dropped(self, dropped: int) -> None:
        self._overlay.dropped = dropped
        self.viewport().update()

    def _show_image(self) -> None:
        img = self._image
        if img is None:
            return
        if self._preview and self.doc.project is not None:
            from ...core.render import render_bgr

            masks = [(shape, style) for _t, shape, style in masks_at(self.doc.project, self._image_index)]
            img = render_bgr(img, masks) if masks else img
        self.displayed_bgr = img
        self._pixmap_item.setPixmap(QPixmap.fromImage(bgr_to_qimage(img)))
        self.viewport().update()

    def _refresh_masks(self, rerender: bool = False) -> None:
        project = self.doc.project
        frame = self.doc.frame
        shown: dict[int, tuple] = {}
        if project is not None:
            for track in project.tracks:  # disabled tracks too: drawn dimmed and dashed
                kfs = track.keyframes
                if not kfs or not kfs[0].frame <= frame <= kfs[-1].frame:
                    continue  # cheap test first: most tracks are elsewhere in a long clip
                shape = shape_at(track, frame)
                if shape is not None:
                    shown[track.id] = (track, shape)
        for tid in [t for t in self._items if t not in shown]:
            self._scene.removeItem(self._items.pop(tid))
        selected = set(self.doc.selected_ids)
        dragging = self._gesture.item.track_id if isinstance(self._gesture, MaskDrag) else None
        for tid, (track, shape) in shown.items():
            item = self._items.get(tid)
            if item is None:
                item = self._items[tid] = MaskItem(tid, track.label, shape, track.enabled)
                self._scene.addItem(item)
            elif tid != dragging:
                item.set_mask_shape(shape)
            item.set_look(track.label, track.enabled, tid in selected, self._preview)
        if rerender and self._preview:
            self._show_image()
        elif rerender and self.displayed_bgr is not self._image:
            self._show_image()  # preview switched off: back to the plain frame
        self.viewport().update()

    # -- mouse and keys -----------------------------------------------------------------------
    def _hit(self, view_pos) -> tuple[MaskItem | None, int | None]:
        for item in self.items(view_pos.toPoint()):
            if isinstance(item, HandleItem):
                return item.mask, item.index
            if isinstance(item, MaskItem):
                return item, None
            parent = item.parentItem()
            if isinstance(parent, MaskItem):  # its label tag
                return parent, None
        return None, None

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        scene_pos = self.mapToScene(pos.toPoint())
        if event.button() == Qt.MouseButton.MiddleButton:
            self._gesture = Pan(self, pos)
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() != Qt.MouseButton.LeftButton or self.doc.project is None:
            super().mousePressEvent(event)
            return
        if self.playback is not None:
            self.playback.stop()
        if self._tool in ("rect", "ellipse"):
            self._gesture = BoxDraft(self._scene, self._tool, scene_pos)
        elif self._tool == "polygon":
            if isinstance(self._gesture, PolygonDraft):
                self._gesture.add(scene_pos)
            else:
                self._gesture = PolygonDraft(self._scene, scene_pos)
        else:
            self._press_select(event, pos, scene_pos)

    def _press_select(self, event, pos: QPointF, scene_pos: QPointF) -> None:
        item, handle = self._hit(pos)
        if item is None:
            self._gesture = ("click", pos, Pan(self, pos))
            return
        toggle = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        selected = self.doc.selected_ids
        if toggle:
            ids = [i for i in selected if i != item.track_id] if item.track_id in selected \
                else selected + [item.track_id]
            self.doc.select(ids)
            return
        if item.track_id not in selected:
            self.doc.select([item.track_id])
            item = self._items.get(item.track_id, item)
        self._gesture = MaskDrag(item, handle, scene_pos)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        scene_pos = self.mapToScene(pos.toPoint())
        g = self._gesture
        if isinstance(g, Pan) or (isinstance(g, tuple) and dragged(g[1], pos)):
            pan = g if isinstance(g, Pan) else g[2]
            self._gesture = pan
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            d = pos - pan.start
            self.horizontalScrollBar().setValue(int(pan.h0 - d.x()))
            self.verticalScrollBar().setValue(int(pan.v0 - d.y()))
        elif isinstance(g, (MaskDrag, BoxDraft, PolygonDraft)):
            g.move(scene_pos)
        elif g is None and self._tool == "select":
            self._update_hover_cursor(pos)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        pos = self.mapToScene(event.position().toPoint())
        g = self._gesture
        if isinstance(g, PolygonDraft):
            event.accept()
            return  # a polygon ends by double-click or Enter
        self._gesture = None
        if isinstance(g, MaskDrag):
            shape = g.finish(pos)
            if shape is not None:
                text = "Move mask" if g.handle is None else "Resize mask"
                self.doc.undo_stack.push(commands.set_keyframe(self.doc, g.item.track_id, self.doc.frame, shape, text))
        elif isinstance(g, BoxDraft):
            shape = g.finish(pos)
            if shape is not None:
                self._add_manual(shape)
        elif isinstance(g, tuple):
            self.doc.select([])  # a click on the picture, away from every mask
        self.viewport().setCursor(Qt.CursorShape.ArrowCursor if self._tool == "select" else Qt.CursorShape.CrossCursor)
        if g is None:
            super().mouseReleaseEvent(event)
        else:
            event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        if isinstance(self._gesture, PolygonDraft):
            self._finish_polygon()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(self._gesture, PolygonDraft):
            self._finish_polygon()
        elif key == Qt.Key.Key_Escape and self._gesture is not None:
            self._cancel_gesture()
        elif key == Qt.Key.Key_Backspace and isinstance(self._gesture, PolygonDraft):
            if not self._gesture.remove_last():
                self._cancel_gesture()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom() * ZOOM_STEP ** steps, event.position())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        paint_overlay(painter, self.viewport().rect(), self.palette(), self._overlay)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._apply_background()

    # -- helpers ------------------------------------------------------------------------------
    def _finish_polygon(self) -> None:
        draft = self._gesture
        self._gesture = None
        shape = draft.finish()
        if shape is not None:
            self._add_manual(shape)

    def _add_manual(self, shape) -> None:
        track = manual_track(self.doc, shape, self.doc.frame)
        self.doc.undo_stack.push(commands.add_track(self.doc, track, f"Draw manual {shape.kind} (track {track.id})"))
        self.doc.select([track.id])
        self.set_tool("select")

    def _cancel_gesture(self) -> None:
        g, self._gesture = self._gesture, None
        if isinstance(g, (MaskDrag, BoxDraft, PolygonDraft)):
            g.cancel()

    def _update_hover_cursor(self, pos: QPointF) -> None:
        item, handle = self._hit(pos)
        if item is None:
            cursor = Qt.CursorShape.ArrowCursor
        elif handle is not None:
            cursor = handle_cursor(item.mask_shape, handle)
        else:
            cursor = Qt.CursorShape.SizeAllCursor if item.selected else Qt.CursorShape.PointingHandCursor
        self.viewport().setCursor(cursor)

    def _update_sampling(self) -> None:
        # Zoomed in far, show crisp pixels: the operator is placing a mask edge on them.
        mode = Qt.TransformationMode.FastTransformation if self.zoom() >= 2.0 \
            else Qt.TransformationMode.SmoothTransformation
        self._pixmap_item.setTransformationMode(mode)

    def _apply_background(self) -> None:
        self.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Window).darker(160))
