"""Opening, saving and closing: the file side of the document.

Opening probes the media and hashes it off the UI thread (a job in the job bar), then puts the
new project into the document in one step. A project whose video has moved asks where it is, and
checks the file chosen against the project's record of its video before using it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ...core import media
from ...core.foundation import AnonymizerError, MediaError, check_output, file_sha256, same_file
from ...core.project import MediaRef, Project
from . import autosave as A
from . import prompts
from ..app import settings as S
from .error_dialog import show_error, show_exception
from ..document.document import ProjectDocument
from ..jobs.job_bar import JobBar
from ..jobs.worker import Worker
from ...core.project import load_project, save_project

ShowDocument = Callable[[Project, object, "Path | None"], None]  # project, MediaInfo, project file

def new_project(path: Path, info, sha256: str) -> Project:
    path = Path(path).resolve()
    return Project(media=MediaRef(
        path=str(path), size=path.stat().st_size, sha256=sha256, width=info.width, height=info.height,
        frame_count=info.frame_count, fps=info.fps, probe=info.to_json()))


def is_project_file(path: Path) -> bool:
    return Path(path).suffix.lower() == ".json"


@dataclass
class Opened:
    project: Project
    info: object | None  # MediaInfo, None when the video is missing
    project_path: Path | None
    is_new: bool  # made from a video just now (not loaded)
    changed: bool = False  # fixed up while opening (video relocated): unsaved from the start


class ProjectFiles(QObject):
    """Open, save and recent files for one document; the window passes in what it needs and listens."""

    opened = Signal(object)  # Opened, after the document holds it
    analyseRequested = Signal()  # a new video is open and the settings say to analyse it
    status = Signal(str)  # one line for the status bar

    def __init__(self, doc: ProjectDocument, jobs: JobBar, autosave: A.Autosave, dialog_parent: QWidget,
                 show_document: ShowDocument, confirm_discard: Callable[[], bool]):
        super().__init__(dialog_parent)
        self.doc = doc
        self.jobs = jobs
        self.autosave = autosave
        self.dialog_parent = dialog_parent  # parent of the questions and errors it shows
        self._show_document = show_document
        self._confirm_discard = confirm_discard
        self._generation = 0  # only the latest open may replace the document

    # -- open ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(S.app_settings().value(S.LAST_DIR, "") or "")
        path = prompts.choose_open_file(self.dialog_parent, "Open video, picture or project", start)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, analyse: bool | None = None, restore_from: Path | None = None,
                  restored_project_path: Path | None = None) -> Worker | None:
        """Open a video, still or project (asynchronously). `analyse`: start the analysis once open
        (None: as the settings say, for videos only). `restore_from`: an autosave to load instead of `path`."""
        path = Path(path).expanduser()
        if restore_from is None and not path.exists():
            show_error(self.dialog_parent, f"File not found: {path}", title="Cannot open")
            self.forget_recent(path)
            return None
        if not self._confirm_discard():
            return None
        self._generation += 1
        generation = self._generation
        if restore_from is None and is_project_file(path):
            newer = A.newer_autosave_of(path)
            if newer is not None:
                answer = prompts.ask(self.dialog_parent, "Restore autosave?",
                                     f"{path.name} has an autosave that is newer than the project: the program "
                                     "did not close cleanly after the last edits. Restore the autosaved version?",
                                     ["Restore", "Open Saved Version"], default="Restore")
                if answer == "Restore":
                    restore_from, restored_project_path = newer, path
        if restore_from is not None:
            fn = _load_project_job(Path(restore_from), restored_project_path, restored=True)
        elif is_project_file(path):
            fn = _load_project_job(path, path)
        else:
            fn = _new_project_job(path)
        worker = Worker(fn, f"Opening {path.name}", self)
        worker.succeeded.connect(lambda result, g=generation: self._on_loaded(
            result, g, analyse, restored=restore_from is not None))
        worker.failed.connect(lambda message, details: show_error(self.dialog_parent, message, details,
                                                                  title="Cannot open"))
        self.jobs.run(worker, exclusive=False)
        S.app_settings().setValue(S.LAST_DIR, str(path.parent))
        return worker

    def _on_loaded(self, opened: Opened, generation: int, analyse: bool | None, restored: bool) -> None:
        if generation != self._generation:
            return  # a later open replaced this one
        if opened.info is None:
            self._locate_media(opened, generation, lambda located: self._show_opened(
                located, generation, analyse, restored))
            return
        self._show_opened(opened, generation, analyse, restored)

    def _show_opened(self, opened: Opened, generation: int, analyse: bool | None, restored: bool) -> None:
        if generation != self._generation:
            return  # a later open replaced this one while its video was being located
        if not self._check_media(opened):
            return
        self._show_document(opened.project, opened.info, opened.project_path)
        if restored or opened.changed:
            self.doc.undo_stack.resetClean()  # restored edits are not saved yet
            self.autosave.mark_dirty()
        if opened.project_path is not None or opened.is_new:
            self.add_recent(opened.project_path or Path(opened.project.media.path))
        self.opened.emit(opened)
        if analyse is None:
            analyse = opened.is_new and S.read_bool(S.app_settings(), S.ANALYSE_ON_OPEN, True)
        if analyse:
            self.analyseRequested.emit()

    def _locate_media(self, opened: Opened, generation: int, then: Callable[[Opened], None]) -> Worker | None:
        """Ask where the missing video is, check the file chosen against the project's record of its
        video (a job: probe and SHA-256), and call `then` with the project pointing at it.

        A file of another picture size or length is refused (the masks would sit in the wrong place
        or on the wrong frames); a file whose contents differ (a re-encode, say) is used only when
        the user says so, and then the project records it as its video, so that the export takes it."""
        missing = Path(opened.project.media.path)
        answer = prompts.ask(self.dialog_parent, "Video not found",
                             f"The video of this project is missing: {missing}. It may have been moved or "
                             "renamed. Locate it to go on?", ["Locate…", "Cancel"], default="Locate…")
        if answer != "Locate…":
            return None
        found = prompts.choose_open_file(self.dialog_parent, f"Where is {missing.name}?", str(missing.parent),
                                         f"{missing.name} (*{missing.suffix});;All files (*)")
        if not found:
            return None
        found = Path(found)
        worker = Worker(_check_located_job(found, opened.project.media), f"Checking {found.name}", self)
        worker.succeeded.connect(lambda result: self._use_located(opened, result, generation, then))
        worker.failed.connect(lambda message, details: show_error(self.dialog_parent, message, details,
                                                                  title="Cannot use this video"))
        self.jobs.run(worker, exclusive=False)
        return worker

    def _use_located(self, opened: Opened, located: "Located", generation: int,
                     then: Callable[[Opened], None]) -> None:
        if generation != self._generation:
            return  # a later open replaced this one
        ref, info = opened.project.media, located.info
        path = str(located.path.resolve())
        if located.same_contents:
            opened.project.media = dataclasses.replace(ref, path=path)
        else:
            answer = prompts.ask(
                self.dialog_parent, "Use a different file?",
                f"{located.path.name} has the picture size ({info.width}x{info.height}) and the number of frames "
                f"({info.frame_count}) of this project's video, but its file contents differ from those of "
                f"{Path(ref.path).name}: it is not the file the project was made from (a re-encoded or "
                "edited copy?). The masks stay where they are, so they fit only if the picture is the same. "
                "Use this file as the project's video?",
                ["Use This File", "Cancel"], default="Cancel",
                informative="If you use it, the project records this file (its size and SHA-256) as its video, "
                            "so the export accepts it. Check the masks before exporting.")
            if answer != "Use This File":
                return
            opened.project.media = dataclasses.replace(
                ref, path=path, size=located.size, sha256=located.sha256, width=info.width, height=info.height,
                frame_count=info.frame_count, fps=info.fps, probe=info.to_json())
        opened.info = info
        opened.changed = True  # the new location (and record) is not saved yet
        then(opened)

    def _check_media(self, opened: Opened) -> bool:
        project, info = opened.project, opened.info
        expected = project.media.frame_count
        if expected and info.frame_count != expected:
            project.media.frame_count = info.frame_count
            try:
                project.check_frames()
            except Exception as exc:  # ProjectFormatError: tracks past the end of this video
                show_exception(self.dialog_parent, exc)
                return False
            show_error(self.dialog_parent, f"The video has {info.frame_count} frames but the project was made for "
                                    f"{expected}; check that the masks still sit on the right frames.",
                       title="Video changed")
        elif project.media.size and (size := Path(project.media.path).stat().st_size) != project.media.size:
            show_error(self.dialog_parent, f"{Path(project.media.path).name} has changed since the project was made: "
                                           f"its file contents differ ({size} bytes, the project expects "
                                           f"{project.media.size}). Check the masks before exporting.",
                       title="Video changed")
        return True

    # -- save ---------------------------------------------------------------------------------
    def suggested_project_path(self) -> Path:
        if self.doc.path is not None:
            return self.doc.path
        media_path = Path(self.doc.project.media.path)
        return media_path.with_name(media_path.stem + ".anon.json")

    def save(self) -> bool:
        if self.doc.project is None:
            return False
        if self.doc.path is None:
            return self.save_as()
        return self.write(self.doc.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save under another name. Over an existing file it asks first: Qt's file dialog asks itself;
        a path given here (or given a .json suffix after the dialog) is asked about with prompts.ask."""
        if self.doc.project is None:
            return False
        confirmed = False
        if path is None:
            path = prompts.choose_save_file(self.dialog_parent, "Save project as", str(self.suggested_project_path()))
            if not path:
                return False
            confirmed = True  # the file dialog has confirmed replacing this very name
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_name(path.name + ".json")
            confirmed = False
        return self.write(path, confirmed)

    def write(self, path: Path, confirmed: bool = False) -> bool:
        """Write the project to `path` through the one output check and the atomic writer.

        Never over the project's video (in any spelling); over another existing file only when the
        user said so (`confirmed`, or the Replace question). Saving to the document's own file never asks.
        """
        try:
            path = check_output(path, "project", reads=[("video", self.doc.project.media.path)],
                                suffixes=(".json",), force=True)
        except AnonymizerError as exc:
            show_exception(self.dialog_parent, exc, "saving the project")
            return False
        own = self.doc.path is not None and same_file(path, self.doc.path)
        if os.path.lexists(path) and not (confirmed or own):
            answer = prompts.ask(self.dialog_parent, "Replace file?",
                                 f"{path.name} already exists in {path.parent}. Replace it with this project?",
                                 ["Replace", "Cancel"], default="Cancel",
                                 informative="The file there is lost if you replace it.")
            if answer != "Replace":
                return False
        try:
            save_project(self.doc.project, path)
        except (OSError, AnonymizerError) as exc:  # a full disk, or a project that could not be loaded again
            show_exception(self.dialog_parent, exc, "saving the project")
            return False
        self.autosave.discard()  # the autosave of the old name (or of the unsaved project)
        self.doc.undo_stack.setClean()
        if self.doc.path != path:
            self.doc.set_path(path)
        self.autosave.discard()
        self.add_recent(path)
        self.status.emit(f"Saved {path}")
        return True

    def maybe_save(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved edits; True when it is fine to go on."""
        if self.doc.project is None or not self.doc.is_modified:
            return True
        name = self.doc.path.name if self.doc.path else Path(self.doc.project.media.path).name
        answer = prompts.ask(self.dialog_parent, "Unsaved changes", f"Save the changes to {name}?",
                             ["Save", "Discard", "Cancel"], default="Save",
                             informative="Your edits are lost if you discard them.")
        if answer == "Save":
            return self.save()
        return answer == "Discard"

    # -- recent files -------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        return [p for p in S.read_list(S.app_settings(), S.RECENT_FILES) if p]

    def add_recent(self, path: Path) -> None:
        path = str(Path(path).resolve())
        items = [path] + [p for p in self.recent_files() if p != path]
        S.app_settings().setValue(S.RECENT_FILES, items[:S.MAX_RECENT_FILES])

    def forget_recent(self, path: Path) -> None:
        path = str(Path(path).resolve())
        S.app_settings().setValue(S.RECENT_FILES, [p for p in self.recent_files() if p != path])

    def clear_recent(self) -> None:
        S.app_settings().setValue(S.RECENT_FILES, [])


# -- jobs (worker thread) ------------------------------------------------------------------------
def _new_project_job(path: Path):
    def run(progress, cancel) -> Opened:
        info = media.probe(path)
        sha = file_sha256(path, progress, cancel)
        return Opened(new_project(path, info, sha), info, None, is_new=True)

    return run


def _load_project_job(source: Path, project_path: Path | None, restored: bool = False):
    def run(progress, cancel) -> Opened:
        project = load_project(source)
        video = Path(project.media.path)
        info = media.probe(video) if video.is_file() else None
        return Opened(project, info, project_path, is_new=False)

    return run


@dataclass(frozen=True)
class Located:
    """A file chosen in place of a project's missing video, probed and hashed."""

    path: Path
    info: object  # MediaInfo
    size: int
    sha256: str
    same_contents: bool  # the very file the project records (or, without a record, nothing says otherwise)


def located_mismatch(ref: MediaRef, info, name: str) -> str | None:
    """Why a file cannot stand in for the project's video `ref` (masks would land in the wrong
    place or on the wrong frames), None when its picture size and frame count fit."""
    if ref.width and ref.height and (info.width, info.height) != (ref.width, ref.height):
        return (f"{name} has a picture size of {info.width}x{info.height}, but this project was made for a video "
                f"of {ref.width}x{ref.height}: its masks would be in the wrong place. Choose the project's own "
                "video.")
    if ref.frame_count and info.frame_count != ref.frame_count:
        return (f"{name} has {info.frame_count} frames, but this project was made for a video of "
                f"{ref.frame_count} frames: its masks would be on the wrong frames. Choose the project's own video.")
    return None


def _check_located_job(path: Path, ref: MediaRef):
    """Probe and hash the chosen file as the export will; refuse one whose picture does not fit."""
    def run(progress, cancel) -> Located:
        info = media.probe(path)
        why = located_mismatch(ref, info, path.name)
        if why is not None:
            raise MediaError(why)
        size = path.stat().st_size
        sha = file_sha256(path, progress, cancel)
        if ref.sha256:
            same = ref.sha256.lower() == sha
        else:  # a project without a recorded hash: only its recorded size can tell
            same = not ref.size or ref.size == size
        return Located(path, info, size, sha, same)

    return run
