"""Files shipped with the program (the model manifest, the icon), found where the install put them.

In a wheel they are the package data folders `anonymizer_gui/models` and `anonymizer_gui/resources`
(pyproject.toml maps the top-level `models/` and `resources/` there); in a source checkout or an
editable install they are those top-level folders themselves.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parents[3]


def package_file(folder: str, name: str) -> Path:
    """The path of `name` in the shipped `folder` ("models" or "resources")."""
    try:
        candidate = resources.files(f"anonymizer_gui.{folder}") / name
        if isinstance(candidate, Path) and candidate.is_file():
            return candidate
    except ModuleNotFoundError:
        pass  # a source checkout run without installing, or an editable install without the mapping
    return _SOURCE_TREE / folder / name
