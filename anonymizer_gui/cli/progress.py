"""Terminal progress bar (tqdm) fed by core Progress reports."""

from __future__ import annotations

import sys

from tqdm import tqdm

from ..core.foundation import Progress


class TerminalProgress:
    """Callable progress sink: one tqdm bar per stage, with rate and time left."""

    def __init__(self, unit: str = "frame", enabled: bool = True):
        self._unit = unit
        self._enabled = enabled
        self._bar: tqdm | None = None
        self._stage: str | None = None

    def __call__(self, p: Progress) -> None:
        if not self._enabled:
            return
        if self._bar is None or p.stage != self._stage:
            self.close()
            self._stage = p.stage
            self._bar = tqdm(total=p.total or None, desc=p.stage, unit=self._unit,
                             file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        self._bar.update(p.done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "TerminalProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
