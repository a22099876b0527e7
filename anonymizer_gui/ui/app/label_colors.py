"""One colour per label, shared by the viewer, the timeline and the tracks panel.

Saturated mid-light hues read on a dark and on a light palette alike; labels outside the known
set get a stable hue from their name, so "badge" is the same colour in every view and session.
"""

from __future__ import annotations

import zlib

from PySide6.QtGui import QColor

KNOWN_LABELS = ("face", "plate", "manual")
_KNOWN = {
    "face": QColor(255, 165, 40),  # amber
    "plate": QColor(60, 190, 255),  # sky blue
    "manual": QColor(220, 90, 255),  # violet
}


def label_color(label: str) -> QColor:
    known = _KNOWN.get(label.lower())
    if known is not None:
        return QColor(known)
    hue = zlib.crc32(label.lower().encode("utf-8")) % 360
    return QColor.fromHsv(hue, 170, 235)
