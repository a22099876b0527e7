"""Whether this machine has an NVIDIA driver: asked by the detectors (CUDA) and the export (NVENC)."""

from __future__ import annotations

import ctypes
import functools
import sys


@functools.lru_cache(maxsize=1)
def nvidia_driver_loads() -> bool:
    """True where the NVIDIA driver library loads (libcuda / nvcuda.dll); never on macOS."""
    names = {"win32": ["nvcuda.dll"], "darwin": []}.get(sys.platform, ["libcuda.so.1", "libcuda.so"])
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False
