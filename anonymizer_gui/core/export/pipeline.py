"""Decode -> render -> encode -> mux, with decoding and rendering on a thread of their own.

A worker thread demuxes, decodes and draws the masks, feeding a small bounded queue; encoding
and muxing run on the calling thread. PyAV, OpenCV and most of numpy release the GIL, so the
drawing overlaps the encoder's work instead of adding to it. Only the calling thread touches the
output container.

Every decoded frame is matched to its presentation index by its time stamp (the key that
`probe` recorded for it), so masks land on the right frame whatever the GOP structure, and the
frame keeps its own time stamp and time base: variable frame rates pass through unchanged.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from fractions import Fraction
from dataclasses import dataclass
from typing import Callable, Iterator

import av
import cv2

from ..audio import RangeProcessor, SampleClock, frame_samples, samples_frame
from ..foundation import ExportError
from ..foundation import ProgressMeter
from ..media import RESIZE_FILTER, MediaInfo, decoded_key
from ..render import mirror_frame, render_frame
from ..render import Mask

QUEUE_ITEMS = 16  # decoded frames and packets in flight: enough to ride out the encoder's bursts
_NO_PICT_TYPE = av.video.frame.PictureType.NONE
_KEYFRAME = av.video.frame.PictureType.I


_OPENCV_LOCK = threading.Lock()
_opencv_serial_users = 0
_opencv_threads_before = 0


@contextlib.contextmanager
def opencv_serial():
    """OpenCV without its thread pool while at least one export runs (process-wide, restored after).

    The renderer works on mask-sized regions; OpenCV still splits them over its pool, whose workers
    wake, spin and sleep for every call without making it faster while the encoder keeps every core
    busy (measured on 2 cores: 4.8 ms CPU per 1080p frame with the pool, 3.3 ms without, same wall
    time), and the spinning takes CPU from the encoder.
    """
    global _opencv_serial_users, _opencv_threads_before
    with _OPENCV_LOCK:
        if _opencv_serial_users == 0:
            _opencv_threads_before = cv2.getNumThreads()
            cv2.setNumThreads(1)
        _opencv_serial_users += 1
    try:
        yield
    finally:
        with _OPENCV_LOCK:
            _opencv_serial_users -= 1
            if _opencv_serial_users == 0:
                cv2.setNumThreads(_opencv_threads_before)


def mux_packets(container, packets) -> None:
    """The one door to the muxer (tests simulate a full disk here)."""
    container.mux(packets)


@dataclass
class TranscodeStats:
    frames_written: int = 0
    frames_masked: int = 0
    masks_drawn: int = 0
    undecodable_packets: int = 0
    frames_resized: int = 0  # stored at another size than the first frame (scaled to it)
    render_s: float = 0.0  # wall time spent drawing masks
    render_cpu_s: float = 0.0  # CPU time of the same (this thread)
    wall_s: float = 0.0


class Transcoder:
    """Runs one export from an open input to an open output container."""

    def __init__(self, inp, out, info: MediaInfo, video_out, kept: dict, convert_to: str | None,
                 masks_for: Callable[[int], list[Mask]], meter: ProgressMeter, threaded: bool = True,
                 pts_offset: int = 0, audio_processors: dict[int, RangeProcessor] | None = None,
                 audio_origin_s: float | None = None):
        self.inp, self.out, self.info = inp, out, info
        self.video_in = inp.streams[info.video_stream_index]
        self.video_out = video_out
        self.kept = kept  # input index -> ("copy" | "encode" | "redact", output stream)
        self.audio_processors = audio_processors or {}  # input index -> the audio ranges to apply
        # Audio ranges count seconds from the first video frame, on the output's clock.
        self.audio_origin_s = info.start_time if audio_origin_s is None else audio_origin_s
        self.convert_to = convert_to
        self.masks_for = masks_for
        self.meter = meter
        self.threaded = threaded
        self.pts_offset = pts_offset  # added to every video time stamp (AVI counts frames from 0)
        # Checking the written file (probe) decodes from its last keyframe to the end; a keyframe
        # one second before the end keeps that short whatever the encoder's GOP length (libx264:
        # up to 250 frames). One extra keyframe per file.
        second = max(1, round(info.fps or 25))
        self.forced_keyframes = {i for i in (info.frame_count - second,) if i > 0}
        self.stats = TranscodeStats()
        self.coded_size = info.coded_width, info.coded_height  # every frame is drawn and encoded at this size
        self._index_of_key = {k: i for i, k in enumerate(info.pts)}
        self._audio_passed: dict[int, int] = {}  # per redacted stream: samples decoded so far
        self._audio_clocks: dict[int, SampleClock] = {}  # per redacted stream: where its frames lie
        self._next_index = 0
        self._stop = threading.Event()

    def run(self) -> TranscodeStats:
        start = time.monotonic()
        self.video_in.thread_type = "AUTO"
        for s in self.inp.streams:
            if s.index != self.video_in.index and s.index not in self.kept:
                s.discard = av.stream.Discard.all
        items = self._threaded_items() if self.threaded else self._decoded_items()
        # Closed explicitly on any exit, so the decoding thread has stopped before the caller
        # closes the containers it reads from.
        with opencv_serial(), contextlib.closing(items):
            for kind, payload in items:
                if kind == "video":
                    self._video(payload)
                elif kind == "copy":
                    index, packet = payload
                    packet.stream = self.kept[index][1]
                    mux_packets(self.out, packet)
                else:  # "audio": a decoded frame to re-encode
                    index, frame = payload
                    mux_packets(self.out, self.kept[index][1].encode(frame))
        mux_packets(self.out, self.video_out.encode(None))
        for action, stream in self.kept.values():
            if action != "copy":
                mux_packets(self.out, stream.encode(None))
        self.stats.wall_s = time.monotonic() - start
        if self.stats.frames_written != self.info.frame_count:
            raise ExportError(
                f"only {self.stats.frames_written} of the {self.info.frame_count} frames of "
                f"{self.info.path} could be decoded ({self.stats.undecodable_packets} damaged packets); "
                "nothing was written")
        return self.stats

    # -- the calling thread: encode and mux --------------------------------------------------------
    def _video(self, payload) -> None:
        index, frame = payload
        # A decoded I-frame would force a keyframe at the same place; let the encoder choose.
        frame.pict_type = _KEYFRAME if index in self.forced_keyframes else _NO_PICT_TYPE
        mux_packets(self.out, self.video_out.encode(frame))
        self.stats.frames_written += 1
        self.meter.advance()

    # -- the decoding thread: demux, decode, draw the masks -----------------------------------------
    # Drawing happens here rather than beside the encoder: the calling thread's encode() calls are
    # what paces the export, and the decoding thread has time to spare.
    def _decoded_items(self) -> Iterator[tuple[str, object]]:
        streams = [self.video_in] + [self.inp.streams[i] for i in self.kept]
        for packet in self.inp.demux(streams):
            if self._stop.is_set():
                return
            index = packet.stream_index
            if index == self.video_in.index:
                for frame in self._decode(packet):
                    ready = self._prepare(frame)
                    if ready is not None:
                        yield "video", ready
                continue
            action = self.kept[index][0]
            if action == "copy":
                # Size 0 marks the demuxer's end-of-stream flush. A missing dts is normal (Matroska
                # stores none); the muxer derives it.
                if packet.size and (packet.pts is not None or packet.dts is not None):
                    yield "copy", (index, packet)
            else:
                processor = self.audio_processors.get(index)
                for frame in self._decode(packet):
                    if processor is not None:
                        frame = self._redact(index, processor, frame)
                    if frame is not None:
                        yield "audio", (index, frame)

    def _redact(self, index: int, processor: RangeProcessor, frame):
        """The audio frame with its ranges applied (None when nothing of it is left). Every frame of
        the stream goes to the encoder as planar float, touched or not: its resampler is set up by
        the first frame it sees."""
        clock = self._audio_clocks.setdefault(index, SampleClock(self.audio_origin_s))
        first = clock.place(frame)
        samples = processor.process(frame_samples(frame), first)
        lead = processor.encoder_lead
        if not lead:
            return samples_frame(samples, frame)
        # The encoder will put `lead` samples of priming first, which this container cannot mark:
        # its first `lead` input samples are dropped, so decoded sample k is source sample k again.
        passed = self._audio_passed.get(index, 0)
        self._audio_passed[index] = passed + samples.shape[1]
        cut = max(0, min(samples.shape[1], lead - passed))
        samples, first = samples[:, cut:], first + cut
        if samples.shape[1] == 0:
            return None
        out = samples_frame(samples, frame)
        out.time_base = Fraction(1, frame.sample_rate)
        out.pts = first - lead
        return out

    def _prepare(self, frame):
        """(index, frame with its masks drawn), or None for a frame that is not in the index."""
        index = self._index_of_key.get(decoded_key(frame))
        if index is None or index < self._next_index:
            return None  # past a truncated end, or a frame already passed on
        self._next_index = index + 1
        if frame.pts is None or self.pts_offset:
            frame.pts = decoded_key(frame) + self.pts_offset
        size = self.coded_size
        if (frame.width, frame.height) != size:
            # A stream that changes size mid-way: the masks are in the first frame's pixels (as
            # the reader scales every frame for the analysis and the editor), so the frame is
            # scaled before they are drawn, not after by the encoder.
            frame = frame.reformat(width=size[0], height=size[1], format=self.convert_to or frame.format.name,
                                   interpolation=RESIZE_FILTER)
            self.stats.frames_resized += 1
        elif self.convert_to is not None:
            frame = frame.reformat(format=self.convert_to)
        if self.info.mirrored:
            # The output's display matrix holds the rotation alone (a mirror cannot be written
            # through PyAV), so the flip goes into the pixels: the output shows what the input
            # showed, and the masks, in the flipped picture's coded pixels, land where drawn.
            mirror_frame(frame)
        masks = self.masks_for(index)
        if masks:
            t0, c0 = time.perf_counter(), time.thread_time()
            render_frame(frame, masks)
            self.stats.render_s += time.perf_counter() - t0
            self.stats.render_cpu_s += time.thread_time() - c0
            self.stats.frames_masked += 1
            self.stats.masks_drawn += len(masks)
        return index, frame

    def _decode(self, packet) -> list:
        if packet.is_corrupt:
            self.stats.undecodable_packets += 1
            return []
        try:
            return packet.decode()
        except av.InvalidDataError:
            self.stats.undecodable_packets += 1  # a damaged packet: the frames after it may decode
            return []

    def _threaded_items(self) -> Iterator[tuple[str, object]]:
        q: queue.Queue = queue.Queue(maxsize=QUEUE_ITEMS)
        worker = threading.Thread(target=self._produce, args=(q,), name="export-decode", daemon=True)
        worker.start()
        try:
            while True:
                try:
                    kind, payload = q.get(timeout=1.0)
                except queue.Empty:
                    if worker.is_alive():
                        continue
                    raise ExportError("decoding stopped unexpectedly; nothing was written") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise payload
                yield kind, payload
        finally:
            self._stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    q.get(timeout=0.05)
                except queue.Empty:
                    pass
            worker.join()

    def _produce(self, q: queue.Queue) -> None:
        try:
            for item in self._decoded_items():
                if not self._put(q, item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, which raises it
            self._put(q, ("error", exc))
            return
        self._put(q, ("end", None))

    def _put(self, q: queue.Queue, item) -> bool:
        while not self._stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
