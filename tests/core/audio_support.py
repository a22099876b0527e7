"""Reading audio back for the tests: whole streams on the timeline's clock, levels, spectra, lag."""

from __future__ import annotations

import math

import numpy as np

from anonymizer_gui.core.audio import iter_blocks, rms_dbfs

RATE = 48000


def decoded(path, stream: int = 0) -> np.ndarray:
    """(channels, n) float samples of audio stream `stream`, sample 0 at the first video frame."""
    blocks = list(iter_blocks(path, stream, 0.0))
    first = blocks[0][0]
    assert first == 0, f"stream {stream} of {path} starts at sample {first}"
    return np.concatenate([b for _, b in blocks], axis=1)


def span(x: np.ndarray, a: float, b: float, rate: int = RATE) -> np.ndarray:
    return x[:, int(round(a * rate)):int(round(b * rate))]


def level(x: np.ndarray, a: float, b: float, rate: int = RATE) -> float:
    return rms_dbfs(span(x, a, b, rate))


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """Level of the reference over the level of the difference, in dB."""
    noise = rms_dbfs(test - reference)
    return math.inf if noise == -math.inf else rms_dbfs(reference) - noise


def best_lag(reference: np.ndarray, test: np.ndarray, max_lag: int = 8) -> int:
    """The shift (samples) of `test` that best matches `reference` (0: in sync)."""
    ref, tst = reference[0], test[0]
    core = slice(max_lag, len(ref) - max_lag)
    errors = {lag: float(np.mean((np.roll(tst, -lag)[core] - ref[core]) ** 2)) for lag in range(-max_lag, max_lag + 1)}
    return min(errors, key=errors.get)


def peak_frequency(x: np.ndarray, rate: int = RATE) -> float:
    mono = x.mean(axis=0)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[np.argmax(spectrum)])
