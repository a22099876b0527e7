"""Real documents on generated clips for the view tests: a clip, its probe, a project with tracks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from anonymizer_gui.core.media import probe
from anonymizer_gui.core.project.model import Keyframe, MediaRef, Project, Shape, Track
from anonymizer_gui.ui.document.document import ProjectDocument
from anonymizer_gui.ui.media.frames import FrameSource
from tests.clips import ClipTruth, make_clip


@dataclass
class Editor:
    clip: ClipTruth
    doc: ProjectDocument
    frames: FrameSource


def sample_tracks(clip: ClipTruth) -> list[Track]:
    """Track 1 follows the clip's first box (auto, good scores, keyframes every 5 frames);
    track 2 the second box (auto, weak scores on a short stretch: needs review);
    track 3 is a manual, disabled rectangle held over the whole clip."""
    n = clip.frames
    key1 = sorted(set(range(0, n, 5)) | {n - 1})
    t1 = Track(1, "face", "auto", keyframes=[Keyframe(f, Shape.rect(*clip.boxes[f][0])) for f in key1],
               scores={f: 0.9 for f in range(n) if f % 7})  # every 7th frame bridged
    key2 = [4, 6, 8]
    t2 = Track(2, "plate", "auto", keyframes=[Keyframe(f, Shape.rect(*clip.boxes[f][1])) for f in key2],
               scores={f: 0.3 for f in range(4, 9)})
    t3 = Track(3, "manual", "manual", review="rejected", reason_code="false_detection",
               keyframes=[Keyframe(0, Shape.rect(200, 20, 260, 60)), Keyframe(n - 1, Shape.rect(200, 20, 260, 60))])
    return [t1, t2, t3]


def project_for(clip: ClipTruth, info, tracks: list[Track]) -> Project:
    media = MediaRef(path=str(clip.path), width=info.width, height=info.height,
                     frame_count=info.frame_count, fps=info.fps)
    return Project(media, tracks)


def open_editor(path: Path, qtbot, tracks=None, **clip_kwargs) -> Editor:
    clip = make_clip(path, **clip_kwargs)
    info = probe(clip.path)
    doc = ProjectDocument()
    frames = FrameSource()
    doc.set_project(project_for(clip, info, sample_tracks(clip) if tracks is None else tracks(clip)), info)
    frames.set_media(str(clip.path), info)
    return Editor(clip, doc, frames)


def close_editor(editor: Editor) -> None:
    editor.frames.close()


def wait_frame(qtbot, frames: FrameSource, index: int, timeout: int = 5000) -> None:
    """Wait until frame `index` is decoded (requested by a view)."""
    qtbot.waitUntil(lambda: frames.frame(index) is not None and not frames.is_pending(), timeout=timeout)


# -- mouse helpers: QTest with explicit button state, as a user's drag produces -------------------
def drag(widget, start: QPoint, end: QPoint, button=Qt.MouseButton.LeftButton, steps: int = 5,
         modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.mousePress(widget, button, modifiers, start)
    for i in range(1, steps + 1):
        p = QPoint(start.x() + (end.x() - start.x()) * i // steps, start.y() + (end.y() - start.y()) * i // steps)
        _move(widget, p, button, modifiers)
    QTest.mouseRelease(widget, button, modifiers, end)


def _move(widget, pos: QPoint, button, modifiers) -> None:
    # QTest.mouseMove sends no button state; a real QMouseEvent with the button held does.
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    event = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(pos), QPointF(widget.mapToGlobal(pos)),
                        Qt.MouseButton.NoButton, button, modifiers)
    QApplication.sendEvent(widget, event)


def show_widget(qtbot, widget, width: int, height: int):
    """Register, size and show a widget, and wait until it is on screen."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
