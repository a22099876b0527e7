"""A folder of videos and images redacted file by file, resumable, with a manifest.

    summary = run_batch(input_dir, output_dir, params, backend=ProcessBackend(), events=...)

Before any work: the folders are checked, the models verified (a missing model stops the batch
at once instead of failing every file), and files whose outputs and reports already match the
manifest of an earlier run with the same parameters are skipped. The rest run on the backend;
each finished file lands in the manifest at once (see manifest.py). Cancel stops the files in
flight; what finished stays finished.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..foundation import CancelFn, MediaError, OutputError
from ..media import probe
from .manifest import ManifestWriter, load_previous, new_manifest, still_matches
from .params import RedactParams
from .plan import BatchItem, plan_batch


class BatchEvents(Protocol):
    def planned(self, files: int, frames: int, skipped: int, ignored: list[str], same_params: bool) -> None: ...
    def frames(self, done: float) -> None: ...
    def file_done(self, rel: str, entry: dict) -> None: ...


@dataclass
class BatchSummary:
    output_dir: Path
    manifest_path: Path
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # input path -> reason
    ignored: list[str] = field(default_factory=list)
    seconds: float = 0.0


def model_records(params: RedactParams) -> list[dict]:
    """Name and SHA-256 of each model the parameters use, checked on disk (ModelError if not there)."""
    from ..detect import model_path, resolve_spec

    records = []
    for label in params.analysis.classes:
        spec = resolve_spec(params.analysis.models.get(label, label))
        model_path(spec.name)  # ModelError naming the fix when missing or altered
        records.append({"class": label, "name": spec.name, "family": spec.family, "sha256": spec.sha256})
    return records


def run_batch(input_dir: str | Path, output_dir: str | Path, params: RedactParams, *, backend,
              events: BatchEvents | None = None, cancel: CancelFn | None = None,
              models: list[dict] | None = None, force: bool = False) -> BatchSummary:
    """Redact every media file under `input_dir` into `output_dir`; see the module notes.

    An output (or report) that exists but was not written by a batch into this folder is refused
    for that file, unless `force`.
    """
    started = time.monotonic()
    input_dir, output_dir = Path(input_dir).resolve(), Path(output_dir).resolve()
    items, ignored = plan_batch(input_dir, output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {output_dir}: {exc.strerror}") from None
    models = model_records(params) if models is None else models
    previous = load_previous(output_dir, params)
    manifest = new_manifest(input_dir, params, models)
    summary = BatchSummary(output_dir, output_dir / "manifest.json", ignored=ignored)
    todo: list[BatchItem] = []
    for item in items:
        entry = previous.entries.get(item.rel)
        if still_matches(entry, item.source, item.output, item.report):
            manifest["files"][item.rel] = entry
            summary.skipped.append(item.rel)
        else:
            todo.append(item)
    writer = ManifestWriter(output_dir, manifest, params)
    writer.start()
    frames_of, jobs, refused = {}, [], {}
    for item in todo:
        foreign = next((p for p in (item.output, item.report) if p.exists()), None)
        if foreign is not None and item.rel not in previous.owned and not force:
            refused[item.rel] = (f"{foreign} exists and was not written by a batch into this folder; move it "
                                    "away or use --force")
            continue
        try:
            frames_of[item.rel] = 1 if item.is_still else probe(item.source).frame_count
        except MediaError as exc:  # isolated: reported with the others, the rest go on
            refused[item.rel] = str(exc)
            continue
        jobs.append({**item.to_job(), "output_rel": item.output_rel})
    if events is not None:
        events.planned(len(items), sum(frames_of.values()), len(summary.skipped), ignored, previous.same_params)
    for rel, reason in refused.items():
        _finish(writer, summary, events, rel, {"status": "failed", "error": reason, "seconds": 0.0})
    progress: dict[str, float] = {}

    def on_frames(rel: str, frames: float) -> None:
        progress[rel] = min(frames, frames_of.get(rel, frames))
        if events is not None:
            events.frames(sum(progress.values()))

    def on_result(job: dict, entry: dict) -> None:
        on_frames(job["rel"], frames_of.get(job["rel"], 0))
        entry.setdefault("output", job["output_rel"])
        _finish(writer, summary, events, job["rel"], entry)

    try:
        backend.run(jobs, params, on_frames, on_result, cancel or (lambda: False))
    finally:
        summary.seconds = round(time.monotonic() - started, 3)
        manifest["seconds"] = summary.seconds
        writer.write(final=True)
    return summary


def _finish(writer: ManifestWriter, summary: BatchSummary, events, rel: str, entry: dict) -> None:
    writer.record(rel, entry, time.monotonic())
    if entry.get("status") == "done":
        summary.done.append(rel)
    else:
        summary.failed[rel] = entry.get("error") or "failed"
    if events is not None:
        events.file_done(rel, entry)



