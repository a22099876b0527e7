"""FrameSource: frames for the views, decoded off the UI thread, with a small cache.

Two decoder threads, each with its own core.media.FrameReader (a reader is not shared between
threads):
- the frame decoder serves the playhead. Only the newest request matters (scrubbing sends dozens
  a second), so a new request replaces the pending one instead of queueing behind it. When idle it
  reads ahead in the playing direction (`set_readahead`), so playback finds its frames cached.
- the thumbnail decoder serves small pictures (ruler, tracks panel) at low priority, newest
  request first, so it never delays the frame under the playhead.

Results travel to the UI thread through queued signals; the UI thread never decodes.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from .frame_decoders import Crop, FrameCache, ThumbKey, FrameDecoder, ThumbnailDecoder, make_thumbnail, thumbnail_key

DEFAULT_MAX_FRAMES = 48
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # 48 frames of 1080p; fewer frames of 4K

__all__ = ["FrameSource", "FrameCache", "ThumbKey", "bgr_to_pixmap", "bgr_to_qimage", "make_thumbnail", "thumbnail_key"]


class FrameSource(QObject):
    """Frames of the open media for the views: request, cache, deliver on the UI thread."""

    frameReady = Signal(int, object)  # index, BGR ndarray (read-only: shared with the cache)
    frameFailed = Signal(int, str)  # index, message for the user
    thumbnailReady = Signal(object)  # ThumbKey: call thumbnail() again with the same arguments
    _decoded = Signal(int, int, bool)  # generation, index, was requested (from the decoder thread)
    _decodeFailed = Signal(int, int, str)
    _thumbDecoded = Signal(int, object)

    def __init__(self, parent: QObject | None = None, max_frames: int = DEFAULT_MAX_FRAMES,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__(parent)
        self.cache = FrameCache(max_frames, max_bytes)
        self.path: str | None = None
        self.info = None
        self._generation = 0
        self._wanted: int | None = None
        self._requested_at = 0.0
        self.last_latency_ms: float | None = None  # request -> frameReady of the last decoded frame
        self._decoded.connect(self._on_decoded)
        self._decodeFailed.connect(self._on_failed)
        self._thumbDecoded.connect(self._on_thumbnail)
        self._frames = FrameDecoder(self.cache, self._decoded.emit, self._decodeFailed.emit)
        self._thumbs = ThumbnailDecoder(self.cache, self._thumbDecoded.emit)
        self._closed = False
        decoders = (self._frames, self._thumbs)  # not self: the slot must outlive the wrapper
        self.destroyed.connect(lambda *_: [d.stop(0.5) for d in decoders])

    # -- media ------------------------------------------------------------------------------
    def set_media(self, path, info=None) -> None:
        """Switch to another file (None: no media). Pending work and the cache are dropped."""
        self._generation += 1
        self.path = str(path) if path else None
        self.info = info
        self._wanted = None
        self.cache.clear()
        self._frames.set_media(self.path, info, self._generation)
        self._thumbs.set_media(self.path, info, self._generation)

    def ensure_media(self, path, info=None) -> None:
        """set_media unless this file is already open: every view may call it on projectReset."""
        path = str(path) if path else None
        if path != self.path or (info is not None and info is not self.info):
            self.set_media(path, info)

    @property
    def frame_count(self) -> int:
        return getattr(self.info, "frame_count", 0) or 0

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._frames.stop()
        self._thumbs.stop()
        self.cache.clear()

    # -- frames -----------------------------------------------------------------------------
    def frame(self, index: int) -> np.ndarray | None:
        return self.cache.get(index)

    def request(self, index: int) -> None:
        """Ask for frame `index`; frameReady follows (at once when cached). Older requests are dropped."""
        if self.path is None or self._closed:
            return
        self._requested_at = time.perf_counter()
        img = self.cache.get(index)
        if img is not None:
            self._wanted = None
            self._frames.set_ahead_origin(index)
            self.frameReady.emit(index, img)
            return
        self._wanted = index
        self._frames.want(index)

    def is_pending(self, index: int | None = None) -> bool:
        """True while a requested frame (any, or `index`) has not arrived yet."""
        return self._wanted is not None and (index is None or self._wanted == index)

    def prefetch(self, indices: list[int]) -> None:
        """Decode these frames into the cache while idle, so showing one later is instant."""
        if self.path is not None and not self._closed:
            self._frames.prefetch([i for i in indices if i not in self.cache])

    def set_readahead(self, count: int, step: int = 1) -> None:
        """While idle, decode up to `count` frames after the last request, `step` apart (negative: backwards)."""
        self._frames.set_readahead(count, step)

    def _on_decoded(self, generation: int, index: int, requested: bool) -> None:
        if generation != self._generation or index != self._wanted:
            return  # stale (another file, or the playhead moved on): cached, not shown
        img = self.cache.get(index)
        if img is None:
            return
        self._wanted = None
        self.last_latency_ms = (time.perf_counter() - self._requested_at) * 1000.0
        self.frameReady.emit(index, img)

    def _on_failed(self, generation: int, index: int, message: str) -> None:
        if generation == self._generation and index == self._wanted:
            self._wanted = None
            self.frameFailed.emit(index, message)

    # -- thumbnails -------------------------------------------------------------------------
    def thumbnail(self, frame: int, crop: Crop = None, height: int = 48) -> np.ndarray | None:
        """A small BGR picture of `frame` (cropped to `crop`), `height` px high; None until decoded.

        When it is not ready, it is queued and thumbnailReady(key) follows.
        """
        if self.path is None or self._closed or not 0 <= frame < max(1, self.frame_count):
            return None
        key = thumbnail_key(frame, crop, height)
        with self._thumbs.results_lock:
            thumb = self._thumbs.results.get(key)
            if thumb is not None:
                self._thumbs.results.move_to_end(key)
                return thumb
        if not self._thumbs.queued(key):
            self._thumbs.want(key)
        return None

    def _on_thumbnail(self, generation: int, key) -> None:
        if generation == self._generation:
            self.thumbnailReady.emit(key)


def bgr_to_qimage(img: np.ndarray) -> QImage:
    """Wrap a contiguous BGR array without copying; the caller keeps `img` alive while the QImage lives."""
    if not img.flags["C_CONTIGUOUS"]:
        img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    qimg = QImage(img.data, w, h, img.strides[0], QImage.Format.Format_BGR888)
    qimg._keepalive = img  # noqa: SLF001 - ties the buffer's lifetime to the image
    return qimg


def bgr_to_pixmap(img: np.ndarray, device_pixel_ratio: float = 1.0) -> QPixmap:
    """A QPixmap of `img` drawn at img.shape / device_pixel_ratio logical pixels (sharp on HiDPI)."""
    pix = QPixmap.fromImage(bgr_to_qimage(img))
    pix.setDevicePixelRatio(device_pixel_ratio)
    return pix
