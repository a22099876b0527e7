"""Export as a background job: core.export.export_video on a snapshot of the project.

The job works on a deep copy taken when it is created, so the operator can go on editing while it
runs. What the editor shows when it ends (a message, the report) is the shell's business: it
listens to the Worker's signals.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QObject

from ...core.project import ExportSettings
from ..document.document import ProjectDocument
from .worker import Worker


def export_worker(doc: ProjectDocument, output: Path, settings: ExportSettings,
                  parent: QObject | None = None) -> Worker:
    """A Worker that writes the document's project, as it is now, to `output`."""
    project = copy.deepcopy(doc.project)
    project.export = copy.deepcopy(settings)
    output = Path(output)

    def job(progress, cancel):
        from ...core.export import export_video  # on the worker thread: its imports would stall the UI

        return export_video(project, output, settings, progress, cancel)

    return Worker(job, f"Exporting {output.name}", parent)
