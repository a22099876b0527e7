"""Audio samples of a media file on the timeline's clock, as float arrays.

The timeline's zero is the first video frame (MediaInfo.start_time), so a range drawn at 1.5 s
under the playhead lands on the audio heard with that frame, whatever each stream's own start.
"""

from __future__ import annotations

from typing import Iterator

import av
import numpy as np

from ..foundation import MediaError
from ..media import open_input

_SCALE = {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2147483648.0}


def frame_samples(frame) -> np.ndarray:
    """(channels, n) float32 samples of a decoded AudioFrame, whatever its sample format."""
    arr = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if not frame.format.is_planar:
        arr = arr.reshape(-1, channels).T
    if arr.dtype == np.uint8:
        return (arr.astype(np.float32) - 128.0) / 128.0
    if arr.dtype in _SCALE:
        return (arr / _SCALE[arr.dtype]).astype(np.float32)
    return arr.astype(np.float32, copy=False)


def samples_frame(samples: np.ndarray, like) -> av.AudioFrame:
    """A planar-float AudioFrame of `samples` with the time stamp, rate and layout of frame `like`
    (the encoder converts it to its own sample format)."""
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, dtype=np.float32), format="fltp",
                                       layout=like.layout.name)
    frame.sample_rate = like.sample_rate
    frame.pts = like.pts
    frame.time_base = like.time_base
    return frame


def first_sample(frame, origin_s: float) -> int:
    """Timeline sample index of the frame's first sample (exact when pts count samples)."""
    if frame.pts is None or frame.time_base is None:
        raise MediaError("an audio frame has no time stamp; its place on the timeline is unknown")
    return int(round((frame.pts * frame.time_base - origin_s) * frame.sample_rate))


STAMP_SLACK_S = 0.001  # a frame stamped this close to the end of the one before follows it


class SampleClock:
    """Where one stream's successive frames lie on the timeline: each follows the one before it,
    sample for sample, unless its time stamp puts it more than STAMP_SLACK_S away (a real gap or
    overlap). Containers that count whole milliseconds (Matroska, WebM) stamp frames of 1024 or
    1152 samples up to half a millisecond off; placed by their stamps, the frames would tear the
    signal at every frame, and a bleep's tone with it."""

    def __init__(self, origin_s: float):
        self.origin_s = origin_s
        self.next: int | None = None

    def place(self, frame) -> int:
        """Timeline sample index of the frame's first sample."""
        first = first_sample(frame, self.origin_s)
        if self.next is not None and abs(first - self.next) <= STAMP_SLACK_S * frame.sample_rate + 1:
            first = self.next
        self.next = first + frame.samples
        return first


def audio_streams(container) -> list:
    return list(container.streams.audio)


def iter_blocks(path, stream_number: int, origin_s: float) -> Iterator[tuple[int, np.ndarray]]:
    """(timeline sample index of the first sample, (channels, n) float32) per decoded frame, placed
    by a SampleClock."""
    with open_input(path) as container:
        streams = audio_streams(container)
        if not 0 <= stream_number < len(streams):
            raise MediaError(f"{path} has no audio stream {stream_number} (it has {len(streams)})")
        stream = streams[stream_number]
        clock = SampleClock(origin_s)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                continue
            for frame in frames:
                yield clock.place(frame), frame_samples(frame)


def stream_start(path, stream_number: int, origin_s: float) -> int | None:
    """Timeline sample index of the stream's first sample (negative where its audio starts before
    the first video frame), or None when nothing of it decodes."""
    for first, _ in iter_blocks(path, stream_number, origin_s):
        return first
    return None


def read_windows(path, stream_number: int, origin_s: float, windows: list[tuple[int, int]],
                 channels: int) -> list[np.ndarray]:
    """The samples of each [a, b) timeline-sample window; zeros where the stream has none."""
    out = [np.zeros((channels, max(0, b - a)), np.float32) for a, b in windows]
    if not windows:
        return out
    end = max(b for _, b in windows)
    for first, block in iter_blocks(path, stream_number, origin_s):
        n = block.shape[1]
        for (a, b), buf in zip(windows, out):
            lo, hi = max(a, first), min(b, first + n)
            if lo < hi:
                buf[:, lo - a:hi - a] = block[:channels, lo - first:hi - first]
        if first >= end:
            break
    return out
