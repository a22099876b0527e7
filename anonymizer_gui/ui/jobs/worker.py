"""The one worker abstraction: run a core job off the UI thread with progress, cancel and errors.

A job is any callable `fn(progress, cancel) -> result` taking the core's callbacks
(core/foundation/progress.py). Signals are emitted from the worker thread and, because the Worker lives
in the UI thread, Qt queues them to it: slots always run on the UI thread. Every job runs at
background priority (ui/jobs/background.py), so the UI thread keeps the cores it needs.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from ...core.foundation import AnonymizerError, Cancelled
from ...core.foundation import Progress
from .background import lower_thread_priority

JobFn = Callable[[Callable[[Progress], None], Callable[[], bool]], Any]


class Worker(QObject):
    progressed = Signal(object)  # core.foundation.Progress
    succeeded = Signal(object)  # the job's result
    failed = Signal(str, str)  # a message for the user, details (traceback) for "internal" errors, else ""
    cancelled = Signal(object)  # what the job had done when cancelled (Cancelled.partial) or None
    dropped = Signal()  # cancelled before it started (a queued job): it never ran, nothing was done
    finished = Signal()  # after exactly one of succeeded / failed / cancelled / dropped
    starting = Signal()  # on the calling (UI) thread, just before the job's thread starts: a queued
    # job takes its snapshot of the document here, not when it was queued

    def __init__(self, fn: JobFn, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._fn = fn
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_progress: Progress | None = None
        self.progressed.connect(self._remember_progress)

    def start(self) -> None:
        if self.is_running():
            raise RuntimeError(f"{self.name} is already running")
        self._cancel.clear()
        self.starting.emit()
        self._thread = threading.Thread(target=self._run, name=f"worker-{self.name}", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def drop(self) -> bool:
        """Give up a job that was never started (emits dropped, then finished); False if it was."""
        if self._thread is not None:
            return False
        self._cancel.set()
        self.dropped.emit()
        self.finished.emit()
        return True

    def is_cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the job thread ends (tests, shutdown). True if it ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _remember_progress(self, p: Progress) -> None:
        self.last_progress = p

    def _run(self) -> None:
        # First: the threads the job starts (decoders, onnxruntime's pool) inherit the priority.
        lower_thread_priority()
        try:
            result = self._fn(self.progressed.emit, self._cancel.is_set)
        except Cancelled as exc:
            self.cancelled.emit(getattr(exc, "partial", None))
        except AnonymizerError as exc:
            self.failed.emit(str(exc), "")
        except MemoryError:
            self.failed.emit(f"{self.name} ran out of memory", traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - shown in a dialog with details, the program keeps running
            self.failed.emit(f"{self.name} failed with an internal error: {exc}", traceback.format_exc())
        else:
            if self._cancel.is_set():
                self.cancelled.emit(result)
            else:
                self.succeeded.emit(result)
        finally:
            self.finished.emit()
