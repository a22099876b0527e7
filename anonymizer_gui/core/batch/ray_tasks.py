"""The files of a batch as Ray tasks: one task per file, on a local Ray started for the run or on
the cluster at an address. Optional: `pip install anonymizer-gui[cluster]`.

Each task asks for TASK_CPUS cores and, where the cluster has GPUs, one GPU (the detectors' "auto"
device then finds it). Ray keeps its worker processes between tasks, so each loads the detectors
once (worker.detectors_for). Progress travels through a Ray queue; a cancel cancels the tasks.
The input and output folders must be the same paths on every node (a shared file system).
"""

from __future__ import annotations

import os
import queue as std_queue
import time

from ..foundation import AnonymizerError, Cancelled, CancelFn
from .params import RedactParams
from .worker import FramesFn, process_one

TASK_CPUS = 2
POLL_S = 0.1
FRAME_REPORT_S = 0.25
LOCAL_OBJECT_STORE_BYTES = 256 << 20  # a batch passes only small job records through it


class RayBackend:
    def __init__(self, address: str | None = None, workers: int | None = None):
        self.address = address  # None: start a local Ray for this run
        self.workers = workers

    def run(self, jobs: list[dict], params: RedactParams, on_frames: FramesFn, on_result, cancel: CancelFn) -> None:
        if not jobs:
            return
        try:
            import ray
            from ray.util.queue import Empty, Queue
        except ImportError:
            raise AnonymizerError("--ray needs Ray: pip install 'anonymizer-gui[cluster]'") from None
        started_here = not ray.is_initialized()
        if started_here:
            self._init(ray)
        try:
            gpus = ray.cluster_resources().get("GPU", 0)
            task = ray.remote(_ray_task).options(num_cpus=TASK_CPUS, num_gpus=1 if gpus else 0, max_retries=0)
            messages = Queue()
            pending = {task.remote(job, params.to_json(), messages): job for job in jobs}
            try:
                while pending:
                    done, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
                    _drain(messages, on_frames, Empty)
                    for ref in done:
                        on_result(pending.pop(ref), _entry_of(ray, ref))
                    if cancel():
                        for ref in pending:
                            ray.cancel(ref, force=True)
                        raise Cancelled()
            finally:
                _drain(messages, on_frames, Empty)
                ray.kill(messages.actor)
        finally:
            if started_here:
                ray.shutdown()

    def _init(self, ray) -> None:
        if self.address is None:
            cpus = TASK_CPUS * self.workers if self.workers else None
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES)
        else:
            try:
                ray.init(address=self.address, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise AnonymizerError(f"cannot join the Ray cluster at {self.address}: {exc}") from None


def _entry_of(ray, ref) -> dict:
    try:
        return ray.get(ref)
    except ray.exceptions.TaskCancelledError:
        return {"status": "failed", "error": "cancelled"}
    except ray.exceptions.RayError as exc:  # a worker that died, a node that left
        return {"status": "failed", "error": f"the Ray task failed: {str(exc).splitlines()[0]}"}


def _drain(messages, on_frames: FramesFn, empty) -> None:
    for _ in range(10_000):  # bounded: the next poll takes the rest
        try:
            rel, frames = messages.get_nowait()
        except (empty, std_queue.Empty):
            return
        on_frames(rel, frames)


def _ray_task(job: dict, params_json: dict, messages) -> dict:
    os.environ.setdefault("ANONYMIZER_GUI_THREADS", str(TASK_CPUS))
    last = [0.0]

    def frames(rel: str, done: float) -> None:
        now = time.monotonic()
        if now - last[0] >= FRAME_REPORT_S:  # each put is a call to the queue's actor
            last[0] = now
            messages.put_nowait((rel, done))

    return process_one(job, RedactParams.from_json(params_json), frames)
