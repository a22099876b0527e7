"""Export as a background job: core.export.export_video on a snapshot of the project.

The snapshot (a deep copy) is taken when the job STARTS, not when it is asked for: an export queued
behind a running analysis must carry the tracks that analysis delivers. The operator can go on
editing while it runs. An analysis that was cancelled or stopped short is exported only when
`ask_incomplete` (called on the UI thread, at start) says so; otherwise the job is cancelled before
it writes anything. The written file is checked for leaks (core.verify) and the report holds the
result. What the editor shows when it ends is the shell's business (Worker signals).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject

from ...core.foundation import Cancelled
from ...core.project import ExportSettings
from ..document.document import ProjectDocument
from .worker import Worker

# Asked at the start of an export whose analysis is incomplete, with the analysis state
# (core.export.analysis_state); True exports anyway (the report says so).
AskIncomplete = Callable[[dict], bool]


def leak_check(project, path: Path, info, cancel, loading=None) -> dict:
    """core.verify on the written file (the report's "verify" entry); "not_run" with the reason when
    it cannot run (no detector weights): the export is then written but unproven. `loading`: a
    Future of the detectors, loading while the export encoded (core.verify.preload_verify_detectors)."""
    from ...core.foundation import AnonymizerError
    from ...core.verify import verify_export

    try:
        loaded = loading.result() if loading is not None else None
        return verify_export(project, path, detectors=loaded, check_source=False, output_info=info,
                             cancel=cancel).to_json()
    except Cancelled:
        raise
    except AnonymizerError as exc:
        return {"verdict": "not_run", "error": str(exc)}


def export_worker(doc: ProjectDocument, output: Path, settings: ExportSettings,
                  parent: QObject | None = None, ask_incomplete: AskIncomplete | None = None,
                  verify: bool = True) -> Worker:
    """A Worker that writes the document's project, as it is when the job starts, to `output`, and
    (`verify`) checks the written file for leaks before it is put in place (core.verify)."""
    output = Path(output)
    settings = copy.deepcopy(settings)
    taken: dict = {}

    def job(progress, cancel):
        from ...core.export import export_video  # on the worker thread: its imports would stall the UI

        if cancel():  # refused at start (an incomplete analysis the operator did not want out)
            raise Cancelled("export cancelled")
        project = taken["project"]
        check = None
        if verify:
            from ...core.verify import preload_verify_detectors

            loading = preload_verify_detectors(project)
            check = lambda path, info: leak_check(project, path, info, cancel, loading)  # noqa: E731
        return export_video(project, output, settings, progress, cancel,
                            allow_incomplete=taken["allow_incomplete"], check=check)

    worker = Worker(job, f"Exporting {output.name}", parent)

    def snapshot() -> None:
        from ...core.export import analysis_state

        project = copy.deepcopy(doc.project)
        project.export = copy.deepcopy(settings)
        state = analysis_state(project, doc.frame_count or project.media.frame_count)
        allowed = state["complete"] or (ask_incomplete is not None and bool(ask_incomplete(state)))
        taken.update(project=project, allow_incomplete=allowed)
        if not state["complete"] and not allowed:
            worker.cancel()  # nothing is written; the job reports "cancelled"

    worker.starting.connect(snapshot)
    return worker
