"""One file redacted in one step: analyse, apply the style, export (the `redact` command, and each
file of a batch). Detectors loaded once can be passed in and reused across files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..analysis import analyze
from ..export import ExportResult, export_video
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
                check: Callable | None = None) -> Redaction:
    """Redact `source` into `output` (and its audit report); optionally save the analysed project.

    `force` as in export_video: whether an existing output may be replaced (callers that own the
    output folder, such as a batch, decide that before calling). `check(path, info, project)`: run on
    the written file before it is put in place (the leak check); its result is the report's "verify".
    """
    source = Path(source)
    if not source.is_file():  # before loading models, so the message is about the file
        raise MediaError(f"{source} does not exist" if not source.exists() else f"{source} is not a file")
    project = analyze(source, settings=params.analysis, progress=progress, cancel=cancel, detectors=detectors)
    project.default_style = params.style
    project.export = params.export
    project.remove_audio = params.remove_audio
    if project_path is not None:
        save_project(project, project_path)
    # check(path, info, project): the leak check (core.verify) on the written file, for the report
    result = export_video(project, output, params.export, progress=progress, cancel=cancel,
                          report_path=report_path, force=force,
                          check=None if check is None else (lambda path, info: check(path, info, project)))
    return Redaction(project, result)
