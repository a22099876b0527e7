"""Progress and cancel plumbing shared by every long job (analysis, export, fetch).

Core jobs take `progress: Callable[[Progress], None] | None` and
`cancel: Callable[[], bool] | None`; the UI worker and the CLI progress bar adapt them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .errors import Cancelled


@dataclass(frozen=True)
class Progress:
    stage: str  # e.g. "analyse", "export"
    done: int
    total: int  # 0 when unknown
    fps: float  # items per second over the job so far
    eta_s: float | None  # seconds left, None when unknown

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


ProgressFn = Callable[[Progress], None]
CancelFn = Callable[[], bool]


class ProgressMeter:
    """Turns a count of done items into Progress reports, throttled so callers can call it per frame."""

    def __init__(self, stage: str, total: int, progress: ProgressFn | None,
                 cancel: CancelFn | None = None, min_interval_s: float = 0.1):
        self.stage = stage
        self.total = total
        self._progress = progress
        self._cancel = cancel
        self._min_interval = min_interval_s
        self._start = time.monotonic()
        self._last_report = 0.0
        self.done = 0

    def is_cancelled(self) -> bool:
        return self._cancel is not None and bool(self._cancel())

    def check_cancel(self) -> None:
        if self.is_cancelled():
            raise Cancelled()

    def advance(self, n: int = 1, force: bool = False) -> None:
        """Count n more items done, report if due, and raise Cancelled if the user asked."""
        self.done += n
        self.check_cancel()
        now = time.monotonic()
        if self._progress is None or (not force and now - self._last_report < self._min_interval
                                      and self.done < self.total):
            return
        self._last_report = now
        self._progress(self.snapshot(now))

    def snapshot(self, now: float | None = None) -> Progress:
        elapsed = max(1e-9, (now or time.monotonic()) - self._start)
        fps = self.done / elapsed
        eta = (self.total - self.done) / fps if self.total and fps > 0 else None
        return Progress(self.stage, self.done, self.total, fps, eta)
