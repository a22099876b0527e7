"""The viewer's actions: drawing tools, the redacted preview and zoom, with window-wide shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from .draw_tools import TOOLS

TOOL_ACTIONS = (("select", "Select / Edit Masks", "Q"), ("rect", "Draw Rectangle", "R"),
                ("ellipse", "Draw Ellipse", "E"), ("polygon", "Draw Polygon", "P"))


def make_viewer_actions(viewer) -> list[QAction]:
    actions = []
    group = QActionGroup(viewer)
    for tool, text, key in TOOL_ACTIONS:
        a = QAction(text, viewer, checkable=True)
        a.setData(tool)
        a.setShortcut(QKeySequence(key))
        a.setChecked(tool == viewer.tool())
        a.triggered.connect(lambda _c=False, t=tool: viewer.set_tool(t))
        group.addAction(a)
        actions.append(a)
    preview = QAction("Redacted Preview", viewer, checkable=True)
    preview.setData("preview")
    preview.setShortcut(QKeySequence("B"))
    preview.setChecked(viewer.preview())
    preview.setToolTip("Show the frame exactly as the export will redact it (B)")
    preview.toggled.connect(viewer.set_preview)
    actions.append(preview)
    for text, keys, slot in (("Zoom In", ["Ctrl+=", "Ctrl++"], viewer.zoom_in),
                             ("Zoom Out", ["Ctrl+-"], viewer.zoom_out),
                             ("Fit to Window", ["Ctrl+0"], viewer.fit),
                             # one frame pixel per device pixel, also on HiDPI screens
                             ("Actual Pixels", ["Ctrl+1"], lambda: viewer.set_zoom(1.0 / viewer.devicePixelRatioF()))):
        a = QAction(text, viewer)
        a.setShortcuts([QKeySequence(k) for k in keys])
        a.triggered.connect(lambda _c=False, s=slot: s())
        actions.append(a)
    for a in actions:
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if a.shortcut().toString() and not a.toolTip().endswith(")"):
            a.setToolTip(f"{a.text()} ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
    return actions


def sync_viewer_actions(actions: list[QAction] | None, tool: str, preview: bool) -> None:
    """Check the current tool and the preview switch without re-triggering them."""
    for a in actions or []:
        if a.data() == "preview":
            a.blockSignals(True)
            a.setChecked(preview)
            a.blockSignals(False)
        elif a.data() in TOOLS:
            a.setChecked(a.data() == tool)
