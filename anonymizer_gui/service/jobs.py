"""Jobs of the service: kept on disk (one folder each), run on a bounded pool of worker threads.

    <state>/jobs/<id>/job.json      status, progress, options, names (written atomically)
    <state>/jobs/<id>/input<.ext>   an uploaded file (a path job reads the file where it is)
    <state>/jobs/<id>/output<.ext>  the redacted file, and output<.ext>.audit.json its report

A job outlives the request that made it and the client that watches it. After a restart, queued
jobs are queued again and a job that was running is marked failed ("interrupted"), since its
output was never committed.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.batch import RedactParams, redact_file
from ..core.analysis import load_detectors
from ..core.export import default_report_path
from ..core.foundation import AnonymizerError, Cancelled, Progress, write_text_atomic

TERMINAL = ("done", "failed", "cancelled")


@dataclass
class Job:
    id: str
    status: str  # queued | running | done | failed | cancelled
    input_name: str
    input_path: str
    output_suffix: str
    options: dict
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    progress: dict = field(default_factory=lambda: {"stage": "", "done": 0, "total": 0, "fraction": 0.0})
    error: str | None = None
    version: int = 0  # bumped on every change; the events stream waits on it

    def public(self) -> dict:
        d = asdict(self)
        d.pop("input_path")  # a folder path of this machine is not the client's business
        d["output"] = f"/jobs/{self.id}/output" if self.status == "done" else None
        d["report"] = f"/jobs/{self.id}/report" if self.status == "done" else None
        return d


class JobStore:
    def __init__(self, state_dir: Path, workers: int = 1, detectors_factory=None):
        self.root = state_dir / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._local = threading.local()
        self._detectors_factory = detectors_factory or (lambda p: load_detectors(p.analysis.classes, p.analysis))
        self._reload()

    # -- files ----------------------------------------------------------------------------------
    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def output_path(self, job: Job) -> Path:
        return self.folder(job.id) / f"output{job.output_suffix}"

    def report_path(self, job: Job) -> Path:
        return default_report_path(self.output_path(job))

    def _save(self, job: Job) -> None:
        job.updated = time.time()
        job.version += 1
        data = {k: v for k, v in asdict(job).items()}
        write_text_atomic(self.folder(job.id) / "job.json", json.dumps(data, indent=1))

    def _reload(self) -> None:
        for path in sorted(self.root.glob("*/job.json")):
            try:
                job = Job(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue  # a damaged record is left alone, not served
            if job.status == "running":
                job.status, job.error = "failed", "interrupted: the service stopped while the job ran"
                self._save(job)
            self._jobs[job.id] = job
            if job.status == "queued":
                self._submit(job)

    # -- API ------------------------------------------------------------------------------------
    def new_id(self) -> str:
        job_id = uuid.uuid4().hex
        self.folder(job_id).mkdir()
        return job_id

    def add(self, job_id: str, input_name: str, input_path: Path, output_suffix: str, options: dict) -> Job:
        job = Job(job_id, "queued", input_name, str(input_path), output_suffix, options)
        with self._lock:
            self._jobs[job.id] = job
            self._save(job)
        self._submit(job)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.created)

    def cancel(self, job: Job) -> None:
        with self._lock:
            if job.status == "queued":
                job.status = "cancelled"
                self._save(job)
            elif job.status == "running":
                self._cancel.setdefault(job.id, threading.Event()).set()

    def shutdown(self) -> None:
        for event in list(self._cancel.values()):
            event.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- running ----------------------------------------------------------------------------------
    def _submit(self, job: Job) -> None:
        self._cancel[job.id] = threading.Event()
        self._pool.submit(self._run, job)

    def _run(self, job: Job) -> None:
        stop = self._cancel[job.id]
        with self._lock:
            if job.status != "queued":
                return
            job.status = "running"
            self._save(job)
        try:
            params = RedactParams.from_json(job.options)
            redact_file(job.input_path, self.output_path(job), params, detectors=self._detectors(params),
                        progress=lambda p: self._progress(job, p), cancel=stop.is_set,
                        report_path=self.report_path(job))
        except Cancelled:
            status, error = "cancelled", None
        except AnonymizerError as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - one job's surprise must not stop the service
            status, error = "failed", f"internal error ({type(exc).__name__}: {exc})"
        else:
            status, error = "done", None
        with self._lock:
            job.status, job.error = status, error
            if status == "done":
                job.progress = {**job.progress, "fraction": 1.0}
            self._save(job)
            self._cancel.pop(job.id, None)

    def _detectors(self, params: RedactParams) -> dict:
        """Detectors per worker thread, loaded once and kept while the parameters stay the same."""
        key = json.dumps(params.analysis.to_json(), sort_keys=True)
        if getattr(self._local, "key", None) != key:
            self._local.detectors, self._local.key = self._detectors_factory(params), key
        return self._local.detectors

    def _progress(self, job: Job, p: Progress) -> None:
        # analysis is the first half of a job, export the second
        fraction = p.fraction / 2 + (0.5 if p.stage == "export" else 0.0)
        job.progress = {"stage": p.stage, "done": p.done, "total": p.total, "fraction": round(fraction, 4)}
        job.version += 1  # in memory only: the disk gets the status changes, not every frame
