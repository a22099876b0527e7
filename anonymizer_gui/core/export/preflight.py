"""Everything an export can refuse without decoding a frame, asked before any work.

Callers that write more than the video (redact's project, a batch's list) pass those files in
`writes`, and the files they read (the project file) in `reads`, so one call covers the command.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..foundation import ExportError, check_output
from ..media import STILL_SUFFIXES
from ..project import ExportSettings
from .report import default_report_path
from .streams import check_encoder_settings

Named = list[tuple[str, "str | os.PathLike | None"]]


def check_export(media: str | os.PathLike, output: str | os.PathLike, settings: ExportSettings,
                 report_path: str | os.PathLike | None = None, *, reads: Named = (), writes: Named = (),
                 force: bool = False) -> tuple[Path, Path]:
    """The (output, report) paths an export of `media` would write, or ExportError.

    foundation.check_output for both files (never an input in any spelling, never each other or
    `writes`, folder writable, an existing file only with `force`), then the output's suffix for the
    input's kind (a still image stays a still) and the encoder settings (codec, CRF, preset).
    """
    media = Path(media)
    protected = [("input video", media), *reads]
    out = check_output(output, "output", reads=protected, writes=writes, force=force, error=ExportError)
    if media.suffix.lower() in STILL_SUFFIXES:
        if out.suffix.lower() not in STILL_SUFFIXES:
            raise ExportError("the input is a still image; name the output with one of "
                              f"{', '.join(STILL_SUFFIXES)}")
    else:
        check_encoder_settings(out, settings)
    report = check_output(report_path if report_path is not None else default_report_path(out), "report",
                          reads=protected, writes=[("output", out), *writes], force=force, error=ExportError)
    return out, report
