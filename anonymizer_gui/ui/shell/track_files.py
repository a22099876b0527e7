"""File ▸ Export Tracks… / Import Tracks…: the open project's tracks to and from CVAT (video 1.1 XML)
and MOTChallenge CSV. An import replaces every track in one undoable step."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ...core.foundation import AnonymizerError, write_bytes_atomic
from ...core.project import format_of, read_tracks, write_tracks
from ..document.commands import TracksEdit
from ..document.document import ProjectDocument
from . import prompts
from .error_dialog import show_error

TRACK_FILTER = "CVAT for video 1.1 (*.xml);;MOTChallenge CSV (*.txt *.csv);;All files (*)"
MAX_IMPORT_BYTES = 512 * 1024 * 1024


class TrackFiles(QObject):
    status = Signal(str)

    def __init__(self, doc: ProjectDocument, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self.doc = doc
        self.dialog_parent = dialog_parent

    def _suggested(self, suffix: str) -> str:
        media = Path(self.doc.project.media.path)
        return str(media.with_name(media.stem + suffix))

    def export_dialog(self) -> Path | None:
        if self.doc.project is None:
            return None
        path = prompts.choose_save_file(self.dialog_parent, "Export tracks", self._suggested(".cvat.xml"),
                                        TRACK_FILTER)
        if not path:
            return None
        target = Path(path)
        try:
            if Path(self.doc.project.media.path).resolve() == target.resolve():
                raise AnonymizerError("that is the video itself; choose another file name")
            write_bytes_atomic(target, write_tracks(self.doc.project, format_of(target)))
        except (AnonymizerError, OSError) as exc:
            show_error(self.dialog_parent, f"Cannot export the tracks: {exc}", title="Export tracks")
            return None
        self.status.emit(f"Exported {len(self.doc.project.tracks)} tracks to {target.name}")
        return target

    def import_dialog(self) -> int | None:
        if self.doc.project is None:
            return None
        path = prompts.choose_open_file(self.dialog_parent, "Import tracks", str(Path(self.doc.project.media.path)
                                                                                 .parent), TRACK_FILTER)
        if not path:
            return None
        source = Path(path)
        try:
            if source.stat().st_size > MAX_IMPORT_BYTES:
                raise AnonymizerError(f"{source.name} is larger than {MAX_IMPORT_BYTES >> 20} MiB")
            tracks = read_tracks(source.read_bytes(), self.doc.project, format_of(source))
        except (AnonymizerError, OSError) as exc:
            show_error(self.dialog_parent, f"Cannot import {source.name}: {exc}", title="Import tracks")
            return None
        old = list(self.doc.project.tracks)
        self.doc.undo_stack.push(TracksEdit(self.doc, old, tracks, f"Import {len(tracks)} tracks from {source.name}"))
        self.status.emit(f"Imported {len(tracks)} tracks from {source.name}")
        return len(tracks)
