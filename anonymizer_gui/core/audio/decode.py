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


def audio_streams(container) -> list:
    return list(container.streams.audio)


def iter_blocks(path, stream_number: int, origin_s: float) -> Iterator[tuple[int, np.ndarray]]:
    """(timeline sample index of the first sample, (channels, n) float32) per decoded frame."""
    with open_input(path) as container:
        streams = audio_streams(container)
        if not 0 <= stream_number < len(streams):
            raise MediaError(f"{path} has no audio stream {stream_number} (it has {len(streams)})")
        stream = streams[stream_number]
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                continue
            for frame in frames:
                yield first_sample(frame, origin_s), frame_samples(frame)


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
