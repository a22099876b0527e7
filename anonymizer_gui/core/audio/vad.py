"""Speech found for review: WebRTC's voice-activity detector on 16 kHz mono, offline.

The raw detector decides per 30 ms; its yes/no flickers inside words and fires on clicks, so
decisions are smoothed into segments an operator can review: gaps shorter than MERGE_GAP_S are
bridged, segments shorter than MIN_SPEECH_S dropped, and each is padded by PAD_S so a range made
from it covers the first and last phonemes (fail closed).
"""

from __future__ import annotations

import numpy as np
import webrtcvad

VAD_RATE = 16000
VAD_FRAME = 480  # 30 ms at 16 kHz
AGGRESSIVENESS = 2  # 0 (keeps most) .. 3 (drops most non-speech); 2 suits field recordings
MERGE_GAP_S = 0.30
MIN_SPEECH_S = 0.20
PAD_S = 0.10


class SpeechDetector:
    """Feed 16 kHz mono int16 samples in order; `segments()` gives [(start_s, end_s)] of speech."""

    def __init__(self, start_s: float = 0.0, aggressiveness: int = AGGRESSIVENESS):
        self._vad = webrtcvad.Vad(aggressiveness)
        self._pending = np.zeros(0, np.int16)
        self._flags: list[bool] = []
        self.start_s = start_s  # timeline time of the first sample fed

    def feed(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._pending, np.asarray(samples, np.int16).ravel()])
        usable = len(data) // VAD_FRAME * VAD_FRAME
        for i in range(0, usable, VAD_FRAME):
            chunk = data[i:i + VAD_FRAME]
            # Digital silence is never speech; skipping it also spares the detector's time.
            self._flags.append(bool(np.any(chunk)) and self._vad.is_speech(chunk.tobytes(), VAD_RATE))
        self._pending = data[usable:]

    def segments(self, duration_s: float | None = None) -> list[tuple[float, float]]:
        return smooth(self._flags, VAD_FRAME / VAD_RATE, self.start_s, duration_s)


def smooth(flags: list[bool], step_s: float, offset_s: float = 0.0,
           duration_s: float | None = None) -> list[tuple[float, float]]:
    """Per-step speech flags -> merged, filtered, padded (start_s, end_s) segments."""
    raw: list[list[float]] = []
    for i, speech in enumerate(flags):
        if not speech:
            continue
        t0, t1 = offset_s + i * step_s, offset_s + (i + 1) * step_s
        if raw and t0 - raw[-1][1] < MERGE_GAP_S:
            raw[-1][1] = t1
        else:
            raw.append([t0, t1])
    end_limit = duration_s if duration_s is not None else float("inf")
    out: list[tuple[float, float]] = []
    for a, b in raw:
        if b - a < MIN_SPEECH_S:
            continue
        a, b = max(0.0, a - PAD_S), min(end_limit, b + PAD_S)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], b)
        else:
            out.append((round(a, 3), round(b, 3)))
    return out
