"""The decoder threads behind FrameSource, and the cache they share with the UI thread.

Plain Python threads, no Qt: each owns one core.media.FrameReader (a reader is not shared between
threads) and reports through callbacks, which FrameSource binds to queued Qt signals.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import cv2
import numpy as np

MAX_THUMBNAILS = 600
Crop = tuple[int, int, int, int] | None
ThumbKey = tuple[int, Crop, int]  # frame, crop box in frame pixels (or None), height in device pixels


class FrameCache:
    """LRU of decoded frames bounded by count and bytes; used from both threads, hence the lock."""

    def __init__(self, max_frames: int, max_bytes: int):
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, index: int) -> np.ndarray | None:
        with self._lock:
            img = self._items.get(index)
            if img is not None:
                self._items.move_to_end(index)
            return img

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._items

    def put(self, index: int, img: np.ndarray) -> None:
        with self._lock:
            old = self._items.pop(index, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[index] = img
            self._bytes += img.nbytes
            while len(self._items) > 1 and (len(self._items) > self.max_frames or self._bytes > self.max_bytes):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)


class DecoderThread:
    """A thread owning one FrameReader, re-opened whenever the media changes."""

    def __init__(self, name: str):
        self._cond = threading.Condition()
        self._stop = False
        self._path: str | None = None
        self._info = None
        self.generation = 0
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def set_media(self, path: str | None, info, generation: int) -> None:
        with self._cond:
            self._path, self._info, self.generation = path, info, generation
            self._reset_work()
            self._cond.notify_all()

    def stop(self, timeout_s: float = 2.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        reader, reader_key = None, None
        try:
            while True:
                with self._cond:
                    while not self._stop and not self._has_work():
                        self._cond.wait()
                    if self._stop:
                        return
                    job = self._take_work()
                    key = (self._path, self.generation)
                    path, info, generation = self._path, self._info, self.generation
                if job is None or path is None:
                    continue
                if reader_key != key:
                    if reader is not None:
                        reader.close()
                    reader, reader_key = None, key
                    try:
                        from ...core.media import FrameReader

                        reader = FrameReader(path, info)
                    except Exception as exc:  # noqa: BLE001 - reported to the view as a failed frame
                        self._failed(job, generation, _message(exc))
                        continue
                if reader is None:
                    self._failed(job, generation, "the video could not be opened")
                    continue
                try:
                    img = reader.read(job[0])
                except Exception as exc:  # noqa: BLE001 - one bad frame must not end the decoder
                    self._failed(job, generation, _message(exc))
                    continue
                self._done(job, generation, img)
        except RuntimeError:
            pass  # the FrameSource's Qt object is gone (window closed without close()): nothing to serve
        finally:
            if reader is not None:
                reader.close()

    # subclass hooks, called with the lock held (work) or without (results)
    def _reset_work(self) -> None: ...
    def _has_work(self) -> bool: ...
    def _take_work(self): ...
    def _done(self, job, generation: int, img: np.ndarray) -> None: ...
    def _failed(self, job, generation: int, message: str) -> None: ...


class FrameDecoder(DecoderThread):
    def __init__(self, cache: FrameCache, on_done, on_failed):
        self._cache = cache
        self._on_done, self._on_failed = on_done, on_failed
        self._wanted: int | None = None
        self._ahead_from: int | None = None
        self._ahead_count = 0
        self._ahead_step = 1
        self._prefetch: list[int] = []  # frames likely wanted next (the review queue's next tracks)
        self.frame_count = 0
        super().__init__("frame-decoder")

    def want(self, index: int) -> None:
        with self._cond:
            self._wanted = index
            self._ahead_from = index
            self._cond.notify_all()

    def set_ahead_origin(self, index: int) -> None:
        """A cached frame was shown: read ahead from there, without decoding it again."""
        with self._cond:
            self._wanted = None
            self._ahead_from = index
            self._cond.notify_all()

    def prefetch(self, indices: list[int]) -> None:
        """Decode these into the cache while idle (after a wanted frame, before read-ahead)."""
        with self._cond:
            self._prefetch = [i for i in indices if 0 <= i < max(1, self.frame_count)]
            self._cond.notify_all()

    def set_readahead(self, count: int, step: int) -> None:
        with self._cond:
            self._ahead_count, self._ahead_step = max(0, count), step or 1
            self._cond.notify_all()

    def _reset_work(self) -> None:
        self._wanted = None
        self._ahead_from = None
        self._prefetch = []
        self.frame_count = getattr(self._info, "frame_count", 0) or 0

    def _next_ahead(self) -> int | None:
        if self._ahead_from is None or self._ahead_count <= 0:
            return None
        for k in range(1, self._ahead_count + 1):
            i = self._ahead_from + k * self._ahead_step
            if not 0 <= i < self.frame_count:
                return None
            if i not in self._cache:
                return i
        return None

    def _next_prefetch(self) -> int | None:
        while self._prefetch and self._prefetch[0] in self._cache:
            self._prefetch.pop(0)
        return self._prefetch[0] if self._prefetch else None

    def _has_work(self) -> bool:
        return self._wanted is not None or self._next_prefetch() is not None or self._next_ahead() is not None

    def _take_work(self):
        if self._wanted is not None:
            index, self._wanted = self._wanted, None
            return (index, True)
        index = self._next_prefetch()
        if index is not None:
            self._prefetch.pop(0)
            return (index, False)
        index = self._next_ahead()
        return None if index is None else (index, False)

    def _done(self, job, generation, img) -> None:
        if generation == self.generation:
            self._cache.put(job[0], img)
        self._on_done(generation, job[0], job[1])

    def _failed(self, job, generation, message) -> None:
        if job[1]:
            self._on_failed(generation, job[0], message)


class ThumbnailDecoder(DecoderThread):
    def __init__(self, frame_cache: FrameCache, on_done):
        self._frame_cache = frame_cache
        self._on_done = on_done
        self._queue: OrderedDict[ThumbKey, None] = OrderedDict()
        self.results: OrderedDict[ThumbKey, np.ndarray] = OrderedDict()
        self.results_lock = threading.Lock()
        super().__init__("thumbnail-decoder")

    def want(self, key: ThumbKey) -> None:
        with self._cond:
            self._queue.pop(key, None)
            self._queue[key] = None  # newest last: served first
            while len(self._queue) > MAX_THUMBNAILS:
                self._queue.popitem(last=False)
            self._cond.notify_all()

    def queued(self, key: ThumbKey) -> bool:
        with self._cond:
            return key in self._queue

    def _reset_work(self) -> None:
        self._queue.clear()
        with self.results_lock:
            self.results.clear()

    def _has_work(self) -> bool:
        return bool(self._queue)

    def _take_work(self):
        key, _ = self._queue.popitem(last=True)
        cached = self._frame_cache.get(key[0])
        if cached is not None:  # the playhead's decoder already has it: no second decode
            self._store(key, cached, self.generation)
            return None
        return key

    def _done(self, job, generation, img) -> None:
        self._store(job, img, generation)

    def _store(self, key: ThumbKey, img: np.ndarray, generation: int) -> None:
        thumb = make_thumbnail(img, key[1], key[2])
        if generation != self.generation:
            return
        with self.results_lock:
            self.results[key] = thumb
            while len(self.results) > MAX_THUMBNAILS:
                self.results.popitem(last=False)
        self._on_done(generation, key)

    def _failed(self, job, generation, message) -> None:
        # An unreadable frame gets a grey tile, so the view stops asking for it.
        self._store(job, np.full((max(1, job[2]), max(1, job[2]), 3), 64, np.uint8), generation)


def thumbnail_key(frame: int, crop: Crop, height: int) -> ThumbKey:
    if crop is not None:
        crop = tuple(int(round(v)) for v in crop)
    return (int(frame), crop, max(4, int(height)))


def make_thumbnail(img: np.ndarray, crop: Crop, height: int) -> np.ndarray:
    """Crop (clipped to the image) and shrink to `height` px, keeping the aspect ratio."""
    h, w = img.shape[:2]
    if crop is not None:
        x1, y1, x2, y2 = crop
        x1, x2 = max(0, min(w - 1, x1)), max(1, min(w, x2))
        y1, y2 = max(0, min(h - 1, y1)), max(1, min(h, y2))
        if x2 > x1 and y2 > y1:
            img = img[y1:y2, x1:x2]
    h, w = img.shape[:2]
    out_h = max(1, height)
    out_w = max(1, int(round(w * out_h / max(1, h))))
    interp = cv2.INTER_AREA if out_h < h else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(img, (out_w, out_h), interpolation=interp))


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
