"""One file redacted in one step: analyse, apply the style, export (the `redact` command, and each
file of a batch). Detectors loaded once can be passed in and reused across files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..analysis import redact
from ..export import ExportResult
from ..foundation import CancelFn, MediaError, ProgressFn
from ..project import Project, save_project
from .params import RedactParams


@dataclass
class Redaction:
    project: Project
    export: ExportResult


def redact_file(source: str | os.PathLike, output: str | os.PathLike, params: RedactParams, *,
                detectors: Mapping | None = None, progress: ProgressFn | None = None,
                cancel: CancelFn | None = None, project_path: str | os.PathLike | None = None,
                report_path: str | os.PathLike | None = None, force: bool = True,
                check: Callable | None = None, pipelined: bool = True) -> Redaction:
    """Redact `source` into `output` (and its audit report); optionally save the analysed project.

    `force` as in export_video: whether an existing output may be replaced (callers that own the
    output folder, such as a batch, decide that before calling). `check(path, info, project)`: run on
    the written file before it is put in place (the leak check); its result is the report's "verify".
    `pipelined`: analysis and export overlapped (the default; same output), or one after the other.
    """
    source = Path(source)
    if not source.is_file():  # before loading models, so the message is about the file
        raise MediaError(f"{source} does not exist" if not source.exists() else f"{source} is not a file")
    # Analysis and export overlap (core.analysis.redact); the project is saved once the analysis is
    # complete, before the output is put in place. check(path, info, project): the leak check
    # (core.verify) on the written file, for the report.
    project, result = redact(source, output, params.analysis, style=params.style, export=params.export,
                             progress=progress, cancel=cancel, detectors=detectors, report_path=report_path,
                             pipelined=pipelined, remove_audio=params.remove_audio, force=force, check=check,
                             on_analysed=None if project_path is None else (lambda p: save_project(p, project_path)))
    return Redaction(project, result)
