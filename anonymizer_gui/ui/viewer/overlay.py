"""The viewer's heads-up text: timecode, frame counter, transport state, preview and errors.

Painted in viewport pixels over the picture, with palette colours on a translucent panel so it
reads on any frame and in both themes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette


@dataclass
class OverlayState:
    timecode: str = "00:00:00:00"
    frame: int = 0
    frame_count: int = 0
    speed: int = 0
    dropped: int = 0
    preview: bool = False
    tool: str = "select"
    message: str = ""  # a decode error, or "no video"

    def lines(self) -> tuple[str, str]:
        left = f"{self.timecode}   {self.frame} / {self.frame_count}"
        extra = []
        if self.speed:
            arrow = "\u25b6" if self.speed > 0 else "\u25c0"
            extra.append(f"{arrow} {abs(self.speed)}x")
        if self.dropped:
            extra.append(f"dropped {self.dropped}")
        if self.preview:
            extra.append("PREVIEW")
        if self.tool != "select":
            extra.append(f"draw {self.tool}" + (": click points, Enter closes" if self.tool == "polygon" else ""))
        return left, "   ".join(extra)


def paint_overlay(painter: QPainter, viewport: QRect, palette: QPalette, state: OverlayState) -> None:
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    ui_font = QFont(painter.font())
    font = QFont(painter.font())
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFamily("monospace")
    painter.setFont(font)
    fm = QFontMetrics(font)
    left, right = state.lines()
    text = left + ("   " + right if right else "")
    pad = 6
    w = fm.horizontalAdvance(text) + 2 * pad
    h = fm.height() + 2 * pad
    box = QRectF(8, viewport.height() - h - 8, w, h)
    panel = QColor(palette.color(QPalette.ColorRole.Window))
    panel.setAlpha(200)
    if state.frame_count:
        _paint_counter(painter, box, pad, fm, palette, panel, state, left, right, w)
    if state.message:
        painter.setFont(ui_font)
        fm = QFontMetrics(ui_font)
        mw = min(viewport.width() - 32, fm.horizontalAdvance(state.message) + 2 * pad + 4)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        mh = fm.boundingRect(QRect(0, 0, max(1, mw - 2 * pad), 10000), flags, state.message).height() + 2 * pad
        mbox = QRectF((viewport.width() - mw) / 2, (viewport.height() - mh) / 2, mw, mh)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(panel)
        painter.drawRoundedRect(mbox, 4, 4)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(mbox.adjusted(pad, pad, -pad, -pad), flags, state.message)
    painter.restore()


def _paint_counter(painter, box, pad, fm, palette, panel, state, left, right, w) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(panel)
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(palette.color(QPalette.ColorRole.WindowText))
    painter.drawText(box.adjusted(pad, pad, -pad, -pad), Qt.AlignmentFlag.AlignVCenter, left)
    if right:
        accent = palette.color(QPalette.ColorRole.Highlight) if not state.dropped else QColor(230, 80, 60)
        painter.setPen(accent)
        x = box.left() + pad + fm.horizontalAdvance(left + "   ")
        painter.drawText(QRectF(x, box.top() + pad, w, fm.height()), Qt.AlignmentFlag.AlignVCenter, right)
