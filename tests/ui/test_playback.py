"""Playback and navigation keys on a window that holds the transport actions, as the shell does."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow

from anonymizer_gui.ui.media.playback import Playback
from anonymizer_gui.ui.viewer.viewer import VideoViewer
from tests.ui.views_support import open_editor


@pytest.fixture
def editor(tmp_path, qtbot):
    ed = open_editor(tmp_path / "clip.mp4", qtbot, width=320, height=240, frames=40)
    yield ed
    ed.frames.close()


@pytest.fixture
def window(editor, qtbot):
    win = QMainWindow()
    viewer = VideoViewer(editor.doc, editor.frames)
    win.setCentralWidget(viewer)
    win.playback = Playback(editor.doc, editor.frames, win)
    viewer.set_playback(win.playback)
    win.viewer = viewer
    win.addActions(win.playback.actions())
    qtbot.addWidget(win)
    win.resize(500, 400)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    viewer.setFocus()
    return win


def key(win, k, mod=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(win.viewer, k, mod)


def test_arrow_home_end_keys_move_the_playhead(window, editor):
    doc = editor.doc
    key(window, Qt.Key.Key_Right)
    key(window, Qt.Key.Key_Right)
    assert doc.frame == 2
    key(window, Qt.Key.Key_Left)
    assert doc.frame == 1
    key(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # one second at 25 fps
    assert doc.frame == 26
    key(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert doc.frame == 1
    key(window, Qt.Key.Key_End)
    assert doc.frame == 39
    key(window, Qt.Key.Key_Right)
    assert doc.frame == 39  # clamped
    key(window, Qt.Key.Key_Home)
    assert doc.frame == 0


def test_jkl_shuttle_doubles_up_to_8x_and_k_stops(window, editor, qtbot):
    pb = window.playback
    key(window, Qt.Key.Key_L)
    assert pb.speed == 1
    qtbot.waitUntil(lambda: editor.doc.frame >= 3, timeout=3000)  # it plays forward
    for expected in (2, 4, 8, 8):
        key(window, Qt.Key.Key_L)
        assert pb.speed == expected
    key(window, Qt.Key.Key_K)
    assert pb.speed == 0
    stopped_at = editor.doc.frame
    qtbot.wait(120)
    assert editor.doc.frame == stopped_at
    key(window, Qt.Key.Key_End)
    key(window, Qt.Key.Key_J)
    assert pb.speed == -1
    qtbot.waitUntil(lambda: editor.doc.frame <= 36, timeout=3000)  # it plays backwards
    key(window, Qt.Key.Key_J)
    assert pb.speed == -2
    key(window, Qt.Key.Key_L)  # L while reversing: forward at normal speed
    assert pb.speed == 1
    key(window, Qt.Key.Key_K)


def test_space_plays_at_the_clip_rate_to_the_end_and_stops(window, editor, qtbot):
    doc = editor.doc
    doc.set_frame(30)
    key(window, Qt.Key.Key_Space)
    assert window.playback.is_playing()
    assert "\u25b6 1x" in window.viewer.status_text()
    import time

    t0 = time.perf_counter()
    qtbot.waitUntil(lambda: not window.playback.is_playing(), timeout=4000)
    elapsed = time.perf_counter() - t0
    assert doc.frame == 39
    assert elapsed == pytest.approx(9 / 25, abs=0.25)  # 9 frames at 25 fps, not as fast as possible
    # at the end, Space starts again from the beginning
    key(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: doc.frame > 0, timeout=3000)
    assert doc.frame < 30
    key(window, Qt.Key.Key_Space)
    assert not window.playback.is_playing()


def test_keyframe_jumps_use_the_selected_track_else_all(window, editor):
    doc = editor.doc
    doc.set_frame(5)
    key(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert doc.frame == 6  # track 2 has keyframes at 4, 6, 8
    doc.select([1])
    key(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert doc.frame == 10  # track 1: every 5 frames
    key(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert doc.frame == 5
