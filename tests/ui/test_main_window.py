"""The main window: layout, title, opening videos and stills, menus and shortcuts, theme and layout
persistence, analysis on open and follow through the job bar."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QApplication, QCheckBox, QDialog, QDockWidget, QStyle, QStyleOptionButton,
                               QTableWidget)

from anonymizer_gui.core.project.model import Keyframe, Shape, Track
from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.app import settings as S
from anonymizer_gui.ui.app.application import apply_theme
from tests.ui.shell_support import (TextureDetector, close_window, make_window, open_and_wait, shell_env,  # noqa: F401
                                    wait_jobs_done, window)

MENUS = ["&File", "&Edit", "&Review", "&Tools", "&Analysis", "&Playback", "&View", "&Help"]


def test_opening_a_video_shows_title_first_frame_timeline_and_docks(qtbot, window, tmp_clip):
    assert window.windowTitle() == "Anonymizer" and window.empty_hint.isVisible()
    assert not window.menus.save.isEnabled() and not window.menus.export.isEnabled()
    open_and_wait(qtbot, window, tmp_clip.path)
    assert window.windowTitle() == "clip.mp4[*] — Anonymizer"
    qtbot.waitUntil(lambda: window.viewer.displayed_frame() == 0, timeout=5000)
    assert window.centralWidget() is window.viewer
    areas = {d.objectName(): window.dockWidgetArea(d) for d in window.findChildren(QDockWidget)}
    assert areas == {"timelineDock": Qt.DockWidgetArea.BottomDockWidgetArea,
                     "tracksDock": Qt.DockWidgetArea.RightDockWidgetArea,
                     "inspectorDock": Qt.DockWidgetArea.RightDockWidgetArea,
                     "historyDock": Qt.DockWidgetArea.RightDockWidgetArea,
                     "peopleDock": Qt.DockWidgetArea.RightDockWidgetArea}
    assert window.timeline.isVisible() and window.tracks_panel.isVisible() and window.inspector.isVisible()
    assert not window.empty_hint.isVisible()
    assert window.menus.save.isEnabled() and window.menus.export.isEnabled() and window.menus.analyse.isEnabled()
    assert window.doc.media_info.frame_count == 30 and len(window.doc.project.media.sha256) == 64


def test_a_still_opens_as_a_one_frame_project(qtbot, window, still_factory):
    still = still_factory("photo.jpg")
    open_and_wait(qtbot, window, still.path)
    assert window.doc.frame_count == 1 and window.windowTitle().startswith("photo.jpg")
    qtbot.waitUntil(lambda: window.viewer.displayed_frame() == 0, timeout=5000)


def test_menus_hold_the_commands_and_no_shortcut_is_ambiguous(window):
    assert [a.text() for a in window.menuBar().actions()] == MENUS
    texts = [a.text().replace("&", "") for a in window.menus.all_actions()]
    for wanted in ("Open…", "Save", "Save As…", "Export…", "Close", "Quit", "Delete Track(s)", "Delete Keyframe",
                   "Split at Playhead", "Merge Selected", "Hide from Here (Outside)", "Select All Tracks",
                   "Follow Selected", "Analyse Faces and Plates", "Cancel Analysis", "Play / Pause",
                   "Keyboard Shortcuts", "About", "Dark", "Light"):
        assert wanted in texts, wanted
    assert any(t.startswith("Undo") for t in texts) and any(t.startswith("Redo") for t in texts)
    shortcuts = Counter(seq.toString() for a in window.findChildren(QAction) if a.isVisible()
                        for seq in a.shortcuts() if not seq.isEmpty())
    assert [k for k, n in shortcuts.items() if n > 1] == []


def test_keyboard_shortcuts_dialog_lists_the_edit_keys(qtbot, window):
    window.menus.shortcuts.trigger()
    dialog = window.findChild(QDialog, "shortcutsDialog")
    qtbot.waitExposed(dialog)
    table = dialog.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Split at Playhead"] == "Ctrl+K" and rows["Play / Pause"] == "Space"
    dialog.close()


def test_layout_and_theme_persist_to_the_next_start(qtbot, shell_env):
    first = make_window(qtbot)
    history = first.findChild(QDockWidget, "historyDock")
    history.close()
    first.menus.themes["light"].trigger()
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() > 180
    close_window(first, shell_env)
    assert S.app_settings().value(S.THEME) == "light"

    second = make_window(qtbot)
    assert not second.findChild(QDockWidget, "historyDock").isVisible()
    assert second.findChild(QDockWidget, "tracksDock").isVisible()
    assert second.menus.themes["light"].isChecked()
    second.menus.themes["dark"].trigger()
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() < 80
    close_window(second, shell_env)
    apply_theme(QApplication.instance(), "dark")


def test_opening_a_video_starts_the_analysis_when_the_setting_says_so(qtbot, shell_env, tmp_clip):
    S.app_settings().setValue(S.ANALYSE_ON_OPEN, True)
    win = make_window(qtbot)
    assert win.menus.analyse_on_open.isChecked()
    win.analysis.classes = ("face",)
    win.analysis.detectors = {"face": TextureDetector()}
    open_and_wait(qtbot, win, tmp_clip.path)
    assert win.analysis.is_running()
    wait_jobs_done(qtbot, win)
    assert len(win.doc.project.tracks) >= 2 and win.doc.undo_stack.text(0) == "Analyse"
    win.menus.analyse_on_open.trigger()
    assert S.read_bool(S.app_settings(), S.ANALYSE_ON_OPEN, True) is False
    close_window(win, shell_env)


def test_reanalysis_offers_to_replace_the_automatic_tracks(qtbot, shell_env, window, tmp_clip):
    open_and_wait(qtbot, window, tmp_clip.path)
    window.analysis.classes = ("face",)
    window.analysis.detectors = {"face": TextureDetector()}
    manual = Track(50, "badge", "manual", keyframes=[Keyframe(0, Shape.rect(5, 5, 20, 20))])
    window.doc.undo_stack.push(commands.add_track(window.doc, manual))
    window.menus.analyse.trigger()
    wait_jobs_done(qtbot, window)
    first_ids = sorted(t.id for t in window.doc.project.tracks if t.source == "auto")
    assert first_ids and all(i > 50 for i in first_ids)  # no clash with the manual track's id
    shell_env.push("Replace")
    window.menus.analyse.trigger()
    wait_jobs_done(qtbot, window)
    autos = [t for t in window.doc.project.tracks if t.source == "auto"]
    assert len(autos) == len(first_ids) and not set(first_ids) & {t.id for t in autos}
    assert window.doc.has_track(50)
    window.edit.undo.trigger()  # the whole re-analysis, replacement included, is one step
    assert sorted(t.id for t in window.doc.project.tracks if t.source == "auto") == first_ids


def test_follow_selected_runs_in_the_job_bar_and_adds_keyframes(qtbot, window, tmp_clip):
    open_and_wait(qtbot, window, tmp_clip.path)
    box = tmp_clip.boxes[0][0]
    track = Track(1, "badge", "manual", keyframes=[Keyframe(0, Shape.rect(*box))])
    window.doc.undo_stack.push(commands.add_track(window.doc, track))
    window.doc.select([1])
    assert window.menus.follow.isEnabled()
    worker = window.follow_selected()
    assert worker is not None and window.job_bar.row(worker) is not None
    wait_jobs_done(qtbot, window)
    followed = window.doc.track(1)
    assert len(followed.keyframes) > 1 and followed.last_frame > 0
    assert window.doc.undo_stack.text(window.doc.undo_stack.count() - 1).startswith("Follow track 1")


def test_project_actions_are_greyed_out_until_a_project_is_open(qtbot, window, tmp_clip):
    menus = window.menus
    needs_project = [menus.preview, *menus.tool_actions, *menus.zoom_actions, *window.playback.actions()]
    assert not any(a.isEnabled() for a in needs_project)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    QTest.keyClick(window, Qt.Key.Key_B)  # the preview's shortcut does nothing either
    assert not window.viewer.preview()
    open_and_wait(qtbot, window, tmp_clip.path)
    assert all(a.isEnabled() for a in needs_project)
    window.close_document()
    assert not menus.preview.isEnabled() and not menus.save.isEnabled()


def test_an_unchecked_box_shows_its_frame_in_the_dark_theme(qtbot):
    apply_theme(QApplication.instance(), "dark")
    box = QCheckBox("Needs review")
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    scale = image.width() / box.width()

    def lightness(x: int, y: int) -> int:
        return image.pixelColor(int(x * scale), int(y * scale)).lightness()

    inside = lightness(rect.center().x(), rect.center().y())
    frame = max(lightness(x, rect.top()) for x in range(rect.left() + 2, rect.right() - 1))
    assert frame - inside >= 40, (frame, inside)
