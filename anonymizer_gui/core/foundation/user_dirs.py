"""Where the program keeps its per-user files: the platform's own folders (XDG on Linux, AppData on
Windows, Library on macOS, through platformdirs), each overridable by an environment variable so
tests, benchmarks and portable installs can use folders of their own."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR = "anonymizer-gui"
_FOLDERS = {"config": platformdirs.user_config_dir, "data": platformdirs.user_data_dir,
            "cache": platformdirs.user_cache_dir}


def user_dir(kind: str, override_env: str | None = None) -> Path:
    """The program's folder of `kind` (config, data or cache); `override_env` names a variable that,
    when set, is used as the folder itself."""
    if override_env and os.environ.get(override_env):
        return Path(os.environ[override_env])
    return Path(_FOLDERS[kind](APP_DIR, appauthor=False))
