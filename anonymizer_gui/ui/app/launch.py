"""Start the editor: arguments, a check of what Qt's xcb plugin needs, the application and the window.

PySide6's xcb platform plugin links to X libraries that a fresh Debian/Ubuntu may lack; Qt then
aborts with a message that does not name the package. We check before Qt loads the plugin and
print the `apt-get install` line instead.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

# soname -> Debian/Ubuntu package. The xcb plugin and libQt6XcbQpa load these (PySide6 6.5+).
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    from ...cli import ArgumentParser  # usage errors exit 1 with one `error:` line, as the subcommands do

    parser = ArgumentParser(
        prog="anonymizer-gui",
        description="Review-and-redact video editor. Subcommands (probe, analyze, redact, export, models) "
                    "run without a window; see `anonymizer-gui --help`.")
    parser.add_argument("file", nargs="?", metavar="FILE", help="a video, a picture (JPEG/PNG) or a project .json")
    parser.add_argument("--demo", action="store_true",
                        help="open a short demo clip made from photographs and analyse it at once")
    parser.add_argument("--reset-settings", action="store_true",
                        help="forget the window layout, recent files and preferences")
    parser.add_argument("--quit-when-idle", action="store_true",
                        help="for scripted checks: quit once the file is open and every job has finished, "
                             "printing the number of tracks")
    return parser.parse_args(argv)


# -- display checks (no Qt imported yet) -----------------------------------------------------
def uses_xcb(env: os._Environ | dict = os.environ) -> bool:
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0].split(";")[0] == "xcb"
    # Qt 6 prefers Wayland in a Wayland session and falls back to xcb only without it.
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "").lower() == "wayland")


def xcb_plugin_path() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    path = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.is_file() else None


def missing_xcb_libraries() -> list[str]:
    """Sonames the xcb plugin needs that the dynamic loader cannot find."""
    missing = []
    for soname in XCB_LIBRARIES:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    plugin = xcb_plugin_path()
    if plugin is not None and shutil.which("ldd"):
        # ldd also catches a library that a newer PySide6 needs and the table above does not list.
        try:
            out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in out.splitlines():
            if "not found" in line:
                soname = line.split("=>")[0].strip()
                if soname and soname not in missing:
                    missing.append(soname)
    return missing


def xcb_advice(missing: list[str]) -> str:
    packages = list(dict.fromkeys(XCB_LIBRARIES.get(s, "") for s in missing if s in XCB_LIBRARIES))
    unknown = [s for s in missing if s not in XCB_LIBRARIES]
    lines = ["error: the editor cannot open a window: Qt's X11 (xcb) platform plugin needs system "
             f"libraries that are not installed: {', '.join(missing)}."]
    if packages:
        lines.append("Install them with:")
        lines.append(f"    sudo apt-get install {' '.join(packages)}")
    if unknown:
        lines.append(f"Find the package that provides {', '.join(unknown)} (e.g. `apt-file search "
                     f"{unknown[0]}`) and install it.")
    lines.append("The headless commands (probe, analyze, redact, export, models) work without them.")
    return "\n".join(lines)


def display_problem(env: os._Environ | dict = os.environ, platform: str = sys.platform) -> str | None:
    """A message when the editor cannot show a window here, else None."""
    if not platform.startswith("linux") or not uses_xcb(env):
        return None
    if not env.get("DISPLAY"):
        return ("error: no display: the editor needs a graphical desktop (DISPLAY is not set). Start it from "
                "a desktop session, run it under `xvfb-run anonymizer-gui`, or use the headless commands "
                "(`anonymizer-gui --help`).")
    missing = missing_xcb_libraries()
    return xcb_advice(missing) if missing else None


# -- start ------------------------------------------------------------------------------------
def launch_gui(argv: list[str]) -> int:
    args = parse_args(argv)
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1

    from .application import create_application
    from ..shell.error_dialog import install_excepthook
    from ..shell.main_window import MainWindow
    from . import settings as S
    from .quit_signals import QuitOnSignals

    if args.reset_settings:
        S.app_settings().clear()
    app = create_application([])
    install_excepthook()
    window = MainWindow()

    def quit_cleanly(_signum: int) -> None:
        window.shutdown()  # no questions: unsaved edits go to the autosave, jobs are cancelled
        app.quit()

    quit_on_signals = QuitOnSignals(quit_cleanly)
    window.show()
    window.start(file=args.file, demo=args.demo)
    from PySide6.QtCore import QTimer

    if args.quit_when_idle:
        idle = QTimer()
        idle.timeout.connect(lambda: _quit_if_idle(window, app))
        idle.start(300)
    try:
        return int(app.exec())
    finally:
        quit_on_signals.restore()


def _quit_if_idle(window, app) -> None:
    jobs = window.job_bar
    if window.doc.project is None or jobs.running() or jobs.queued():
        return
    print(f"{len(window.doc.project.tracks)} tracks", flush=True)
    window.doc.undo_stack.setClean()  # nothing to save: the check only looked
    window.close()
    app.quit()
