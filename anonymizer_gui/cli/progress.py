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


class BatchProgress:
    """Two bars for a batch: files done, and frames done (with rate and time left)."""

    def __init__(self, enabled: bool = True):
        self._enabled = enabled
        self._files: tqdm | None = None
        self._frames: tqdm | None = None

    def planned(self, files: int, frames: int, skipped: int, ignored: list[str], same_params: bool) -> None:
        if not same_params:
            print("note: the output folder holds a run with other parameters; every file is redone",
                  file=sys.stderr)
        if not self._enabled:
            return
        self._files = tqdm(total=files, initial=skipped, desc="files", unit="file", file=sys.stderr,
                           dynamic_ncols=True, position=0)
        self._frames = tqdm(total=frames, desc="frames", unit="frame", file=sys.stderr, dynamic_ncols=True,
                            position=1, smoothing=0.1, bar_format="{l_bar}{bar}| {n:.0f}/{total_fmt} "
                                                                  "[{elapsed}<{remaining}, {rate_fmt}]")

    def frames(self, done: float) -> None:
        if self._frames is not None:
            self._frames.update(done - self._frames.n)

    def file_done(self, rel: str, entry: dict) -> None:
        if self._files is not None:  # failures are named in the summary at the end
            self._files.update(1)

    def close(self) -> None:
        for bar in (self._frames, self._files):
            if bar is not None:
                bar.close()
        self._files = self._frames = None

    def __enter__(self) -> "BatchProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
