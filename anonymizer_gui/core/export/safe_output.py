"""Where an export may write, and writing there without ever leaving a half-written file.

- The output is never one of the protected files (the input video, the project), whatever the
  path says: symbolic links, hard links and case-insensitive file systems all resolve to the
  same inode, which os.path.samefile compares.
- Everything is written to a hidden temporary file in the target folder, with the target's
  suffix so the muxer picks the right format, and renamed over the target (atomic on one file
  system) only when complete. On cancel, error or a full disk the temporary file is removed and
  nothing else is touched.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterable

from ..foundation import AtomicFile, ExportError
from ..foundation import write_bytes_atomic as write_atomic

DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def check_output(output: str | os.PathLike, protected: Iterable[tuple[str, str | os.PathLike]]) -> Path:
    """The absolute output path, or ExportError when it may not be written.

    `protected` holds (what, path) pairs such as ("input video", media_path).
    """
    out = Path(os.path.abspath(os.path.expanduser(os.fspath(output))))
    folder = out.parent
    if out.is_dir():
        raise ExportError(f"the output {out} is a folder; give a file name inside it")
    for what, path in protected:
        if same_file(out, Path(path)):
            raise ExportError(f"the output {out} is the {what} ({path}); choose another file name, "
                              "the input is never overwritten")
    if not folder.exists():
        raise ExportError(f"the output folder {folder} does not exist")
    if not folder.is_dir():
        raise ExportError(f"the output folder {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write into the output folder {folder}: permission denied")
    return out


def same_file(a: Path, b: Path) -> bool:
    """True when a and b name one file: same path after links, or the same inode (hard links)."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass  # one of them does not exist (yet)
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def write_error(exc: OSError, target: Path) -> ExportError:
    """The ExportError for an OSError met while writing `target`."""
    if exc.errno in DISK_FULL_ERRNOS:
        return ExportError(f"the disk is full: {target.name} could not be written to {target.parent}; "
                           "free some space and export again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportError(f"cannot write into the output folder {target.parent}: permission denied")
    reason = exc.strerror or str(exc)
    return ExportError(f"cannot write {target}: {reason}")


class TempFile(AtomicFile):
    """The export's atomic file: its OSErrors become ExportErrors with a clear message."""

    def __init__(self, target: Path):
        super().__init__(target, write_error)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically, with the export's error messages."""
    write_atomic(target, data, write_error)
