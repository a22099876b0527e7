"""What the audio lanes show: per audio stream, waveform peaks and the speech found, computed in one
decoding pass and cached per file in the user's cache folder.

Peaks are (min, max) per BUCKET_S of the timeline over all channels: 100 pairs a second, so an
hour is 2.9 MB per stream and the lane can draw any zoom level from them. The cache key is the
file's path, size and modification time (and its SHA-256 when the project knows it): reopening a
file costs nothing, and a changed file is decoded again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from ..foundation import CancelFn, Cancelled, MediaError, ProgressFn, ProgressMeter, user_dir, write_bytes_atomic
from ..media import open_input
from .decode import first_sample, frame_samples
from .vad import VAD_RATE, SpeechDetector

BUCKET_S = 0.01
CACHE_VERSION = 1
CACHE_ENV = "ANONYMIZER_GUI_CACHE_DIR"


@dataclass
class AudioOverview:
    """One audio stream as the timeline shows it."""

    stream: int  # counts the audio streams from 0
    sample_rate: int
    channels: int
    codec: str
    mins: np.ndarray  # float32 per bucket, bucket k covers [k, k + 1) * BUCKET_S on the timeline
    maxs: np.ndarray
    speech: list[tuple[float, float]] = field(default_factory=list)  # seconds, sorted
    bucket_s: float = BUCKET_S

    @property
    def duration(self) -> float:
        return len(self.mins) * self.bucket_s


class _PeakAccumulator:
    def __init__(self, bucket: int):
        self.bucket = bucket
        self.mins = np.zeros(0, np.float32)
        self.maxs = np.zeros(0, np.float32)
        self.used = 0

    def add(self, first: int, samples: np.ndarray) -> None:
        n = samples.shape[1]
        if n == 0:
            return
        lo, hi = samples.min(axis=0), samples.max(axis=0)
        pos = np.arange(max(first, 0), first + n)
        if len(pos) == 0:
            return
        lo, hi = lo[-len(pos):], hi[-len(pos):]  # samples before the first video frame are not shown
        idx = pos // self.bucket
        starts = np.concatenate([[0], np.flatnonzero(np.diff(idx)) + 1])
        buckets = idx[starts]
        need = int(buckets[-1]) + 1
        if need > len(self.mins):
            grow = max(need, 2 * len(self.mins))
            self.mins = np.concatenate([self.mins, np.zeros(grow - len(self.mins), np.float32)])
            self.maxs = np.concatenate([self.maxs, np.zeros(grow - len(self.maxs), np.float32)])
        self.used = max(self.used, need)
        self.mins[buckets] = np.minimum(self.mins[buckets], np.minimum.reduceat(lo, starts))
        self.maxs[buckets] = np.maximum(self.maxs[buckets], np.maximum.reduceat(hi, starts))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.used
        return self.mins[:n].copy(), self.maxs[:n].copy()


def compute_overviews(path: str | os.PathLike, origin_s: float, duration_s: float = 0.0,
                      progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> list[AudioOverview]:
    """Peaks and speech of every audio stream of `path`, in one pass (progress in decoded seconds)."""
    meter = ProgressMeter("waveform", max(1, int(duration_s + 0.999)), progress, cancel)  # counts seconds
    with open_input(path) as container:
        streams = list(container.streams.audio)
        if not streams:
            return []
        state = []
        for s in streams:
            cc = s.codec_context
            state.append({"peaks": _PeakAccumulator(max(1, round(cc.sample_rate * BUCKET_S))),
                          "resampler": av.AudioResampler(format="s16", layout="mono", rate=VAD_RATE),
                          "vad": None, "rate": cc.sample_rate, "channels": cc.layout.nb_channels})
        number = {s.index: i for i, s in enumerate(streams)}
        done = 0
        for packet in container.demux(streams):
            if meter.is_cancelled():
                raise Cancelled()
            if packet.stream_index not in number:
                continue
            st = state[number[packet.stream_index]]
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                continue
            for frame in frames:
                first = first_sample(frame, origin_s)
                st["peaks"].add(first, frame_samples(frame))
                if st["vad"] is None:
                    st["vad"] = SpeechDetector(start_s=first / frame.sample_rate)
                for out in st["resampler"].resample(frame):
                    st["vad"].feed(out.to_ndarray())
                at = int((first + frame.samples) / frame.sample_rate)
                if at > done:
                    meter.advance(min(at, meter.total) - min(done, meter.total))
                    done = at
        overviews = []
        for i, (s, st) in enumerate(zip(streams, state)):
            for out in st["resampler"].resample(None):
                if st["vad"] is not None:
                    st["vad"].feed(out.to_ndarray())
            mins, maxs = st["peaks"].result()
            speech = st["vad"].segments(len(mins) * BUCKET_S) if st["vad"] is not None else []
            overviews.append(AudioOverview(i, st["rate"], st["channels"], s.codec_context.name, mins, maxs,
                                           [(a, b) for a, b in speech if b > 0]))
    return overviews


# -- the cache ----------------------------------------------------------------------------------
def cache_key(path: str | os.PathLike, sha256: str = "") -> str:
    p = Path(path).resolve()
    st = p.stat()
    ident = f"v{CACHE_VERSION}|{sha256 or p}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]


def cache_path(path: str | os.PathLike, sha256: str = "") -> Path:
    return user_dir("cache", CACHE_ENV) / "waveforms" / f"{cache_key(path, sha256)}.npz"


def load_overviews(path: str | os.PathLike, origin_s: float, duration_s: float = 0.0, sha256: str = "",
                   progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> list[AudioOverview]:
    """compute_overviews, read from the cache when this file was seen before (and written to it)."""
    try:
        where = cache_path(path, sha256)
    except OSError as exc:
        raise MediaError(f"cannot read {path}: {exc.strerror or exc}") from None
    cached = _read_cache(where, origin_s)
    if cached is not None:
        return cached
    overviews = compute_overviews(path, origin_s, duration_s, progress, cancel)
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(where, _cache_bytes(overviews, origin_s))
    except OSError:
        pass  # a read-only or full cache folder costs a recomputation next time, nothing else
    return overviews


def _cache_bytes(overviews: list[AudioOverview], origin_s: float) -> bytes:
    import io

    meta = {"origin_s": origin_s, "streams": [
        {"stream": o.stream, "sample_rate": o.sample_rate, "channels": o.channels, "codec": o.codec,
         "speech": o.speech, "bucket_s": o.bucket_s} for o in overviews]}
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)}
    for o in overviews:
        arrays[f"mins{o.stream}"], arrays[f"maxs{o.stream}"] = o.mins, o.maxs
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _read_cache(where: Path, origin_s: float) -> list[AudioOverview] | None:
    try:
        with np.load(where, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if abs(meta["origin_s"] - origin_s) > 1e-9:
                return None
            return [AudioOverview(m["stream"], m["sample_rate"], m["channels"], m["codec"],
                                  data[f"mins{m['stream']}"], data[f"maxs{m['stream']}"],
                                  [tuple(s) for s in m["speech"]], m["bucket_s"]) for m in meta["streams"]]
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
