"""Where the program keeps its per-user files (XDG base directories), each overridable by an
environment variable so tests and benchmarks can use folders of their own."""

from __future__ import annotations

import os
from pathlib import Path

APP_DIR = "anonymizer-gui"
_XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "data": ("XDG_DATA_HOME", ".local/share"),
        "cache": ("XDG_CACHE_HOME", ".cache")}


def user_dir(kind: str, override_env: str | None = None) -> Path:
    """The program's folder of `kind` (config, data or cache); `override_env` names a variable that,
    when set, is used as the folder itself."""
    if override_env and os.environ.get(override_env):
        return Path(os.environ[override_env])
    var, default = _XDG[kind]
    return Path(os.environ.get(var) or Path.home() / default) / APP_DIR
