"""The facts of a media file, as plain frozen dataclasses (see `media.probe`)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int
    codec: str
    channels: int
    sample_rate: int
    language: str | None
    bit_rate: int | None

    def to_json(self) -> dict:
        return {"index": self.index, "kind": "audio", "codec": self.codec, "channels": self.channels,
                "sample_rate": self.sample_rate, "language": self.language, "bit_rate": self.bit_rate}


@dataclass(frozen=True)
class StreamInfo:
    """A subtitle, data or attachment stream."""

    index: int
    kind: str
    codec: str | None
    language: str | None

    def to_json(self) -> dict:
        return {"index": self.index, "kind": self.kind, "codec": self.codec, "language": self.language}


@dataclass(frozen=True)
class MediaInfo:
    """What `probe` learned about a file.

    Time stamps: `pts` are the stream's own presentation time stamps (time_base units), in
    presentation order, one per frame that decodes. `timestamp(i)` counts seconds from the
    first frame, so a clip whose first frame is stored at 1.4 s (MPEG-TS) still starts at 0.
    Stills: one frame, pts (0,), time base 1/1, fps 1 and duration 1 s.
    """

    path: str
    container: str
    video_codec: str
    pix_fmt: str
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    fps: float
    time_base: Fraction
    frame_count: int
    duration: float
    vfr: bool
    pts: tuple[int, ...]
    video_stream_index: int
    audio: tuple[AudioStreamInfo, ...] = ()
    subtitles: tuple[StreamInfo, ...] = ()
    data: tuple[StreamInfo, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    is_still: bool = False
    mirrored: bool = False  # the display matrix flips the coded picture left to right before `rotation`

    @property
    def start_time(self) -> float:
        """Presentation time of the first frame as stored in the file, in seconds."""
        return float(self.pts[0] * self.time_base) if self.pts else 0.0

    def timestamp(self, index: int) -> float:
        """Seconds from the first frame to frame `index`."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1}")
        return float((self.pts[index] - self.pts[0]) * self.time_base)

    def index_at_time(self, t: float) -> int:
        """The frame on screen at `t` seconds from the first frame (clamped to the clip)."""
        if self.frame_count == 0:
            raise IndexError("the media has no frames")
        target = self.pts[0] + Fraction(t).limit_denominator(10**9) / self.time_base
        # A time computed from a frame's own time stamp must land on that frame despite rounding.
        pos = bisect.bisect_right(self.pts, target + Fraction(1, 1000)) - 1
        return min(max(pos, 0), self.frame_count - 1)

    def to_json(self, frames: bool = False) -> dict:
        streams = [{"index": self.video_stream_index, "kind": "video", "codec": self.video_codec,
                    "pix_fmt": self.pix_fmt, "width": self.width, "height": self.height,
                    "coded_width": self.coded_width, "coded_height": self.coded_height,
                    "rotation": self.rotation, "fps": self.fps,
                    "time_base": f"{self.time_base.numerator}/{self.time_base.denominator}"}]
        streams += [a.to_json() for a in self.audio]
        streams += [s.to_json() for s in (*self.subtitles, *self.data)]
        streams.sort(key=lambda s: s["index"])
        out = {
            "path": self.path, "container": self.container, "codec": self.video_codec,
            "pix_fmt": self.pix_fmt, "width": self.width, "height": self.height,
            "coded_width": self.coded_width, "coded_height": self.coded_height,
            "rotation": self.rotation, "fps": self.fps,
            "time_base": f"{self.time_base.numerator}/{self.time_base.denominator}",
            "frame_count": self.frame_count, "duration": self.duration, "vfr": self.vfr,
            "start_time": self.start_time, "is_still": self.is_still,
            "video_stream_index": self.video_stream_index,
            "audio_streams": len(self.audio), "subtitle_streams": len(self.subtitles),
            "data_streams": len(self.data), "streams": streams, "tags": dict(self.tags),
        }
        if self.mirrored:
            out["mirrored"] = True
        if frames:
            out["frames"] = [{"index": i, "pts": p, "time": self.timestamp(i)}
                             for i, p in enumerate(self.pts)]
        return out
