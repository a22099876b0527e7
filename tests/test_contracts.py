"""The house rules of ../shared/ARCHITECTURE.md, checked on every run.

- import-linter's contracts (pyproject.toml [tool.importlinter]): engine layers in the order of the data
  flow, no Qt in core, views never import the shell or jobs, only the shell imports the main window;
- a planted violation makes them fail (so the contracts are not vacuous);
- other packages use a core package only through its `__init__`;
- the wheel's explicit package list names every package folder.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "anonymizer_gui"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run([str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=package_parent, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "0 broken" in result.stdout


@pytest.mark.parametrize("module, planted", [
    ("core/media/info.py", "from ...ui.document import document"),  # the engine imports the editor
    ("core/project/model.py", "from ..export import export_video"),  # a layer imports upwards
    ("ui/timeline/lanes.py", "from ..shell import main_window"),  # a view imports the shell
])
def test_a_planted_violation_breaks_the_contracts(tmp_path, module, planted):
    copy = tmp_path / "anonymizer_gui"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{planted}  # planted by the contract test\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout + result.stderr


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _imported_modules(path: Path):
    name, is_package = _module_name(path)
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_core_packages_are_used_only_through_their_faces():
    """`from ..media import probe`, never `from ..media.reader import FrameReader`, outside core.media."""
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name, _ = _module_name(path)
        for line, target in _imported_modules(path):
            parts = target.split(".")
            if len(parts) > 3 and parts[:2] == ["anonymizer_gui", "core"]:
                owner = ".".join(parts[:3])
                if not (name == owner or name.startswith(owner + ".")):
                    offences.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not offences, "import these through the package's __init__:\n" + "\n".join(offences)


def test_no_loose_modules_in_core():
    loose = [p.name for p in (PACKAGE / "core").glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"core modules belong in a sub-package: {loose}"


def test_only_the_shell_and_the_app_entry_name_the_main_window():
    users = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
             if "main_window" in p.read_text() and p.parent.name not in ("shell", "app")]
    assert not users


def test_the_wheel_lists_every_package_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert {"anonymizer_gui.models", "anonymizer_gui.resources"} <= listed
    assert config["package-dir"] == {"anonymizer_gui.models": "models", "anonymizer_gui.resources": "resources"}
