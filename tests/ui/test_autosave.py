"""Autosave after the interval, restore after a crash on the next start, clean close removes it."""

from __future__ import annotations

import json
import os
import socket

import pytest

from anonymizer_gui.core.project.model import Keyframe, Project, Shape, Track
from anonymizer_gui.ui.app import settings as S
from anonymizer_gui.ui.shell import autosave as A
from anonymizer_gui.ui.shell.error_dialog import open_error_dialogs
from anonymizer_gui.ui.document import commands
from tests.ui.shell_support import close_window, make_window, open_and_wait, shell_env  # noqa: F401
from anonymizer_gui.core.project import load_project

INTERVAL_MS = 200


def add_track(win, label="badge") -> Track:
    track = Track(win.doc.project.next_track_id(), label, "manual",
                  keyframes=[Keyframe(0, Shape.rect(10, 10, 60, 50)), Keyframe(9, Shape.rect(30, 20, 80, 60))])
    win.doc.undo_stack.push(commands.add_track(win.doc, track))
    return track


def crash(win) -> None:
    """Leave the window without the clean-close path, as a killed process would."""
    win.autosave.timer.stop()
    win.autosave.discard = lambda: None  # a dead process cleans nothing up
    win.files.maybe_save = lambda: True
    win.close()
    win.deleteLater()


def test_autosave_is_written_after_the_interval_only_when_modified(qtbot, shell_env, tmp_clip, tmp_path):
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, tmp_clip.path)
    target = win.autosave.target()
    assert target.parent == tmp_path / "data" / "autosave"  # never saved: the user data folder
    qtbot.wait(3 * INTERVAL_MS)
    assert not target.exists()  # nothing to save yet
    track = add_track(win)
    with qtbot.waitSignal(win.autosave.saved, timeout=5 * INTERVAL_MS):
        pass
    assert load_project(target).tracks[0].keyframes == track.keyframes
    mtime = target.stat().st_mtime_ns
    qtbot.wait(3 * INTERVAL_MS)
    assert target.stat().st_mtime_ns == mtime  # no edits since: not rewritten

    project_path = tmp_path / "proj.json"
    win.files.save_as(project_path)
    assert not target.exists()  # saved: the autosave of the unsaved project is gone
    add_track(win, "screen")
    with qtbot.waitSignal(win.autosave.saved, timeout=5 * INTERVAL_MS) as saved:
        pass
    assert saved.args[0] == tmp_path / "proj.autosave.json"  # now beside the project
    close_window(win, shell_env)  # Discard: a clean close
    assert not (tmp_path / "proj.autosave.json").exists()
    assert A.pending_recoveries() == []


def test_next_start_offers_to_restore_an_unsaved_project(qtbot, shell_env, tmp_clip):
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, tmp_clip.path)
    track = add_track(win)
    with qtbot.waitSignal(win.autosave.saved, timeout=5 * INTERVAL_MS):
        pass
    crash(win)

    second = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    shell_env.push("Restore")
    with qtbot.waitSignal(second.opened, timeout=15000):
        second.start()
    assert shell_env.asked[-1][0] == "Restore unsaved work?"
    assert "clip.mp4" in shell_env.asked[-1][1]
    assert [t.keyframes for t in second.doc.project.tracks] == [track.keyframes]
    assert second.doc.path is None and second.isWindowModified()
    close_window(second, shell_env)
    assert A.pending_recoveries() == []


def test_newer_autosave_of_a_saved_project_is_offered_when_it_opens(qtbot, shell_env, tmp_clip, tmp_path):
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, tmp_clip.path)
    project_path = tmp_path / "p.json"
    win.files.save_as(project_path)
    add_track(win, "first")
    add_track(win, "second")
    with qtbot.waitSignal(win.autosave.saved, timeout=5 * INTERVAL_MS):
        pass
    crash(win)

    second = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    shell_env.push("Later")  # the start-up offer: keep it for now
    second.start()
    qtbot.waitUntil(lambda: len(shell_env.asked) == 1, timeout=5000)
    assert "p.json" in shell_env.asked[0][1]
    shell_env.push("Restore")  # opening the project asks again
    open_and_wait(qtbot, second, project_path)
    assert [t.label for t in second.doc.project.tracks] == ["first", "second"]
    assert second.doc.path == project_path and second.isWindowModified()
    assert second.windowTitle().startswith("p.json")
    assert second.files.save()
    assert len(load_project(project_path).tracks) == 2
    assert not (tmp_path / "p.autosave.json").exists()
    close_window(second, shell_env)


def test_discarding_the_offer_deletes_the_autosave(qtbot, shell_env, tmp_clip):
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, tmp_clip.path)
    add_track(win)
    with qtbot.waitSignal(win.autosave.saved, timeout=5 * INTERVAL_MS) as saved:
        pass
    crash(win)
    second = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    shell_env.push("Discard")
    second.start()
    qtbot.waitUntil(lambda: bool(shell_env.asked), timeout=5000)
    assert not saved.args[0].exists() and second.doc.project is None
    close_window(second, shell_env)


# -- damaged autosaves and locks: offered as usual, never an "Internal error" -------------------
def leave_autosave(qtbot, shell_env, tmp_clip):
    """A crash leftover: the autosave of an unsaved project with one track."""
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, tmp_clip.path)
    track = add_track(win)
    with qtbot.waitSignal(win.autosave.saved, timeout=5 * INTERVAL_MS) as saved:
        pass
    crash(win)
    return saved.args[0], track


@pytest.mark.parametrize("lock", [
    {"pid": "live", "started": "yesterday"},  # a live process, a start time that is no number
    {"pid": "live", "started": [1.0]},
    {"pid": "live", "started": float("nan")},
    {"pid": "live", "started": float("inf")},
    {"pid": float("inf"), "started": 1.0},
    {"pid": os.getpid(), "window": ["not", "a", "token"]},
    {"pid": "live", "host": ["not a host name"]},
], ids=["started-text", "started-list", "started-nan", "started-inf", "pid-inf", "window-list", "host-list"])
def test_a_damaged_lock_still_offers_the_autosave(qtbot, shell_env, tmp_clip, lock):
    path, track = leave_autosave(qtbot, shell_env, tmp_clip)
    lock = {"host": socket.gethostname(), "window": "x", **lock}
    if lock["pid"] == "live":
        lock["pid"] = os.getppid()  # alive, and not this process
    A.lock_path(path).write_text(json.dumps(lock), encoding="utf-8")  # json writes NaN and Infinity
    assert not A.is_in_use(path) and A.lock_owner(path) is None  # damaged: it holds nothing

    second = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    shell_env.push("Restore")
    with qtbot.waitSignal(second.opened, timeout=15000):
        second.start()
    assert shell_env.asked[-1][0] == "Restore unsaved work?"
    assert [t.keyframes for t in second.doc.project.tracks] == [track.keyframes]
    assert open_error_dialogs() == []
    close_window(second, shell_env)


def test_a_deeply_nested_autosave_is_offered_and_refused_with_a_clear_message(qtbot, shell_env):
    folder = S.data_dir() / "autosave"
    folder.mkdir(parents=True)
    damaged = folder / "clip-0123456789.autosave.json"
    damaged.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    shell_env.push("Restore")
    win.start()  # no RecursionError out of the start
    qtbot.waitUntil(lambda: bool(shell_env.asked), timeout=5000)
    assert shell_env.asked[-1][0] == "Restore unsaved work?"
    assert damaged.name in shell_env.asked[-1][1]
    qtbot.waitUntil(lambda: bool(open_error_dialogs()), timeout=15000)
    box, = open_error_dialogs()
    assert box.windowTitle() == "Cannot open" and box.detailedText() == ""
    assert damaged.name in box.text() and "nested too deeply" in box.text()
    box.close()
    assert win.doc.project is None and damaged.is_file()  # nothing opened, nothing deleted
    close_window(win, shell_env)
