"""Generated audio whose every property is known: tones, chirps and speech-like vowel bursts.

A "voice" is a glottal pulse train at pitch F0 through formant resonators (F1..F3): the
source-filter model of a vowel, which is what voice disguise changes (formants) and keeps (F0),
and what a voice-activity detector takes for speech.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

VOICE_A = (120.0, (730.0, 1090.0, 2440.0))  # F0, formants: a low voice saying "ah"
VOICE_B = (210.0, (850.0, 1220.0, 2810.0))  # a higher voice, the same vowel


def sine(n: int, rate: int, freq: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(n) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def chirp(n: int, rate: int, f0: float = 200.0, f1: float = 4000.0, amplitude: float = 0.3) -> np.ndarray:
    """A linear sweep over the whole signal: every sample differs from its neighbours' pattern, so
    a shift of one sample shows in a correlation."""
    t = np.arange(n) / rate
    span = max(t[-1], 1e-9) if n else 1.0
    return amplitude * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * span)))


def vowel(n: int, rate: int, voice=VOICE_A, amplitude: float = 0.3) -> np.ndarray:
    f0, formants = voice
    period = rate / f0
    pulses = np.zeros(n)
    pulses[(np.arange(0, n, period)).astype(int)] = 1.0
    y = lfilter([1.0], [1.0, -0.97], pulses)  # glottal roll-off
    for f in formants:
        bw = 80.0 + 0.05 * f
        r = np.exp(-np.pi * bw / rate)
        theta = 2 * np.pi * f / rate
        y = lfilter([1.0 - r], [1.0, -2 * r * np.cos(theta), r * r], y)
    peak = np.max(np.abs(y)) or 1.0
    return amplitude * y / peak


def speech_bursts(n: int, rate: int, on_s: float = 0.6, off_s: float = 0.5, start_s: float = 0.3,
                  voice=VOICE_A, amplitude: float = 0.3) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Vowel bursts separated by silence; returns the signal and the bursts' (start, end) seconds."""
    out = np.zeros(n)
    bursts = []
    t = start_s
    while (t + on_s) * rate <= n:
        a, b = int(t * rate), int((t + on_s) * rate)
        env = np.minimum(1.0, np.minimum(np.arange(b - a), np.arange(b - a)[::-1]) / (0.02 * rate))
        out[a:b] = vowel(b - a, rate, voice, amplitude) * env
        bursts.append((t, t + on_s))
        t += on_s + off_s
    return out, bursts


def signal_for(kind: str, n: int, rate: int, freq: float) -> np.ndarray:
    if kind == "sine":
        return sine(n, rate, freq)
    if kind == "chirp":
        return chirp(n, rate)
    if kind == "speech":
        return speech_bursts(n, rate)[0]
    raise ValueError(f"unknown signal {kind!r}")
