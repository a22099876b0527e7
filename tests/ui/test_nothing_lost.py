"""The editor loses nothing: Save As asks before replacing a file and never writes over the video;
SIGTERM and SIGINT close it cleanly; a file given at start opens before any recovery question; two
windows (or two processes) never offer each other's autosave as a crash leftover."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from anonymizer_gui.core.foundation import AtomicFile
from anonymizer_gui.core.project import load_project
from anonymizer_gui.ui.app.quit_signals import QuitOnSignals
from anonymizer_gui.ui.jobs.worker import Worker
from anonymizer_gui.ui.shell import autosave as A
from anonymizer_gui.ui.shell import prompts
from anonymizer_gui.ui.shell.error_dialog import open_error_dialogs
from tests.ui.shell_support import close_window, make_window, open_and_wait, shell_env  # noqa: F401
from tests.ui.test_autosave import INTERVAL_MS, add_track, crash


def autosaved(qtbot, win) -> Path:
    with qtbot.waitSignal(win.autosave.saved, timeout=5000) as saved:
        pass
    return saved.args[0]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# -- Save / Save As ------------------------------------------------------------------------------
def test_save_as_over_an_existing_file_asks_and_cancel_keeps_it(qtbot, shell_env, tmp_clip, tmp_path):
    win = make_window(qtbot)
    open_and_wait(qtbot, win, tmp_clip.path)
    add_track(win)
    existing = tmp_path / "review.json"
    existing.write_text('{"hours": "of review"}')
    shell_env.push("Cancel")
    assert not win.files.save_as(existing)
    assert shell_env.asked[-1] == ("Replace file?", f"review.json already exists in {tmp_path}. Replace it "
                                                    "with this project?")
    assert existing.read_text() == '{"hours": "of review"}' and win.isWindowModified()
    shell_env.push("Replace")
    assert win.files.save_as(existing)
    assert len(load_project(existing).tracks) == 1 and not win.isWindowModified()
    asked = len(shell_env.asked)
    add_track(win, "second")
    assert win.files.save()  # its own file: no question
    assert len(shell_env.asked) == asked and len(load_project(existing).tracks) == 2
    close_window(win, shell_env)


def test_save_as_through_the_file_dialog_is_not_asked_twice(qtbot, shell_env, tmp_clip, tmp_path, monkeypatch):
    win = make_window(qtbot)
    open_and_wait(qtbot, win, tmp_clip.path)
    existing = tmp_path / "p.json"
    existing.write_text("{}")
    monkeypatch.setattr(prompts, "choose_save_file", lambda *a, **k: str(existing))  # Qt's dialog confirmed
    assert win.files.save_as() and shell_env.asked == []
    assert load_project(existing).media.path == str(tmp_clip.path)
    close_window(win, shell_env)


def test_save_as_never_writes_over_the_video(qtbot, shell_env, tmp_clip, tmp_path):
    win = make_window(qtbot)
    open_and_wait(qtbot, win, tmp_clip.path)
    add_track(win)
    link = tmp_path / "looks-like-a-project.json"
    link.symlink_to(tmp_clip.path)
    before = tmp_clip.path.read_bytes()
    shell_env.default = "Replace"  # even a user who says yes to everything
    assert not win.files.save_as(link)
    qtbot.waitUntil(lambda: bool(open_error_dialogs()), timeout=5000)
    (box,) = open_error_dialogs()
    assert box.text() == (f"the project {link} is the video ({tmp_clip.path}); choose another file name, "
                          "the input is never overwritten")
    box.close()
    assert tmp_clip.path.read_bytes() == before and win.doc.path is None
    close_window(win, shell_env)


def test_export_dialog_asks_before_replacing_an_existing_file(qtbot, shell_env, tmp_clip, tmp_path):
    win = make_window(qtbot)
    open_and_wait(qtbot, win, tmp_clip.path)
    started = []
    from anonymizer_gui.ui.shell.export_dialog import ExportDialog

    dialog = ExportDialog(win.doc, lambda output, settings: started.append(output), win)
    existing = tmp_path / "old-export.mp4"
    existing.write_bytes(b"an earlier export")
    dialog.path_edit.setText(str(existing))
    shell_env.push("Cancel")
    dialog.accept()
    assert started == [] and shell_env.asked[-1][0] == "Replace file?"
    dialog.path_edit.setText(str(tmp_clip.path))
    assert dialog.problem().startswith(f"The output {tmp_clip.path} is the input video")
    dialog.path_edit.setText(str(existing))
    shell_env.push("Replace")
    dialog.accept()
    assert started == [existing]
    close_window(win, shell_env)


# -- SIGTERM / SIGINT ------------------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_closes_the_editor_cleanly_and_keeps_the_edits(qtbot, shell_env, tmp_clip, tmp_path, signum):
    win = make_window(qtbot, autosave_interval_ms=60_000)  # no autosave yet: the signal must flush it
    open_and_wait(qtbot, win, tmp_clip.path)
    track = add_track(win)
    job_state = {}

    def long_job(progress, cancel):
        with AtomicFile(tmp_path / "out.mp4") as tmp:  # a job's temporary file, as an export has
            job_state["temp"] = tmp.path
            while not cancel():
                time.sleep(0.01)
        job_state["cancelled"] = True

    win.run_worker(Worker(long_job, "Exporting out.mp4", win), exclusive=False)
    qtbot.waitUntil(lambda: "temp" in job_state, timeout=5000)
    quit_on = QuitOnSignals(lambda _s: win.shutdown())
    try:
        os.kill(os.getpid(), signum)
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=15000)
    finally:
        quit_on.restore()
    assert quit_on.received == [signum] and shell_env.asked == []  # no question to a user who is not there
    assert job_state.get("cancelled") and not job_state["temp"].exists()
    assert sorted(p.name for p in tmp_path.iterdir() if ".partial" in p.name) == []
    target = win.autosave.target()
    assert load_project(target).tracks[0].keyframes == track.keyframes  # flushed at once
    assert not A.lock_path(target).exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    win.deleteLater()

    second = make_window(qtbot)
    shell_env.push("Restore")
    with qtbot.waitSignal(second.opened, timeout=15000):
        second.start()
    assert shell_env.asked[-1] == ("Restore unsaved work?", "An earlier session left unsaved work. Restore the "
                                   f"unsaved project of clip.mp4 (autosaved {_when(target)})?")
    assert [t.keyframes for t in second.doc.project.tracks] == [track.keyframes]
    close_window(second, shell_env)
    assert A.pending_recoveries() == []


def _when(path: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))


def _catches(pid: int, signum: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc to know the editor is up")
def test_sigterm_to_the_editor_process_exits_0_and_leaves_nothing(tmp_clip, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ANONYMIZER_GUI_CONFIG_DIR": str(tmp_path / "config"),
           "ANONYMIZER_GUI_DATA_DIR": str(tmp_path / "data"), "ANONYMIZER_GUI_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    editor = subprocess.Popen([sys.executable, "-m", "anonymizer_gui", str(tmp_clip.path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _catches(editor.pid, signal.SIGTERM):  # our handler is installed: Qt is up
            assert editor.poll() is None and time.monotonic() < deadline, editor.communicate()
            time.sleep(0.1)
        editor.send_signal(signal.SIGTERM)
        out, err = editor.communicate(timeout=60)
    finally:
        if editor.poll() is None:
            editor.kill()
    assert editor.returncode == 0, err
    assert "Traceback" not in err
    leftovers = [p for p in (tmp_path / "data").rglob("*") if p.is_file()] if (tmp_path / "data").exists() else []
    assert leftovers == []  # no autosave, no lock: nothing was edited


# -- start-up with a file, and recoveries -----------------------------------------------------------
def test_a_file_given_at_start_opens_first_and_the_recovery_waits_in_a_bar(qtbot, shell_env, clip_factory):
    first_clip, second_clip = clip_factory("crashed.mp4"), clip_factory("wanted.mp4")
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, first_clip.path)
    track = add_track(win)
    autosaved(qtbot, win)
    crash(win)

    second = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    with qtbot.waitSignal(second.opened, timeout=15000):
        second.start(file=str(second_clip.path))
    assert shell_env.asked == []  # nothing blocked the file
    assert Path(second.doc.project.media.path).name == "wanted.mp4"
    bar = second.recovery_bar
    assert bar.isVisible() and bar.label.text().startswith(
        "Unsaved work from an earlier session: the unsaved project of crashed.mp4 (autosaved ")
    with qtbot.waitSignal(second.opened, timeout=15000):
        bar.restore_button.click()
    assert Path(second.doc.project.media.path).name == "crashed.mp4"
    assert [t.keyframes for t in second.doc.project.tracks] == [track.keyframes]
    close_window(second, shell_env)
    assert A.pending_recoveries() == []


def test_later_keeps_the_recovery_for_the_next_start(qtbot, shell_env, clip_factory):
    crashed, wanted = clip_factory("crashed.mp4"), clip_factory("wanted.mp4")
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, crashed.path)
    add_track(win)
    path = autosaved(qtbot, win)
    crash(win)
    second = make_window(qtbot)
    with qtbot.waitSignal(second.opened, timeout=15000):
        second.start(file=str(wanted.path))
    second.recovery_bar.later_button.click()
    qtbot.waitUntil(lambda: not second.recovery_bar.isVisible(), timeout=2000)
    assert path.exists() and [r.autosave for r in A.pending_recoveries()] == [path]
    close_window(second, shell_env)


# -- two windows, two processes ---------------------------------------------------------------------
def test_two_windows_never_offer_each_others_autosave(qtbot, shell_env, clip_factory, tmp_path):
    clip_a = clip_factory("a.mp4")
    first = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, first, clip_a.path)
    project = tmp_path / "a.json"
    assert first.files.save_as(project)
    add_track(first)
    path = autosaved(qtbot, first)
    lock = json.loads(A.lock_path(path).read_text())
    assert (lock["pid"], lock["host"], lock["window"]) == (os.getpid(), socket.gethostname(), first.autosave.token)

    second = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    assert A.pending_recoveries() == []  # the first window is open: its work, not a crash leftover
    second.start()  # no file: a crash leftover would be asked about at once
    qtbot.wait(300)
    assert shell_env.asked == []
    open_and_wait(qtbot, second, project)  # the same project: its newer autosave is the first window's
    assert shell_env.asked == [] and second.doc.project.tracks == []
    first_autosave = path.read_bytes()
    add_track(second, "second window's")  # both edit the same project: two autosaves, never one
    second_path = autosaved(qtbot, second)
    assert second_path != path and path.read_bytes() == first_autosave
    assert [t.label for t in load_project(second_path).tracks] == ["second window's"]
    close_window(second, shell_env)  # discards its own autosave only
    assert not second_path.exists()
    assert path.read_bytes() == first_autosave and A.lock_path(path).exists()
    close_window(first, shell_env)
    assert not path.exists() and not A.lock_path(path).exists()


def test_a_lock_of_a_live_process_hides_the_autosave_and_a_dead_ones_offers_it(qtbot, shell_env, tmp_clip):
    win = make_window(qtbot, autosave_interval_ms=INTERVAL_MS)
    open_and_wait(qtbot, win, tmp_clip.path)
    add_track(win)
    path = autosaved(qtbot, win)
    crash(win)
    assert [r.autosave for r in A.pending_recoveries()] == [path]  # no lock: a crash leftover

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        A.lock_path(path).write_text(json.dumps({"host": socket.gethostname(), "pid": other.pid,
                                                 "started": A.process_start(other.pid), "window": "x"}))
        assert A.pending_recoveries() == []  # another editor, alive: its work
        A.lock_path(path).write_text(json.dumps({"host": "another-machine", "pid": 1, "window": "x"}))
        assert A.pending_recoveries() == []  # a window on another machine sharing this folder
    finally:
        other.kill()
        other.wait()
    A.lock_path(path).write_text(json.dumps({"host": socket.gethostname(), "pid": dead_pid(), "window": "x"}))
    assert [r.autosave for r in A.pending_recoveries()] == [path]  # its process died: a real crash leftover
    if A.process_start(os.getpid()) is not None:  # a reused pid: alive, but not the process that locked
        A.lock_path(path).write_text(json.dumps({"host": socket.gethostname(), "pid": os.getppid(),
                                                 "started": "1", "window": "x"}))
        assert [r.autosave for r in A.pending_recoveries()] == [path]
