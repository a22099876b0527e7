"""Where an export may write, and writing there without ever leaving a half-written file.

- The output is never one of the protected files (the input video, the project), whatever the
  path says: foundation.check_output, the one output-safety check, refuses it.
- Everything is written to a hidden temporary file in the target folder, with the target's
  suffix so the muxer picks the right format, and renamed over the target (atomic on one file
  system) only when complete. On cancel, error or a full disk the temporary file is removed and
  nothing else is touched.
"""

from __future__ import annotations

import errno
from pathlib import Path

from ..foundation import AtomicFile, ExportError, same_file  # noqa: F401 - export's face re-exports it
from ..foundation import write_bytes_atomic as write_atomic

DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


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
