"""Frame-accurate random access and sequential decoding, in display orientation.

How a frame is found: its index gives its pts (from probe); the reader seeks to the keyframe
at or before that pts *in presentation order* (so open-GOP leading B-frames are decoded with
the GOP they reference), then decodes until a frame with exactly that pts comes out. If the
demuxer lands after the keyframe it was asked for, or the frame never comes out, the reader
tries earlier keyframes and finally the start of the file; so it does where the first frame
decoded after the seek is not the keyframe's (MPEG-PS hands out later frames' time stamps after a
seek: believed, they would put another picture at the index). Reading i, i+1, ... continues
decoding without seeking.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..foundation import MediaError
from .frame_index import (FrameIndex, Keyframe, SeekLandedBadly, build_frame_index, decoded_key, landing_checked,
                          packets_from, recall, remember)
from .info import MediaInfo
from .probe import open_input, probe, read_still
from .rotation import rotate_to_display

# Decoding this many frames forward is cheaper than a seek, which restarts the decoder threads.
_FORWARD_INSTEAD_OF_SEEK = 8
_EARLIER_KEYFRAMES_TO_TRY = 2
# Frames stored at another size than the first (screen and WebRTC recordings change size mid-way)
# are scaled to the first frame's size, the one probe reports and every box is in, by this
# filter wherever they are decoded (here and in the export), so that the analysis, the editor,
# the export and the leak check all see the same picture.
RESIZE_FILTER = "AREA"


class FrameReader:
    """Random access to frames by presentation index; BGR uint8 in display orientation.

    Not for concurrent use from several threads at once (one decoder); calls are serialised.
    """

    def __init__(self, path: str | Path, info: MediaInfo | None = None):
        self.path = str(path)
        self.info = info if info is not None else probe(path)
        self._lock = threading.RLock()
        self._still: np.ndarray | None = None
        self._container = None
        self._frames: Iterator | None = None
        self._next: int | None = None
        self.seeks = 0           # how often the decoder was repositioned (for tests and benchmarks)
        self.decoded_frames = 0  # frames decoded, including those decoded only to reach a target
        if self.info.is_still:
            self._still, _ = read_still(Path(path), self.path)
            return
        self._container = open_input(path)
        try:
            self._stream = self._container.streams[self.info.video_stream_index]
            for other in self._container.streams:
                if other.index != self._stream.index:
                    other.discard = av.stream.Discard.all
            self._stream.thread_type = "AUTO"
            self._index = self._load_index()
        except BaseException:
            self._container.close()
            raise
        self._index_of_key = {k: i for i, k in enumerate(self.info.pts)}

    def _load_index(self) -> FrameIndex:
        index = recall(self.path, self._stream.index)
        if index is None:
            index = build_frame_index(self._container, self._stream, self.path)
            remember(self.path, self._stream.index, index)
        return index

    # --- public -------------------------------------------------------------------------------

    def read(self, index: int) -> np.ndarray:
        """The frame at presentation `index`; IndexError outside 0..frame_count-1."""
        if not 0 <= index < self.info.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.info.frame_count - 1}")
        if self._still is not None:
            return self._still.copy()
        with self._lock:
            if self._container is None:
                raise MediaError(f"The reader of {self.path} is closed.")
            frame = self._read_locked(index)
            return self._to_bgr(frame)

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """(index, image) for start <= index < stop in presentation order, decoding forward.

        A frame listed by probe that does not decode (damaged data) is left out; its index is
        then missing from the sequence.
        """
        n = self.info.frame_count
        stop = n if stop is None else min(stop, n)
        if start < 0:
            raise IndexError(f"start {start} is negative")
        if start >= stop:
            return
        if self._still is not None:
            yield 0, self._still.copy()
            return
        want = start
        while want < stop:
            with self._lock:
                if self._container is None:
                    raise MediaError(f"The reader of {self.path} is closed.")
                if self._next != want or self._frames is None:
                    # First step, or a read() in between moved the decoder: position again.
                    i, frame = want, self._read_locked(want)
                else:
                    i, frame = self._next_decoded()
                    if frame is None:
                        return
                image = self._to_bgr(frame) if i < stop else None
            if image is None:
                return
            yield i, image
            want = i + 1

    def close(self) -> None:
        with self._lock:
            self._frames = self._next = None
            if self._container is not None:
                self._container.close()
                self._container = None

    def __enter__(self) -> "FrameReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- decoding -----------------------------------------------------------------------------

    def _read_locked(self, index: int):
        if self._next is not None and self._next <= index and self._worth_decoding_forward(index):
            frame = self._decode_until(index)
            if frame is not None:
                return frame
        for plan in self._seek_plans(index):
            if not self._seek(plan):
                continue
            try:
                frame = self._decode_until(index)
            except SeekLandedBadly:  # the demuxer's time stamps after this seek are not to be trusted
                self._frames = self._next = None
                continue
            if frame is not None:
                return frame
        raise MediaError(f"Frame {index} of {self.path} cannot be decoded.")

    def _worth_decoding_forward(self, index: int) -> bool:
        kf = self._index.keyframe_for(self.info.pts[index])
        owner = self._index_of_key.get(kf.key, 0) if kf else 0
        return owner <= self._next or index - self._next <= _FORWARD_INSTEAD_OF_SEEK

    def _seek_plans(self, index: int) -> list[Keyframe | None]:
        kfs = self._index.keyframes
        kf = self._index.keyframe_for(self.info.pts[index])
        plans: list[Keyframe | None] = []
        if kf is not None:
            pos = kfs.index(kf)
            plans = list(kfs[max(0, pos - _EARLIER_KEYFRAMES_TO_TRY):pos + 1])[::-1]
        return plans + [None]  # None: the start of the file, which always works

    def _seek(self, keyframe: Keyframe | None) -> bool:
        """Position the decoder at `keyframe` (None: file start); False if no seek lands on it.

        Demuxers index keyframes by pts (Matroska) or by dts (MP4), so the keyframe's pts is
        tried first and its dts second; a landing after the keyframe is rejected.
        """
        self._frames = self._next = None
        stream = self._stream
        if keyframe is None:
            start = stream.start_time if stream.start_time is not None else 0
            return self._seek_to(min(start, 0), None)
        return any(self._seek_to(ts, keyframe) for ts in dict.fromkeys((keyframe.key, keyframe.seek_ts)))

    def _seek_to(self, ts: int, keyframe: Keyframe | None) -> bool:
        try:
            packets = packets_from(self._container, self._stream, ts,
                                   not_after=keyframe.key if keyframe is not None else None)
        except av.FFmpegError:
            if keyframe is not None:
                return False
            raise MediaError(f"{self.path} cannot be read from its start.") from None
        if packets is None:
            return False
        frames = self._decode(packets)
        self._frames = landing_checked(frames, keyframe.key) if keyframe is not None else frames
        self._next = 0
        self.seeks += 1
        return True

    def _next_decoded(self):
        """(index, frame) of the next decoded frame that is in the index; (None, None) at the end."""
        for frame in self._frames or ():
            i = self._index_of_key.get(decoded_key(frame))
            if i is None or i < self._next:
                continue
            self._next = i + 1
            return i, frame
        self._frames = self._next = None
        return None, None

    def _decode_until(self, index: int):
        for frame in self._frames or ():
            i = self._index_of_key.get(decoded_key(frame))
            if i is None or i < index:
                continue
            self._next = i + 1
            return frame if i == index else None
        self._frames = self._next = None
        return None

    def _decode(self, packets) -> Iterator:
        for packet in packets:
            if packet.is_corrupt:
                continue
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                continue  # one damaged packet: keep going, the frames after it may still decode
            self.decoded_frames += len(frames)
            yield from frames

    def _to_bgr(self, frame) -> np.ndarray:
        size = self.info.coded_width, self.info.coded_height
        if (frame.width, frame.height) == size:
            img = frame.to_ndarray(format="bgr24")
        else:  # a stream that changes size mid-way: every frame at the size the project's boxes are in
            img = frame.to_ndarray(format="bgr24", width=size[0], height=size[1], interpolation=RESIZE_FILTER)
        img = rotate_to_display(img, self.info.rotation, self.info.mirrored)
        if not img.flags.c_contiguous or not img.flags.writeable:
            img = np.array(img, copy=True, order="C")
        return img


def iter_frames(path: str | Path, start: int = 0, stop: int | None = None,
                info: MediaInfo | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Sequential decode: (index, BGR display image) for start <= index < stop."""
    reader = FrameReader(path, info)
    try:
        yield from reader.frames(start, stop)
    finally:
        reader.close()
