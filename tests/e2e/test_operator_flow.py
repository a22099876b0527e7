"""Issue 5, acceptance 2: the operator's whole job, by mouse and keyboard only, in the real window.

Open a clip (Ctrl+O), analyse it (Ctrl+R), find the object the detector missed and draw a rectangle
over it (R, drag), let the mask follow it (F), switch one person off (a click on the tracks panel,
D), undo and redo every step (Ctrl+Z, Ctrl+Shift+Z), save (Ctrl+S), reopen the project in a fresh
window (Ctrl+O), export through the dialog (Ctrl+E, a click on Export) and compare the output's
pixels with the redacted preview (B) that the operator saw.

The clip holds three moving textured boxes: two "people" that the detector finds and a "badge"
that it is made to miss. Only the file dialogs are answered by the test (the way the other UI
tests do), and the detector is injected: everything else goes through key presses and clicks.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from anonymizer_gui.core.project.interpolate import masks_at, shape_at
from anonymizer_gui.core.media import FrameReader
from anonymizer_gui.core.project.model import Project
from anonymizer_gui.core.render.masks import render_bgr
from anonymizer_gui.ui.shell import prompts
from anonymizer_gui.ui.shell.export_dialog import ExportDialog
from tests.clips import MovingBox, detail, make_clip, read_frame_number
from tests.ui.shell_support import TextureDetector, close_window, frames_of, make_window, shell_env  # noqa: F401
from tests.ui.test_export_dialog import done_dialog
from tests.ui.views_support import drag
from anonymizer_gui.core.project import load_project, project_to_dict

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
FRAMES = 30
PERSON_A, PERSON_B, BADGE = 0, 1, 2  # indices of the clip's boxes
# Two people and a badge that never come close to each other (a mask's margin and blur stay apart).
BOXES = (MovingBox(16, 30, 48, 48, vx=2, vy=1, texture="checker", cell=4, seed=1),
         MovingBox(30, 160, 52, 60, vx=1, vy=-1, texture="noise", seed=2),
         MovingBox(200, 60, 40, 36, vx=2, vy=2, texture="noise", seed=7))
FOLLOW_TOLERANCE_PX = 3.0
CODEC_NOISE = 1.5  # mean absolute difference (0..255) of an H.264 frame at CRF 18 from its source (measured: ~0.4)
BOX_NOISE = 8.0  # the same inside a textured box, whose fine detail costs the encoder more (measured: < 4)


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class BlindSpotDetector(TextureDetector):
    """The texture detector, made to miss one object: it drops every detection on the badge.

    It reads the frame index stamped into each image, so it misses the badge wherever it moves,
    the way a face detector misses a badge it was never trained for."""

    def __init__(self, clip, missed: int):
        super().__init__()
        self.clip, self.missed = clip, missed

    def detect(self, frames):
        out = []
        for img, dets in zip(frames, super().detect(frames)):
            badge = self.clip.boxes[read_frame_number(img)][self.missed]
            out.append(dets.select([i for i, box in enumerate(dets.boxes) if not overlaps(box, badge)]))
        return out


def press(qtbot, win, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press as the operator makes it: to the focused widget of the active window."""
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=2000)
    QTest.keyClick(QApplication.focusWidget() or win, key, modifier)


def tracks(win) -> list:
    return copy.deepcopy(win.doc.project.tracks)


def track_on(win, clip, box_index: int, frame: int = 0):
    """The track whose mask covers the clip's box `box_index` at `frame`."""
    truth = clip.boxes[frame][box_index]
    found = [t for t in win.doc.project.tracks if (s := shape_at(t, frame)) is not None and overlaps(s.bbox(), truth)]
    assert len(found) == 1, f"{len(found)} tracks on box {box_index} at frame {frame}"
    return found[0]


def show_frame(qtbot, win, frame: int) -> None:
    qtbot.waitUntil(lambda: win.doc.frame == frame and win.viewer.displayed_frame() == frame, timeout=5000)


def open_by_keys(qtbot, win, path, monkeypatch) -> None:
    monkeypatch.setattr(prompts, "choose_open_file", lambda *a, **k: str(path))
    with qtbot.waitSignal(win.opened, timeout=15000):
        press(qtbot, win, Qt.Key.Key_O, CTRL)
    show_frame(qtbot, win, 0)


def view_point(win, x: float, y: float) -> QPoint:
    return win.viewer.mapFromScene(QPointF(x, y))


@pytest.fixture
def clip(tmp_path):
    return make_clip(tmp_path / "street.mp4", width=320, height=240, frames=FRAMES, boxes=BOXES)


def test_operator_analyses_fixes_a_miss_switches_a_person_off_and_exports_what_the_preview_shows(
        qtbot, shell_env, clip, tmp_path, monkeypatch):
    win = make_window(qtbot)
    second = None
    try:
        # -- open and analyse -----------------------------------------------------------------
        open_by_keys(qtbot, win, clip.path, monkeypatch)
        assert win.windowTitle().startswith("street.mp4")
        win.analysis.classes = ("face",)
        win.analysis.detectors = {"face": BlindSpotDetector(clip, BADGE)}
        press(qtbot, win, Qt.Key.Key_R, CTRL)
        assert win.analysis.is_running()
        qtbot.waitUntil(lambda: not win.analysis.is_running() and not win.job_bar.jobs(), timeout=15000)
        analysed = tracks(win)
        assert len(analysed) == 2 and all(t.source == "auto" for t in analysed)
        person_a, person_b = track_on(win, clip, PERSON_A).id, track_on(win, clip, PERSON_B).id
        for f in range(FRAMES):  # the badge is missed everywhere: nothing masks it
            assert not any(overlaps(s.bbox(), clip.boxes[f][BADGE]) for _t, s, _st in masks_at(win.doc.project, f))

        # -- draw a rectangle over the missed badge at its first frame ------------------------
        assert win.doc.frame == 0
        press(qtbot, win, Qt.Key.Key_R)  # the rectangle tool
        assert win.viewer.tool() == "rect"
        x1, y1, x2, y2 = clip.boxes[0][BADGE]
        drag(win.viewer.viewport(), view_point(win, x1, y1), view_point(win, x2, y2))
        drawn = tracks(win)
        assert len(drawn) == 3
        badge = drawn[-1]
        assert badge.source == "manual" and win.doc.selected_ids == [badge.id]
        assert [k.frame for k in badge.keyframes] == [0, FRAMES - 1]  # held to the end until moved
        err = max(abs(a - b) for a, b in zip(badge.keyframes[0].shape.bbox(), clip.boxes[0][BADGE]))
        assert err <= 1.0, err
        assert win.viewer.tool() == "select" and win.viewer.mask_item(badge.id).selected

        # -- follow it ------------------------------------------------------------------------
        win.viewer.setFocus()
        depth = win.doc.undo_stack.count()
        press(qtbot, win, Qt.Key.Key_F)
        qtbot.waitUntil(lambda: win.doc.undo_stack.count() == depth + 1 and not win.job_bar.jobs(), timeout=15000)
        followed = tracks(win)
        followed_badge = win.doc.track(badge.id)
        # straight motion: the keyframe reduction may keep only the two ends, but the end moved along
        assert followed_badge.keyframes[-1].shape != badge.keyframes[-1].shape
        for f in range(FRAMES):
            err = max(abs(a - b) for a, b in zip(shape_at(followed_badge, f).bbox(), clip.boxes[f][BADGE]))
            assert err <= FOLLOW_TOLERANCE_PX, (f, err)

        # -- switch person A off: pick the row in the tracks panel, press D --------------------
        panel = win.tracks_panel
        QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         panel.row_rect(person_a).center())
        assert win.doc.selected_ids == [person_a]
        press(qtbot, win, Qt.Key.Key_D)
        switched = tracks(win)
        assert not win.doc.track(person_a).enabled and win.doc.track(person_b).enabled
        assert [t.id for t, _s, _st in masks_at(win.doc.project, 0)] == [person_b, badge.id]
        on_index = panel.proxy.index(panel.visible_track_ids().index(person_a), 0)
        assert on_index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked

        # -- undo every step, then redo every step, by keys ------------------------------------
        states = [[], analysed, drawn, followed, switched]
        assert win.doc.undo_stack.count() == 4
        for state in reversed(states[:-1]):
            press(qtbot, win, Qt.Key.Key_Z, CTRL)
            assert win.doc.project.tracks == state
        assert not win.doc.project.tracks and win.viewer.mask_item(badge.id) is None
        for state in states[1:]:
            press(qtbot, win, Qt.Key.Key_Z, CTRL | SHIFT)
            assert win.doc.project.tracks == state
        assert win.viewer.mask_item(badge.id) is not None and not win.viewer.mask_item(person_a).enabled

        # -- save, close, reopen in a fresh window ---------------------------------------------
        saved = tmp_path / "street.anon.json"
        monkeypatch.setattr(prompts, "choose_save_file", lambda *a, **k: str(saved))
        assert win.isWindowModified()
        press(qtbot, win, Qt.Key.Key_S, CTRL)
        assert saved.is_file() and not win.isWindowModified()
        in_file = project_to_dict(win.doc.project)["tracks"]  # the file keeps 1/1000 pixel
        assert project_to_dict(load_project(saved))["tracks"] == in_file
        assert [t.enabled for t in load_project(saved).tracks] == [t.enabled for t in switched]
        assert win.close()  # saved: no question
        close_window(win, shell_env)
        win = None

        second = make_window(qtbot)
        open_by_keys(qtbot, second, saved, monkeypatch)
        assert second.doc.path == saved and project_to_dict(second.doc.project)["tracks"] == in_file
        assert not second.doc.track(person_a).enabled

        # -- the redacted preview, on several frames ------------------------------------------
        second.viewer.setFocus()
        press(qtbot, second, Qt.Key.Key_B)
        assert second.viewer.preview()
        previews = {}
        for key, target in ((None, 0), (Qt.Key.Key_Right, 1), (Qt.Key.Key_Right, 2), (Qt.Key.Key_End, FRAMES - 1)):
            if key is not None:
                press(qtbot, second, key)
            show_frame(qtbot, second, target)
            previews[target] = second.viewer.displayed_bgr.copy()
        press(qtbot, second, Qt.Key.Key_Left, SHIFT)  # one second (25 frames) back
        show_frame(qtbot, second, FRAMES - 1 - 25)
        previews[FRAMES - 1 - 25] = second.viewer.displayed_bgr.copy()

        # -- export through the dialog --------------------------------------------------------
        press(qtbot, second, Qt.Key.Key_E, CTRL)
        dialog = second.findChild(ExportDialog, "exportDialog")
        qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=5000)
        output = dialog.output_path()
        assert output == tmp_path / "street.redacted.mp4"
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: done_dialog() is not None, timeout=30000)
        done_dialog().close()

        # -- the output is what the preview showed ---------------------------------------------
        source, redacted = frames_of(clip.path), frames_of(output)
        assert len(redacted) == FRAMES
        project = second.doc.project
        for f, preview in previews.items():
            assert detail(preview, clip.boxes[f][BADGE]) < 0.35 * detail(source[f], clip.boxes[f][BADGE])
            diff = np.abs(preview.astype(np.int16) - redacted[f].astype(np.int16))
            assert diff.mean() < CODEC_NOISE, (f, diff.mean())
        with FrameReader(clip.path) as reader:
            for f in range(FRAMES):
                expected = render_bgr(reader.read(f), [(s, st) for _t, s, st in masks_at(project, f)])
                diff = np.abs(expected.astype(np.int16) - redacted[f].astype(np.int16))
                assert diff.mean() < CODEC_NOISE, (f, diff.mean())
                for box in clip.boxes[f]:
                    x1, y1, x2, y2 = (int(v) for v in box)
                    assert diff[y1:y2, x1:x2].mean() < BOX_NOISE, (f, box)
                src, out, boxes = source[f], redacted[f], clip.boxes[f]
                # person A was switched off: untouched; person B and the badge: masked in every frame
                assert detail(out, boxes[PERSON_A]) > 0.8 * detail(src, boxes[PERSON_A]), f
                assert detail(out, boxes[PERSON_B]) < 0.35 * detail(src, boxes[PERSON_B]), f
                assert detail(out, boxes[BADGE]) < 0.35 * detail(src, boxes[BADGE]), f
    finally:
        for w in (win, second):
            if w is not None:
                close_window(w, shell_env)
