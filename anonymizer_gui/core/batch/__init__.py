"""Beyond one file: `redact` of one file as a function, and whole folders and datasets redacted on a
pool of workers (processes, or Ray tasks) with a resumable, reproducible manifest."""

from .manifest import JOURNAL_NAME, MANIFEST_NAME, read_manifest
from .params import RedactParams
from .plan import MEDIA_SUFFIXES, BatchItem, output_rel, plan_batch
from .pool import InlineBackend, ProcessBackend, default_workers
from .ray_tasks import RayBackend
from .redact import Redaction, redact_file
from .runner import BatchEvents, BatchSummary, model_records, run_batch
from .worker import process_one

__all__ = [
    "JOURNAL_NAME", "MANIFEST_NAME", "read_manifest", "RedactParams", "MEDIA_SUFFIXES", "BatchItem", "output_rel", "plan_batch",
    "InlineBackend", "ProcessBackend", "RayBackend", "default_workers", "Redaction", "redact_file", "BatchEvents",
    "BatchSummary", "model_records", "run_batch", "process_one",
]
