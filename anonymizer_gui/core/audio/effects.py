"""Audio ranges applied to blocks of samples: mute, bleep and disguise, with short fades.

Samples are addressed on the timeline's clock: sample 0 is the first video frame's time, so a
range [start, end) in seconds covers samples [round(start * rate), round(end * rate)).
A range that starts at 0 s (the first frame) also covers every sample before it: audio that
starts before the video (as in camera files and cut files) is played before the first frame, and
no range could reach it otherwise. A range that starts later leaves that audio as it is.

Fail closed: a range is fully applied from its first to its last sample; the fades (FADE_S)
lie OUTSIDE it, so a muted range is exact digital silence and the cut does not click.
Where ranges overlap the strongest action wins: mute over bleep over disguise. The result of one
block never depends on how the stream was cut into blocks (envelopes and the tone's phase are
computed from absolute sample positions), so a decoder's frame size cannot change the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..project import AudioRange

FADE_S = 0.008  # 8 ms: long enough not to click, short enough not to let a syllable through
PREROLL = -(1 << 62)  # a range's first sample when it covers all the audio before the first frame


def sample_span(start_s: float, end_s: float, sample_rate: int) -> tuple[int, int]:
    return int(round(start_s * sample_rate)), int(round(end_s * sample_rate))


def range_samples(r: AudioRange, sample_rate: int, stream_start: int = PREROLL) -> tuple[int, int]:
    """[a, b) timeline samples of range `r`; one that starts at 0 s starts at `stream_start` (the
    stream's first sample; PREROLL: whatever comes first) when that lies before the first frame."""
    a, b = sample_span(r.start, r.end, sample_rate)
    return (min(a, stream_start) if r.start <= 0 else a), b


def _coverage(positions: np.ndarray, a: int, b: int, fade: int) -> np.ndarray:
    """1 inside [a, b), ramping linearly to 0 over `fade` samples on both sides, else 0."""
    if fade <= 0:
        return ((positions >= a) & (positions < b)).astype(np.float64)
    before = (positions - (a - fade)) / fade  # 0 at a - fade, 1 at a
    after = ((b - 1 + fade) - positions) / fade  # 1 at b - 1, 0 at b - 1 + fade
    return np.clip(np.minimum(before, after), 0.0, 1.0)


@dataclass
class DisguisedSpan:
    """The disguised signal over samples [offset, offset + samples.shape[1]) of one stream."""

    offset: int
    samples: np.ndarray  # (channels, n) float


class RangeProcessor:
    """Applies one audio stream's ranges to successive blocks of (channels, n) float samples."""

    def __init__(self, ranges: list[AudioRange], sample_rate: int, fade_s: float = FADE_S,
                 disguised: list[DisguisedSpan] | None = None):
        self.sample_rate = sample_rate
        self.fade = int(round(fade_s * sample_rate))
        self.ranges = [(r, *range_samples(r, sample_rate)) for r in ranges]
        self.disguised = disguised or []
        # Samples to drop before the encoder, cancelling a priming delay the container cannot record
        # (set by the export for AVI; MP4, MOV and Matroska record it themselves).
        self.encoder_lead = 0

    def reach(self) -> list[tuple[int, int]]:
        """Sample windows the ranges touch, fades included: what a disguise must be computed on
        (a range from 0 s starts at PREROLL here: clip it at the stream's first sample)."""
        return [(a - self.fade, b + self.fade) for _, a, b in self.ranges]

    def touches(self, first: int, count: int) -> bool:
        return any(a - self.fade < first + count and first < b + self.fade for _, a, b in self.ranges)

    def process(self, block: np.ndarray, first: int) -> np.ndarray:
        """The block whose first sample is timeline sample `first`, with the ranges applied."""
        count = block.shape[-1]
        if not self.touches(first, count):
            return block
        pos = np.arange(first, first + count, dtype=np.int64)
        cover = {"mute": np.zeros(count), "bleep": np.zeros(count), "disguise": np.zeros(count)}
        tone = np.zeros(count)
        tone_weight = np.zeros(count)
        for r, a, b in self.ranges:
            c = _coverage(pos, a, b, self.fade)
            if not c.any():
                continue
            np.maximum(cover[r.action], c, out=cover[r.action])
            if r.action == "bleep":
                amp = 10.0 ** (r.level_dbfs / 20.0)
                tone += c * amp * np.sin(2 * np.pi * r.tone_hz * pos / self.sample_rate)
                tone_weight += c
        m, cb, cd = cover["mute"], cover["bleep"], cover["disguise"]
        w_bleep = cb * (1 - m)
        w_disg = cd * (1 - m) * (1 - cb)
        w_orig = (1 - m) * (1 - cb) * (1 - cd)
        out = block.astype(np.float64) * w_orig
        if w_bleep.any():
            out += (tone / np.maximum(tone_weight, 1e-12)) * w_bleep
        if w_disg.any():
            out += self._disguised(block.shape[0], first, count) * w_disg
        out[:, m >= 1.0] = 0.0  # exact zeros inside a mute, whatever the rounding above
        return out.astype(block.dtype)

    def _disguised(self, channels: int, first: int, count: int) -> np.ndarray:
        out = np.zeros((channels, count))
        for span in self.disguised:
            lo, hi = max(first, span.offset), min(first + count, span.offset + span.samples.shape[1])
            if lo < hi:
                out[:, lo - first:hi - first] = span.samples[:, lo - span.offset:hi - span.offset]
        return out


def merged_windows(windows: list[tuple[int, int]], pad: int = 0, lowest: int = 0) -> list[tuple[int, int]]:
    """Sorted, merged [a, b) windows grown by `pad` on both sides and clipped at `lowest`."""
    out: list[list[int]] = []
    for a, b in sorted((max(lowest, a - pad), b + pad) for a, b in windows):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]
