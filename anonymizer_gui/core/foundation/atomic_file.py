"""The one atomic writer: a hidden file beside the target, renamed over it only when complete.

Readers see the old file or the new one, never half of either; on cancel, error or a full disk the
hidden file is removed and nothing else is touched. Exports, reports, projects and autosaves all
write through it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Callable

ErrorFor = Callable[[OSError, Path], Exception]


class AtomicFile:
    """A hidden file beside `target` that becomes `target` on commit(), or vanishes.

    Created with O_EXCL (never reuses a name) and default permissions, so the committed file gets the
    same mode as any file the user creates. It keeps the target's suffix, so a muxer writing into
    `path` picks the right format. `error_for` turns an OSError into the caller's own error;
    without it the OSError goes up as it is.
    """

    def __init__(self, target: Path, error_for: ErrorFor | None = None):
        self.target = Path(target)
        self.committed = False
        self._error_for = error_for
        for _ in range(16):
            path = self.target.parent / hidden_name(self.target, secrets.token_hex(4))
            try:
                create_exclusive(path)
            except FileExistsError:
                continue
            except OSError as exc:
                raise self._error(exc) from None
            self.path = path
            return
        raise self._error(FileExistsError(f"cannot create a temporary file in {self.target.parent}"))

    def _error(self, exc: OSError) -> Exception:
        return self._error_for(exc, self.target) if self._error_for else exc

    def write_bytes(self, data: bytes) -> None:
        try:
            with open(self.path, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise self._error(exc) from None

    def commit(self) -> None:
        try:
            os.replace(self.path, self.target)
        except OSError as exc:
            raise self._error(exc) from None
        self.committed = True

    def discard(self) -> None:
        if not self.committed:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def hidden_name(target: Path, token: str = "0" * 8) -> str:
    """The name of the hidden file for `target` (`token`: 8 random hex digits)."""
    return f".{target.stem}.{token}.partial{target.suffix}"


def create_exclusive(path: Path) -> None:
    """Create an empty file that did not exist (FileExistsError otherwise)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


def write_bytes_atomic(target: Path, data: bytes, error_for: ErrorFor | None = None) -> None:
    with AtomicFile(Path(target), error_for) as tmp:
        tmp.write_bytes(data)
        tmp.commit()


def write_text_atomic(target: Path, text: str, error_for: ErrorFor | None = None) -> None:
    write_bytes_atomic(target, text.encode("utf-8"), error_for)
