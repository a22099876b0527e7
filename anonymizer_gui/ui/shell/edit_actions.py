"""The Edit menu: undo/redo and the track edits on the selection at the playhead, each one undo step.

Actions enable themselves from the document's state (selection, playhead, keyframes), so a menu
entry that cannot do anything is greyed out instead of failing.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from ...core.project import shape_at
from ..document import commands
from ..document.document import ProjectDocument


class EditActions(QObject):
    def __init__(self, doc: ProjectDocument, window: QWidget):
        super().__init__(window)
        self.doc = doc
        self.window = window
        self.visible_ids = None  # () -> ids the tracks panel shows (its filter); None: every track
        stack = doc.undo_stack
        self.undo = stack.createUndoAction(self, "&Undo")
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo.setObjectName("edit_undo")
        self.redo = stack.createRedoAction(self, "&Redo")
        self.redo.setShortcuts([QKeySequence.StandardKey.Redo, QKeySequence("Ctrl+Shift+Z")])
        self.redo.setObjectName("edit_redo")

        self.delete_tracks = self._action("Delete Track(s)", "Delete", self.do_delete_tracks, "edit_delete_tracks",
                                          "Delete the selected tracks")
        self.delete_keyframe = self._action("Delete Keyframe", "Shift+Delete", self.do_delete_keyframe,
                                            "edit_delete_keyframe",
                                            "Delete the selected track's keyframe at the playhead")
        self.split = self._action("Split at Playhead", "Ctrl+K", self.do_split, "edit_split",
                                  "Cut the selected track in two at the playhead")
        self.merge = self._action("Merge Selected", "Ctrl+M", self.do_merge, "edit_merge",
                                  "Join the selected tracks into the first one; the gap between them is masked")
        self.toggle_enabled = self._action("Enable/Disable Selected", "D", self.do_toggle_enabled,
                                           "edit_toggle_enabled",
                                           "Switch the selected tracks off (e.g. to keep a requester visible) or on")
        self.hide_from_here = self._action("Hide from Here (Outside)", "H", self.do_hide_from_here,
                                           "edit_hide_from_here",
                                           "Stop masking the selected track from the playhead until its next keyframe")
        self.select_all = self._action("Select All Tracks", "Ctrl+A", self.do_select_all, "edit_select_all",
                                       "Select every track")
        self.track_actions = [self.delete_tracks, self.delete_keyframe, self.split, self.merge,
                              self.toggle_enabled, self.hide_from_here, self.select_all]
        for signal in (doc.selectionChanged, doc.frameChanged, doc.trackChanged, doc.projectReset):
            signal.connect(self.update_enabled)
        doc.trackListChanged.connect(self.update_enabled)
        self.update_enabled()

    def _action(self, text: str, shortcut: str, slot, name: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setObjectName(name)
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({shortcut})")
        action.triggered.connect(lambda _checked=False: slot())
        return action

    # -- state --------------------------------------------------------------------------------
    def _selected(self) -> list[int]:
        return [i for i in self.doc.selected_ids if self.doc.has_track(i)]

    def _current(self) -> int | None:
        ids = self._selected()
        return ids[0] if ids else None

    def update_enabled(self, *_args) -> None:
        ids = self._selected()
        frame = self.doc.frame
        has_project = self.doc.project is not None
        one = self.doc.track(ids[0]) if ids else None
        self.delete_tracks.setEnabled(bool(ids))
        self.delete_keyframe.setEnabled(one is not None and one.keyframe_index(frame) is not None)
        self.split.setEnabled(one is not None and one.first_frame < frame <= one.last_frame)
        self.merge.setEnabled(len(ids) >= 2)
        self.toggle_enabled.setEnabled(bool(ids))
        if ids:
            all_on = all(self.doc.track(i).enabled for i in ids)
            self.toggle_enabled.setText("Disable Selected" if all_on else "Enable Selected")
        else:
            self.toggle_enabled.setText("Enable/Disable Selected")
        self.hide_from_here.setEnabled(one is not None and shape_at(one, frame) is not None)
        self.select_all.setEnabled(has_project and bool(self.doc.project.tracks))

    # -- edits --------------------------------------------------------------------------------
    def _push(self, command) -> None:
        self.doc.undo_stack.push(command)

    def do_delete_tracks(self) -> None:
        ids = self._selected()
        if ids:
            self._push(commands.delete_tracks(self.doc, ids))

    def do_delete_keyframe(self) -> None:
        tid = self._current()
        if tid is not None and self.doc.track(tid).keyframe_index(self.doc.frame) is not None:
            self._push(commands.delete_keyframe(self.doc, tid, self.doc.frame))

    def do_split(self) -> None:
        tid = self._current()
        if tid is None:
            return
        track = self.doc.track(tid)
        if track.first_frame < self.doc.frame <= track.last_frame:
            self._push(commands.split_track(self.doc, tid, self.doc.frame))

    def do_merge(self) -> None:
        ids = self._selected()
        if len(ids) < 2:
            return
        keep = ids[0]
        if len(ids) == 2:
            self._push(commands.merge_tracks(self.doc, keep, ids[1]))
            return
        self.doc.undo_stack.beginMacro(f"Merge {len(ids)} tracks into track {keep}")
        try:
            for other in ids[1:]:
                self._push(commands.merge_tracks(self.doc, keep, other))
        finally:
            self.doc.undo_stack.endMacro()
        self.doc.select([keep])

    def do_toggle_enabled(self) -> None:
        ids = self._selected()
        if ids:
            all_on = all(self.doc.track(i).enabled for i in ids)
            self._push(commands.set_enabled(self.doc, ids, not all_on))

    def do_hide_from_here(self) -> None:
        tid = self._current()
        if tid is not None and shape_at(self.doc.track(tid), self.doc.frame) is not None:
            self._push(commands.hide_from(self.doc, tid, self.doc.frame))

    def do_select_all(self) -> None:
        """Every track the tracks panel shows: with a filter on, the hidden ones stay unselected, so
        a following D (switch off) never touches tracks the operator cannot see."""
        if self.doc.project is None:
            return
        shown = self.visible_ids() if self.visible_ids is not None else None
        ids = [t.id for t in self.doc.project.tracks]
        self.doc.select(ids if shown is None else [i for i in ids if i in set(shown)])
