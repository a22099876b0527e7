"""Where the editor keeps its settings and its own files, and the names of the settings.

Every location can be redirected by an environment variable (read at each call, so tests and
portable installs can point them elsewhere): QSettings caches Qt's own default paths once per
process, so the editor always names its settings file explicitly.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ...core.foundation import user_dir

APP_NAME = "anonymizer-gui"
APP_DISPLAY_NAME = "Anonymizer"
ORG_NAME = "anonymizer-gui"

# Setting keys, in one place so a typo cannot create a second setting.
GEOMETRY = "window/geometry"
WINDOW_STATE = "window/state"
RECENT_FILES = "files/recent"
LAST_DIR = "files/lastDir"
THEME = "view/theme"  # "dark" | "light"
ANALYSE_ON_OPEN = "analysis/startOnOpen"  # bool: analyse a newly opened video at once
AUTOSAVE_INTERVAL_MS = "autosave/intervalMs"
OPERATOR = "review/operator"  # name recorded with each review decision (default: the OS user)
REASONS = "review/reasons"  # JSON list of {"code", "text", "legal_basis"}
REQUIRE_REVIEW = "review/requireReview"  # bool: refuse to export while tracks are unreviewed
REVIEW_PLAY = "review/playSpan"  # bool: play the track's span in a loop when the queue shows it
ANALYSIS_SETTINGS = "analysis/settings"  # JSON: classes, thresholds, device, detect_every
LANE_HEIGHT = "view/laneHeight"

DEFAULT_AUTOSAVE_INTERVAL_MS = 60_000
MAX_RECENT_FILES = 10


def config_dir() -> Path:
    return user_dir("config", "ANONYMIZER_GUI_CONFIG_DIR")


def data_dir() -> Path:
    """Autosaves of never-saved projects live here."""
    return user_dir("data", "ANONYMIZER_GUI_DATA_DIR")


def app_settings() -> QSettings:
    return QSettings(str(config_dir() / "editor.ini"), QSettings.Format.IniFormat)


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    if isinstance(value, str):  # INI files store booleans as text
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def read_int(settings: QSettings, key: str, default: int) -> int:
    try:
        return int(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_list(settings: QSettings, key: str) -> list[str]:
    value = settings.value(key, [])
    if value is None:
        return []
    if isinstance(value, str):  # a one-element list comes back as a plain string
        return [value] if value else []
    return [str(v) for v in value]


def read_reasons(settings: QSettings):
    """The reason list from the settings; the defaults when unset or unreadable."""
    import json

    from ...core.project import DEFAULT_REASONS, Reason

    raw = settings.value(REASONS, "")
    try:
        items = json.loads(raw) if raw else None
        reasons = [Reason(str(i["code"]), str(i["text"]), str(i.get("legal_basis", ""))) for i in items or []]
    except (TypeError, ValueError, KeyError):
        reasons = []
    return reasons or [Reason(r.code, r.text, r.legal_basis) for r in DEFAULT_REASONS]


def write_reasons(settings: QSettings, reasons) -> None:
    import json

    settings.setValue(REASONS, json.dumps([{"code": r.code, "text": r.text, "legal_basis": r.legal_basis}
                                           for r in reasons]))
