"""prefetched(items, depth): an iterator run on a thread of its own, `depth` items ahead of its consumer.

Decoding with PyAV, and most of OpenCV and numpy, release the GIL: two files decoded on two such
threads while the consumer compares their frames keep both cores busy (verify: the source and
the export side by side). An error in the producer is raised in the consumer at the item where it
happened; the consumer stopping early (break, an exception, cancel) stops the producer and closes
its iterator on the producer's thread, where it ran.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_POLL_S = 0.1


def prefetched(items: Iterable[T], depth: int, name: str = "prefetch") -> Iterator[T]:
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(("item", item)):
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer
            put(("error", exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        put(("end", None))

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, payload = q.get(timeout=_POLL_S)
            except queue.Empty:
                if worker.is_alive() or not q.empty():  # its last entry may land after the timeout
                    continue
                return
            if kind == "end":
                return
            if kind == "error":
                raise payload
            yield payload
    finally:
        stop.set()
        worker.join()
