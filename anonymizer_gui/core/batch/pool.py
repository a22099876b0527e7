"""Where the files of a batch run: a process pool sized to the machine, or the calling thread.

A backend's `run(jobs, params, on_frames, on_result, cancel)` runs every job once and calls
`on_result(job, entry)` for each and `on_frames(rel, frames)` for progress, both from the calling
thread. Each pool process loads the detectors once (worker.detectors_for) and uses its share of
the cores for onnxruntime, so N processes do not fight over the same cores.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from ..foundation import Cancelled, CancelFn
from .params import RedactParams
from .worker import FramesFn, process_one

ResultFn = Callable[[dict, dict], None]
POLL_S = 0.1
MAX_WORKERS = 8


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_workers(files: int, device: str = "auto") -> int:
    """Two cores per process (onnxruntime scales to about that per frame batch), at most 8, one per file."""
    return max(1, min(files, usable_cores() // 2, MAX_WORKERS))


class InlineBackend:
    """Every file in the calling thread, one after another (tests, the service's worker threads)."""

    def __init__(self, detectors: dict | None = None):
        self.detectors = detectors

    def run(self, jobs: list[dict], params: RedactParams, on_frames: FramesFn, on_result: ResultFn,
            cancel: CancelFn) -> None:
        for job in jobs:
            if cancel():
                raise Cancelled()
            on_result(job, process_one(job, params, on_frames, cancel, self.detectors))


class ProcessBackend:
    """A pool of `workers` processes (default: sized to the machine)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers

    def run(self, jobs: list[dict], params: RedactParams, on_frames: FramesFn, on_result: ResultFn,
            cancel: CancelFn) -> None:
        if not jobs:
            return
        workers = self.workers or default_workers(len(jobs), params.analysis.device)
        ctx = multiprocessing.get_context("spawn")  # no forked copies of onnxruntime or decoder threads
        messages, stop = ctx.Queue(), ctx.Event()
        threads = max(1, usable_cores() // workers)
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker,
                                 initargs=(params.to_json(), messages, stop, threads)) as pool:
            pending = {pool.submit(_run_job, job): job for job in jobs}
            try:
                while pending:
                    done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                    _drain(messages, on_frames)
                    for future in done:
                        job = pending.pop(future)
                        on_result(job, _entry_of(future))
                    if cancel():
                        stop.set()
                        for future in pending:
                            future.cancel()
                        raise Cancelled()
            finally:
                stop.set()
                _drain(messages, on_frames)


def _entry_of(future) -> dict:
    try:
        return future.result()
    except Cancelled:
        return {"status": "failed", "error": "cancelled"}
    except BrokenProcessPool:
        return {"status": "failed", "error": "the worker process stopped unexpectedly (a crash or out of memory)"}


def _drain(messages, on_frames: FramesFn) -> None:
    for _ in range(10_000):  # bounded: the next poll takes the rest
        try:
            rel, frames = messages.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        on_frames(rel, frames)


# -- in each pool process -------------------------------------------------------------------------
_state: dict = {}


def _start_worker(params_json: dict, messages, stop, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into `stop`
    os.environ.setdefault("ANONYMIZER_GUI_THREADS", str(threads))
    _state.update(params=RedactParams.from_json(params_json), messages=messages, stop=stop)


def _run_job(job: dict) -> dict:
    messages, stop = _state["messages"], _state["stop"]
    return process_one(job, _state["params"], lambda rel, frames: messages.put((rel, frames)), stop.is_set)
