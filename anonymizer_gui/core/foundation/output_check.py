"""The one output-safety check: may this command write that file? Asked before any work.

    out = check_output(args.output, "project", reads=[("input video", video)], suffixes=(".json",),
                       force=args.force)

Every command and dialog that writes a file calls it first, for every file it will write (analyze,
export and its report, redact, verify's JSON, batch, track export, Save / Save As), then writes through
the one atomic writer (atomic_file), so an existing file is replaced whole or not at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .atomic_file import hidden_name
from .errors import OutputError

Named = Iterable[tuple[str, "str | os.PathLike | None"]]


def check_output(output: str | os.PathLike, what: str = "output", *, reads: Named = (), writes: Named = (),
                 suffixes: Iterable[str] | None = None, force: bool = False,
                 error: type[OutputError] = OutputError) -> Path:
    """The absolute path to write `output` (the `what`, e.g. "project"), or `error` saying why not.

    Refused, in this order, each with one sentence naming the file:
    - `output` is a folder;
    - it is a file the command reads (`reads`: (what, path) pairs such as ("input video", clip)),
      in any spelling: the same path, `..`, a symbolic link, a hard link, or a case variant on a
      case-insensitive file system (os.path.samefile compares the inode, so all of these match);
    - it is another file the same command writes (`writes`: (what, path) pairs, e.g. the report);
    - its suffix is not one of `suffixes` (compared in lower case; None: any);
    - its folder is missing, not a folder, or not writable;
    - it exists and is not a regular file (a device such as /dev/null, a pipe), even with `force`;
    - it exists (or is a dangling link) and `force` is False. With `force` the caller replaces it
      through the atomic writer; a file the command reads is refused even with `force`.
    Pairs whose path is None are skipped. Only the file system's metadata is read: call it before
    decoding, hashing or loading models, so a wrong path costs the user nothing.
    """
    out = Path(os.path.abspath(os.path.expanduser(os.fspath(output))))
    longest, length = _name_max(out.parent), len(os.fsencode(out.name))
    extra = len(os.fsencode(hidden_name(out))) - length
    if length + extra > longest:  # refused here, not by the file system after all the work
        raise error(f"the {what} file name {out.name[:40]}... is {length} bytes long; with the {extra} bytes its "
                    f"temporary file adds, that is over the {longest}-byte limit of file names here; choose a "
                    "shorter name")
    if out.is_dir():
        raise error(f"the {what} {out} is a folder; give a file name inside it")
    for other, path in reads:
        if path is not None and same_file(out, Path(path)):
            raise error(f"the {what} {out} is the {other} ({path}); choose another file name, "
                        "the input is never overwritten")
    for other, path in writes:
        if path is not None and same_file(out, Path(path)):
            raise error(f"the {what} {out} is also the {other}; choose another file name")
    if suffixes is not None:
        allowed = tuple(dict.fromkeys(s.lower() for s in suffixes))
        if out.suffix.lower() not in allowed:
            raise error(f"cannot write '{out.suffix or out.name}' files; name the {what} with one of "
                        f"{', '.join(sorted(allowed))}")
    folder = out.parent
    if not folder.exists():
        raise error(f"the {what} folder {folder} does not exist")
    if not folder.is_dir():
        raise error(f"the {what} folder {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise error(f"cannot write into the {what} folder {folder}: permission denied")
    if out.exists() and not out.is_file():  # a device or a pipe (/dev/null): a rename would replace it
        raise error(f"the {what} {out} is not a regular file; choose another file name")
    if not force and os.path.lexists(out):
        raise error(f"the {what} {out} already exists; choose another file name, or give --force to "
                    "replace it")
    return out


def _name_max(folder: Path) -> int:
    """Bytes a file name may have in `folder` (255 where the system cannot say)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf; a missing folder
        return 255


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when a and b name one file: the same inode (links, case variants), else the same path."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass  # one of them does not exist (yet)
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
