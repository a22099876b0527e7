"""SHA-256 of a file, read in chunks so a long video can report progress and be cancelled."""

from __future__ import annotations

import hashlib
import os

from .errors import Cancelled
from .progress import CancelFn, ProgressFn, ProgressMeter

CHUNK = 4 << 20  # hashlib releases the GIL on chunks this large, so hashing overlaps other threads


def file_sha256(path: str | os.PathLike, progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                stage: str = "hash") -> str:
    """Hex SHA-256 of `path`; progress counts bytes; raises Cancelled when `cancel()` turns true."""
    meter = ProgressMeter(stage, os.path.getsize(path), progress, cancel) if progress else None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            if meter is not None:
                meter.advance(len(chunk))
            elif cancel is not None and cancel():
                raise Cancelled()
    return digest.hexdigest()
