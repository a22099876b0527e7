"""Autosave and crash recovery.

While the document has unsaved edits, a timer writes it to an autosave file: `<stem>.autosave.json`
beside a saved project, or `<data dir>/autosave/<video stem>-<hash>.autosave.json` for a project
never saved. Every autosave file in use is listed in the settings; a clean close (saved or
discarded) removes both the file and the entry. An entry whose file is still there at the next
start therefore means the program did not close cleanly, and the editor offers to restore it.

Each autosave carries a lock beside it (`<autosave>.lock`: host, process id and start time, and a
token of the window) while its window is open. An autosave whose lock names a live process (or a
window still open in this process, or another host) is someone's work in progress, never offered
as a crash leftover; a lock of a dead process, or no lock, is. When the editor is told to quit (SIGTERM,
SIGINT) with unsaved edits, flush() writes them and releases the lock, so the next start offers them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from PySide6.QtCore import QObject, QTimer, Signal

from ...core.foundation import write_text_atomic
from ...core.project import Project
from ..app import settings as S
from ..document.document import ProjectDocument
from ...core.project import load_project, project_to_dict

AUTOSAVE_SUFFIX = ".autosave.json"
AUTOSAVE_LIST = "autosave/files"  # settings key: autosave files written and not yet cleaned up
LOCK_SUFFIX = ".lock"
_OPEN_WINDOWS: set[str] = set()  # tokens of the Autosaves of this process whose window is open


@dataclass(frozen=True)
class Recovery:
    """An autosave left behind by a session that did not close cleanly."""

    autosave: Path
    project_path: Path | None  # the project it belongs to, None when it was never saved
    media_name: str
    saved_at: float  # mtime

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        what = self.project_path.name if self.project_path else f"the unsaved project of {self.media_name}"
        return f"{what} (autosaved {when})"


def autosave_path_for(project_path: Path | None, media_path: str | None) -> Path | None:
    if project_path is not None:
        project_path = Path(project_path)
        stem = project_path.name[:-5] if project_path.name.lower().endswith(".json") else project_path.name
        return project_path.with_name(stem + AUTOSAVE_SUFFIX)
    if media_path:
        digest = hashlib.sha1(str(Path(media_path).resolve()).encode("utf-8")).hexdigest()[:10]
        return S.data_dir() / "autosave" / f"{Path(media_path).stem}-{digest}{AUTOSAVE_SUFFIX}"
    return None


def project_path_of(autosave: Path) -> Path | None:
    """The project an autosave belongs to; None for autosaves of never-saved projects."""
    autosave = Path(autosave)
    if autosave.parent == S.data_dir() / "autosave":
        return None
    return autosave.with_name(autosave.name[:-len(AUTOSAVE_SUFFIX)] + ".json")


class Autosave(QObject):
    """Writes the document to its autosave file on a timer.

    The JSON text is made on the UI thread (a consistent snapshot, a few milliseconds) and written
    by a short-lived thread: the atomic write ends in an fsync, which can take a busy disk long
    enough to freeze the window.
    """

    saved = Signal(object)  # Path written
    failed = Signal(str)  # why an autosave could not be written
    _written = Signal(object, str)  # from the writer thread: path, error ("" on success)

    def __init__(self, doc: ProjectDocument, parent: QObject | None = None, interval_ms: int | None = None):
        super().__init__(parent)
        self.doc = doc
        self._dirty = False  # edits since the last autosave
        self._current: Path | None = None  # the autosave file this session wrote for the open document
        self._writer: threading.Thread | None = None
        self.token = secrets.token_hex(8)  # this window, in the locks it writes
        _OPEN_WINDOWS.add(self.token)
        self._written.connect(self._on_written)
        self.timer = QTimer(self)
        self.timer.setObjectName("autosaveTimer")
        if interval_ms is None:
            interval_ms = S.read_int(S.app_settings(), S.AUTOSAVE_INTERVAL_MS, S.DEFAULT_AUTOSAVE_INTERVAL_MS)
        self.timer.setInterval(max(100, int(interval_ms)))
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        doc.undo_stack.indexChanged.connect(self._on_edit)
        doc.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def set_interval(self, interval_ms: int) -> None:
        self.timer.setInterval(max(100, int(interval_ms)))

    def target(self) -> Path | None:
        """The usual autosave path; while another open window holds that one (the same project or
        video open twice), a path of this window's own in the data folder, so neither overwrites
        or deletes the other's."""
        project = self.doc.project
        usual = autosave_path_for(self.doc.path, project.media.path if project else None)
        if usual is None or not self._held_by_other(usual):
            return usual
        digest = hashlib.sha1(str(usual).encode("utf-8")).hexdigest()[:10]
        return S.data_dir() / "autosave" / f"{usual.name[:-len(AUTOSAVE_SUFFIX)]}-{digest}-{self.token}{AUTOSAVE_SUFFIX}"

    def _held_by_other(self, path: Path) -> bool:
        return is_in_use(path) and (lock_owner(path) or {}).get("window") != self.token

    def mark_dirty(self) -> None:
        """Force the next tick to write, e.g. after a restore that is not yet saved."""
        self._dirty = True

    def _on_edit(self, _index: int) -> None:
        self._dirty = True

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self._dirty = False

    def save_now(self) -> Path | None:
        """Start writing the autosave if there are edits since the last one; returns its path."""
        if self.doc.project is None or not self.doc.is_modified or not self._dirty:
            return None
        if self._writer is not None and self._writer.is_alive():
            return None  # the previous write is still going: the next tick catches up
        target = self.target()
        if target is None:
            return None
        if self._current is not None and self._current != target:
            self._forget(self._current)  # the project was saved under another name since
        text = json.dumps(project_to_dict(self.doc.project), indent=1)
        self._dirty = False
        self._current = target
        _register(target)
        self._lock(target)
        self._writer = threading.Thread(target=self._write, args=(target, text), name="autosave", daemon=True)
        self._writer.start()
        return target

    def _write(self, target: Path, text: str) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(target, text)
        except OSError as exc:
            self._written.emit(target, exc.strerror or str(exc))
        else:
            self._written.emit(target, "")

    def _on_written(self, target: Path, error: str) -> None:
        if error:
            self._dirty = True  # try again at the next tick
            self.failed.emit(f"autosave to {target} failed: {error}")
        elif target != self._current:
            self._forget(target)  # discarded (saved or closed) while it was being written
        else:
            self.saved.emit(target)

    def _lock(self, target: Path) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(lock_path(target), json.dumps(
                {"host": socket.gethostname(), "pid": os.getpid(), "started": process_start(os.getpid()),
                 "window": self.token}))
        except OSError as exc:  # the autosave itself may still work; say so once, in the status bar
            self.failed.emit(f"cannot lock the autosave {target}: {exc.strerror or exc}")

    def flush(self) -> Path | None:
        """Quit without questions (SIGTERM): write unsaved edits now and release the lock.

        The autosave stays registered, so the next start offers it: nothing is lost. Returns its path,
        None when there was nothing unsaved (and then no autosave is left behind)."""
        self.timer.stop()
        self.wait()
        if self.doc.project is None or not self.doc.is_modified:
            self.discard()
            self.release()
            return None
        self._dirty = True
        if self.save_now() is not None:
            self.wait()
        target = self._current
        self.release()
        return target

    def release(self) -> None:
        """The window is gone: its lock no longer claims the autosave (a clean close removed it anyway)."""
        for path in {self._current, self.target()} - {None}:
            if (lock_owner(path) or {}).get("window") == self.token:
                _unlink(lock_path(path))
        _OPEN_WINDOWS.discard(self.token)

    def wait(self, timeout_s: float = 5.0) -> None:
        if self._writer is not None:
            self._writer.join(timeout_s)

    def discard(self) -> None:
        """Remove this document's autosave: it was saved, or the user chose to discard the edits."""
        self.wait()
        for path in {self._current, self.target()} - {None}:
            self._forget(path)
        self._current = None
        self._dirty = False

    def _forget(self, path: Path) -> None:
        if self._held_by_other(Path(path)):
            return  # another open window's autosave: never this window's to delete
        _unlink(Path(path))
        _unlink(lock_path(path))
        _unregister(path)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


# -- locks: whose autosave is it? ---------------------------------------------------------------
def lock_path(autosave: Path) -> Path:
    return Path(str(autosave) + LOCK_SUFFIX)


def process_start(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), so a reused pid is told apart; None if gone."""
    try:
        return round(psutil.Process(pid).create_time(), 2)
    except (psutil.Error, OSError):
        return None


def lock_owner(autosave: Path) -> dict | None:
    """The lock of `autosave` (host, pid, started, window), None when there is none or it is damaged.

    Only this program writes locks, so one whose fields are not what it writes (a start time that is
    no number, a pid out of range, a host or window that is no text) is damaged: it holds nothing,
    and the autosave it names is offered like any other crash leftover. The fields come back as
    written: pid an int, started a float or None, window a str or None."""
    try:
        lock = json.loads(lock_path(autosave).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # ValueError includes bad JSON and bad UTF-8
        return None
    if not isinstance(lock, dict) or not isinstance(lock.get("host"), str):
        return None
    window = lock.get("window")
    if window is not None and not isinstance(window, str):
        return None
    try:
        pid = int(lock["pid"])
        started = lock.get("started")
        if started is not None:
            started = float(started)
    except (KeyError, ValueError, TypeError, OverflowError):
        return None
    if pid <= 0 or (started is not None and not math.isfinite(started)):
        return None
    return {**lock, "pid": pid, "started": started, "window": window}


def is_in_use(autosave: Path) -> bool:
    """True while the window that writes `autosave` is open, in this process or a live other one."""
    lock = lock_owner(autosave)
    if lock is None:
        return False  # no lock (or a damaged one): nobody holds it
    host, pid, started = lock["host"], lock["pid"], lock["started"]
    if host != socket.gethostname():
        return True  # a window on another machine (a shared home folder): its owner decides
    if pid == os.getpid():
        return lock["window"] in _OPEN_WINDOWS
    try:
        alive_since = round(psutil.Process(pid).create_time(), 2)
    except psutil.NoSuchProcess:  # zombies and pids out of range included
        return False  # the process is gone: a crash leftover
    except psutil.AccessDenied:
        return True  # alive, and not ours to inspect
    return started is None or abs(alive_since - started) < 0.05


# -- the registry of autosave files in the settings --------------------------------------------
def _registered() -> list[str]:
    return S.read_list(S.app_settings(), AUTOSAVE_LIST)


def _register(path: Path) -> None:
    items = _registered()
    if str(path) not in items:
        S.app_settings().setValue(AUTOSAVE_LIST, items + [str(path)])


def _unregister(path: Path) -> None:
    items = [p for p in _registered() if p != str(path)]
    S.app_settings().setValue(AUTOSAVE_LIST, items)


def pending_recoveries() -> list[Recovery]:
    """Autosaves left by sessions that did not close cleanly, newest first."""
    candidates = {Path(p) for p in _registered()}
    folder = S.data_dir() / "autosave"
    if folder.is_dir():
        candidates.update(folder.glob("*" + AUTOSAVE_SUFFIX))
    found = []
    for path in candidates:
        if not path.is_file():
            _unregister(path)
            continue
        if is_in_use(path):
            continue  # another open window's work, not a crash leftover
        project_path = project_path_of(path)
        if project_path is not None and project_path.is_file() and \
                project_path.stat().st_mtime > path.stat().st_mtime:
            continue  # the project was saved after this autosave: nothing to recover
        found.append(Recovery(path, project_path, _media_name(path), path.stat().st_mtime))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def newer_autosave_of(project_path: Path) -> Path | None:
    """The autosave beside `project_path` when it is newer than the project (a crash after edits)."""
    autosave = autosave_path_for(project_path, None)
    if autosave is not None and autosave.is_file() and Path(project_path).is_file() and \
            autosave.stat().st_mtime >= Path(project_path).stat().st_mtime and not is_in_use(autosave):
        return autosave
    return None


def dismiss(recovery: Recovery) -> None:
    """The user does not want this autosave back: delete it."""
    _unlink(recovery.autosave)
    _unlink(lock_path(recovery.autosave))
    _unregister(recovery.autosave)


def load_recovery(path: Path) -> Project:
    return load_project(path)


def _media_name(path: Path) -> str:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        name = Path(data["media"]["path"]).name
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # damaged: opening it says why
        return Path(path).name
    return name or Path(path).name
