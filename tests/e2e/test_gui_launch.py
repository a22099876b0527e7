"""Starting the editor: the advice instead of Qt's abort when xcb libraries or the display are missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from anonymizer_gui.ui.app import launch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def x11_env(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")


def test_missing_xcb_libraries_print_the_apt_get_line_and_exit_1(x11_env, monkeypatch, capsys):
    monkeypatch.setattr(launch, "missing_xcb_libraries",
                        lambda: ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    monkeypatch.setattr(launch.sys, "platform", "linux")
    assert launch.launch_gui([]) == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in err
    assert "libxcb-cursor.so.0" in err and "Aborted" not in err


def test_an_unknown_missing_library_is_named(x11_env, monkeypatch):
    monkeypatch.setattr(launch, "missing_xcb_libraries", lambda: ["libxcb-new-thing.so.9"])
    message = launch.display_problem(platform="linux")
    assert "libxcb-new-thing.so.9" in message and "apt-file search" in message


def test_no_display_says_so_without_starting_qt():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "anonymizer_gui"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert "no display" in proc.stderr and "xvfb-run" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_other_platforms_and_offscreen_skip_the_check(monkeypatch):
    monkeypatch.setattr(launch, "missing_xcb_libraries", lambda: pytest.fail("checked"))
    assert launch.display_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert launch.display_problem({"DISPLAY": ":0"}, platform="win32") is None
    assert launch.display_problem({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"},
                                  platform="linux") is None


def test_the_library_check_loads_each_soname(monkeypatch):
    table = {"libc.so.6": "libc6", "libanonymizer-test-absent.so.1": "libanonymizer-test-absent1"}
    monkeypatch.setattr(launch, "XCB_LIBRARIES", table)
    monkeypatch.setattr(launch, "xcb_plugin_path", lambda: None)
    assert launch.missing_xcb_libraries() == ["libanonymizer-test-absent.so.1"]
    assert "sudo apt-get install libanonymizer-test-absent1" in launch.xcb_advice(launch.missing_xcb_libraries())


def test_arguments():
    args = launch.parse_args(["clip.mp4", "--reset-settings"])
    assert args.file == "clip.mp4" and args.reset_settings and not args.demo
    assert launch.parse_args(["--demo"]).demo
