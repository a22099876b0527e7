"""The presentation-order index of a video stream: every frame's time stamp and the keyframes.

Built from demuxed packets without decoding (fast: a 1080p hour indexes in seconds), then
checked by decoding the last GOP, because a packet is not always a frame: a truncated file
ends in packets that do not decode, and a few codecs put frames that are never shown into
packets of their own (VP8 alternate reference frames). If the tail check disagrees in a way
that trimming cannot explain, the index is rebuilt from a full decode, which is slow but right.
Frames damaged in the middle of a file are not detected by this check.

The key of a frame is its pts, or its dts where the container stores no pts; decoded frames
carry the same key, which is how the reader matches what it decodes to an index.
"""

from __future__ import annotations

import bisect
import itertools
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

import av

from ..foundation import MediaError


@dataclass(frozen=True)
class Keyframe:
    key: int        # pts (presentation) of the keyframe
    seek_ts: int    # time stamp to hand to container.seek(): its dts where known


@dataclass(frozen=True)
class FrameIndex:
    keys: tuple[int, ...]             # presentation order
    keyframes: tuple[Keyframe, ...]   # sorted by key
    last_duration: int | None         # duration of the last frame in time_base units, if stored
    time_base: Fraction
    dropped_at_end: int = 0           # packets that did not decode (truncated file)
    from_full_decode: bool = False

    def keyframe_for(self, key: int) -> Keyframe | None:
        """The last keyframe at or before `key` in presentation order.

        Seeking there rather than to the keyframe at or before in decode order keeps open-GOP
        leading B-frames right: they follow their I-frame in decode order but reference the
        GOP before it, which is then decoded first.
        """
        pos = bisect.bisect_right([k.key for k in self.keyframes], key) - 1
        return self.keyframes[pos] if pos >= 0 else None


class Deadline:
    """Bounds the work on one file, so that a huge or damaged input ends in an error, not a hang."""

    def __init__(self, name: str, seconds: float):
        self.name, self.seconds, self.end = name, seconds, time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise MediaError(f"Indexing {self.name} took longer than {self.seconds:.0f} s; "
                             "the file is too large or damaged.")


def decoded_key(frame) -> int | None:
    return frame.pts if frame.pts is not None else frame.dts


def build_frame_index(container, stream, name: str, time_limit: float = 300.0) -> FrameIndex:
    """Index `stream` of an open input container; leaves the container at an unknown position."""
    deadline = Deadline(name, time_limit)
    entries, keyframes, last_duration, needs_decode = _scan_packets(container, stream, deadline)
    if needs_decode or not entries:
        return _index_by_decoding(container, stream, deadline)
    keys = sorted(e for e in entries)
    if len(set(keys)) != len(keys):
        return _index_by_decoding(container, stream, deadline)
    index = FrameIndex(keys=tuple(keys), keyframes=tuple(sorted(keyframes, key=lambda k: k.key)),
                       last_duration=last_duration, time_base=stream.time_base)
    return _check_tail(container, stream, index, deadline)


def _scan_packets(container, stream, deadline: Deadline):
    entries: list[int] = []
    keyframes: list[Keyframe] = []
    last_duration = None
    max_key = None
    needs_decode = False
    is_vp8 = stream.codec_context.name == "vp8"
    try:
        for n, packet in enumerate(container.demux(stream)):
            if n % 512 == 0:
                deadline.check()
            if packet.size == 0 or packet.is_corrupt or packet.is_discard:
                continue
            if is_vp8 and not bytes(packet)[0] & 0x10:
                continue  # VP8 frame header: show_frame bit clear → decoded, never shown
            key = packet.pts if packet.pts is not None else packet.dts
            if key is None:
                needs_decode = True
                continue
            entries.append(key)
            if packet.is_keyframe:
                keyframes.append(Keyframe(key, packet.dts if packet.dts is not None else key))
            if max_key is None or key > max_key:  # (a slice here copied the list per packet: quadratic)
                max_key, last_duration = key, packet.duration or None
    except av.FFmpegError:
        pass  # damaged data after some packets: index what could be read, the tail check trims
    return entries, keyframes, last_duration, needs_decode


def _check_tail(container, stream, index: FrameIndex, deadline: Deadline) -> FrameIndex:
    """The index, checked against a decode of its last GOP (see the module text).

    The decode starts from the last keyframe, sought by its pts and then by its dts (demuxers that
    index by dts, MP4, find the keyframe itself from its pts, while its dts lands a GOP early
    wherever B-frames delay presentation), and from the keyframe before where neither lands well:
    on a truncated file, the last keyframe itself may not decode. A landing counts only if the
    first frame decoded at or after the keyframe is the keyframe and every later one comes later
    (landing_checked): after a seek the MPEG-PS demuxer labels frames with other frames' time
    stamps, and a frame that was there would have been trimmed as a truncated end. Frames missing
    from a good landing are trimmed when they are the last ones (a truncated file); anything else
    is settled by a full decode.
    """
    kfs = index.keyframes
    if not kfs:
        return _index_by_decoding(container, stream, deadline)
    # Frames presented before the last keyframe but decoded after it (open-GOP leading frames)
    # need the GOP before; they are left out of the comparison on both sides.
    expected = {k for k in index.keys if k >= kfs[-1].key}
    for start in kfs[:-3:-1]:  # the last keyframe, then the one before it
        for ts in dict.fromkeys((start.key, start.seek_ts)):
            try:
                packets = packets_from(container, stream, ts, not_after=start.key)
                if packets is None:
                    continue
                frames = landing_checked(decode_frames(container, stream, deadline, packets), start.key,
                                         to_the_end=True)
                decoded = {k for k in map(decoded_key, frames) if k is not None and k >= kfs[-1].key}
            except (av.FFmpegError, SeekLandedBadly):
                continue
            if decoded == expected:
                return index
            missing = expected - decoded
            if decoded < expected and min(missing) > max(decoded, default=min(missing) - 1):
                return FrameIndex(keys=tuple(k for k in index.keys if k not in missing),
                                  keyframes=tuple(k for k in kfs if k.key not in missing),
                                  last_duration=index.last_duration, time_base=index.time_base,
                                  dropped_at_end=len(missing))
            return _full_decode(container, stream, deadline)
    return _full_decode(container, stream, deadline)


def _full_decode(container, stream, deadline: Deadline) -> FrameIndex:
    container.seek(_earliest(container, stream), stream=stream, backward=True)
    return _index_by_decoding(container, stream, deadline, rewound=True)


class SeekLandedBadly(Exception):
    """Decoding after a seek to a keyframe did not start with that keyframe's frame."""


def landing_checked(frames, key: int, to_the_end: bool = False):
    """`frames` decoded after a seek to the keyframe presented at `key`, checked on the way: the
    first frame presented at or after `key` must be that keyframe. With `to_the_end`, every later
    frame must come later too, and a decode that ends without reaching the keyframe fails as well.
    Raises SeekLandedBadly otherwise: the demuxer has handed out time stamps that belong to other
    frames (MPEG-PS after a seek), and a reader that believed them would show, analyse and mask
    the wrong picture at that index."""
    last = None
    for frame in frames:
        k = decoded_key(frame)
        if k is not None and k >= key:
            if (last is None and k != key) or (last is not None and k <= last):
                raise SeekLandedBadly(f"a decode from the keyframe at {key} gave {k} after {last}")
            last = k
            if not to_the_end:
                yield frame
                yield from frames
                return
        yield frame
    if to_the_end and last is None:
        raise SeekLandedBadly(f"a decode from the keyframe at {key} never reached it")


def packets_from(container, stream, ts: int, not_after: int | None = None):
    """Seek to `ts` (backward) and return the stream's packets from there on; None when the stream
    ends there or the first packet lies after `not_after`. FFmpeg's seek errors propagate."""
    container.seek(ts, stream=stream, backward=True)
    packets = container.demux(stream)
    first = next((p for p in packets if p.size), None)
    if first is None:
        return None
    key = first.pts if first.pts is not None else first.dts
    if not_after is not None and key is not None and key > not_after:
        return None
    return itertools.chain([first], packets)


def _index_by_decoding(container, stream, deadline: Deadline, rewound: bool = False) -> FrameIndex:
    if not rewound:
        container.seek(_earliest(container, stream), stream=stream, backward=True)
    keys: list[int] = []
    keyframes: list[Keyframe] = []
    for frame in decode_frames(container, stream, deadline):
        key = decoded_key(frame)
        if key is None:
            raise MediaError("The video has frames without time stamps, which cannot be indexed.")
        keys.append(key)
        if frame.key_frame:
            keyframes.append(Keyframe(key, key))
    if not keys:
        raise MediaError("The video stream holds no frame that can be decoded.")
    if len(set(keys)) != len(keys):
        raise MediaError("The video has several frames with the same time stamp and cannot be indexed.")
    if not keyframes:
        keyframes.append(Keyframe(min(keys), _earliest(container, stream)))
    return FrameIndex(keys=tuple(sorted(keys)), keyframes=tuple(sorted(keyframes, key=lambda k: k.key)),
                      last_duration=None, time_base=stream.time_base, from_full_decode=True)


def _earliest(container, stream) -> int:
    start = stream.start_time
    return min(start, 0) if start is not None else 0


def decode_frames(container, stream, deadline: Deadline | None = None, packets=None):
    """Decode from the current position (or `packets`) to the end, skipping packets the decoder rejects."""
    for n, packet in enumerate(container.demux(stream) if packets is None else packets):
        if deadline is not None and n % 64 == 0:
            deadline.check()
        if packet.is_corrupt:
            continue
        try:
            frames = packet.decode()
        except av.InvalidDataError:
            continue
        yield from frames


# --- a small cache, so that a reader opened right after probe() does not index again ----------

_CACHE: OrderedDict[tuple, FrameIndex] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


def file_identity(path: str) -> tuple:
    st = os.stat(path)
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)


def remember(path: str, stream_index: int, index: FrameIndex) -> None:
    key = (*file_identity(path), stream_index)
    with _CACHE_LOCK:
        _CACHE[key] = index
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def recall(path: str, stream_index: int) -> FrameIndex | None:
    try:
        key = (*file_identity(path), stream_index)
    except OSError:
        return None
    with _CACHE_LOCK:
        return _CACHE.get(key)
