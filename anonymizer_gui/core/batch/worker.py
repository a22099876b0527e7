"""One file of a batch, as any worker runs it (a pool process, a Ray task or the calling thread).

Detectors are loaded once per worker process and kept for every later file with the same
parameters. Any failure of one file becomes a "failed" entry with a one-line reason, so the
other files go on; only a cancel goes up.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Callable

from ..analysis import load_detectors
from ..foundation import AnonymizerError, Cancelled, CancelFn, Progress, file_sha256
from .params import RedactParams
from .redact import redact_file

FramesFn = Callable[[str, float], None]  # (file, frames done so far, analysis and export counted half each)

_detectors: dict[str, dict] = {}  # per process: parameters key -> loaded detectors


def detectors_for(params: RedactParams) -> dict:
    from .manifest import params_key

    key = params_key(params)
    if key not in _detectors:
        _detectors.clear()  # one set at a time: a worker serves one batch
        _detectors[key] = load_detectors(params.analysis.classes, params.analysis)
    return _detectors[key]


def process_one(job: dict, params: RedactParams, on_frames: FramesFn | None = None,
                cancel: CancelFn | None = None, detectors: dict | None = None) -> dict:
    """Redact one file of a batch; the manifest entry for it (status "done" or "failed")."""
    started = time.monotonic()
    rel, source, output, report = job["rel"], Path(job["source"]), Path(job["output"]), Path(job["report"])
    entry: dict = {"status": "failed", "output": Path(job["output_rel"]).as_posix() if "output_rel" in job else None}

    def progress(p: Progress) -> None:
        if on_frames is not None and p.total:
            half = p.done / 2 if p.stage != "export" else p.total / 2 + p.done / 2
            on_frames(rel, half)

    try:
        found = detectors if detectors is not None else detectors_for(params)
        output.parent.mkdir(parents=True, exist_ok=True)
        done = redact_file(source, output, params, detectors=found, progress=progress, cancel=cancel,
                           report_path=report)
    except Cancelled:
        raise
    except AnonymizerError as exc:
        entry["error"] = str(exc)
    except MemoryError:
        entry["error"] = "out of memory"
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not stop the batch
        entry["error"] = f"internal error ({type(exc).__name__}: {exc})"
    else:
        r = done.export.report
        entry = {
            "status": "done", "input_sha256": r["input"]["sha256"], "input_size": r["input"]["size"],
            "output": entry["output"], "output_sha256": r["output"]["sha256"],
            "report_sha256": file_sha256(done.export.report_path),
            "frames": r["frames"]["total"], "frames_masked": r["frames"]["with_mask"],
            "masks_drawn": r["settings"].get("masks_drawn"),
            "tracks": dict(Counter(t.label for t in done.project.tracks)),
            # export_video re-reads what it wrote and refuses a file that lost frames
            "verify": {"frames_read_back": r["output"]["probe"]["frame_count"],
                       "ok": r["output"]["probe"]["frame_count"] == r["frames"]["total"]},
            "provider": done.project.analysis.get("provider"),
        }
    entry["seconds"] = round(time.monotonic() - started, 3)
    return entry
