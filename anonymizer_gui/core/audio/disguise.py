"""Voice disguise: the McAdams-coefficient method of the VoicePrivacy Challenge baseline (B2).

Each 20 ms frame (10 ms hop, Hann window) is split by linear prediction into a spectral envelope
(the LPC poles: formants, which carry much of who is speaking) and a residual (pitch and the
words' excitation). Every complex pole's angle phi is moved to phi ** alpha; with alpha < 1 the
formants below ~2.5 kHz move up and the higher ones down, while the residual, and so the pitch
and timing, is kept. The frames are resynthesised at the loudness they had
and overlap-added.

The warp is defined, as in the baseline, on the angle at a 16 kHz sampling rate; at other rates a
pole's frequency is mapped through the same curve in Hz (poles above 8 kHz are left alone), so
the shift in Hz does not depend on the file's sample rate. Pure numpy/scipy: deterministic, offline.
"""

from __future__ import annotations

import numpy as np

# scipy.signal and scipy.linalg are imported where used: together they take ~0.5 s to import,
# which every start of the program paid (core.export imports this module) for a rarely used effect.

DISGUISE_ALPHA = 0.8  # the baseline's McAdams coefficient; smaller = stronger, less natural
FRAME_S = 0.020
HOP_S = 0.010
REFERENCE_RATE = 16000  # the rate at which the baseline's angle warp is defined
LPC_ORDER_16K = 20


def mcadams_frequency(freq_hz: np.ndarray | float, alpha: float = DISGUISE_ALPHA) -> np.ndarray:
    """Where a formant at `freq_hz` moves (the warp applied to each pole), in Hz."""
    f = np.asarray(freq_hz, dtype=np.float64)
    theta = 2 * np.pi * f / REFERENCE_RATE
    warped = np.where(theta < np.pi, np.abs(theta) ** alpha, theta)
    return warped * REFERENCE_RATE / (2 * np.pi)


def lpc(frame: np.ndarray, order: int) -> np.ndarray:
    """[1, a1 .. a_order] by the autocorrelation method (always a stable synthesis filter)."""
    r = np.correlate(frame, frame, mode="full")[len(frame) - 1:len(frame) + order]
    if r[0] <= 1e-12:
        return np.concatenate([[1.0], np.zeros(order)])
    r = r.copy()
    r[0] *= 1.0 + 1e-9  # white-noise floor: keeps the system solvable on pure tones
    from scipy.linalg import solve_toeplitz

    coeffs = solve_toeplitz(r[:order], -r[1:order + 1])
    return np.concatenate([[1.0], coeffs])


def _warp_poles(a: np.ndarray, sample_rate: int, alpha: float) -> np.ndarray:
    poles = np.roots(a)
    angles = np.angle(poles)
    upper = np.imag(poles) > 1e-12  # one of each conjugate pair; real poles are kept
    freq = np.abs(angles[upper]) * sample_rate / (2 * np.pi)
    new_angles = 2 * np.pi * mcadams_frequency(freq, alpha) / sample_rate
    new_angles = np.clip(new_angles, 1e-4, np.pi - 1e-4)
    moved = np.abs(poles[upper]) * np.exp(1j * new_angles)
    kept = poles[np.abs(np.imag(poles)) <= 1e-12]
    return np.real(np.poly(np.concatenate([moved, np.conj(moved), kept])))


def lpc_order(sample_rate: int) -> int:
    """The baseline's order 20 at 16 kHz, grown with the bandwidth (one pole pair per ~1 kHz)."""
    return int(min(48, max(LPC_ORDER_16K, round(LPC_ORDER_16K * sample_rate / REFERENCE_RATE * 0.75))))


def disguise_voice(samples: np.ndarray, sample_rate: int, alpha: float = DISGUISE_ALPHA) -> np.ndarray:
    """The disguised signal; `samples` is (channels, n) or (n,) float, the result has its shape."""
    from scipy.signal import lfilter

    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        return np.stack([disguise_voice(ch, sample_rate, alpha) for ch in x]).astype(samples.dtype)
    n = len(x)
    win_len = max(32, int(round(FRAME_S * sample_rate)))
    hop = win_len // 2
    if n == 0:
        return np.zeros(0, dtype=np.asarray(samples).dtype)
    order = lpc_order(sample_rate)
    window = np.hanning(win_len + 2)[1:-1]  # periodic-like, sums to ~1 at 50 % overlap
    padded = np.concatenate([np.zeros(hop), x, np.zeros(win_len + hop)])
    out = np.zeros_like(padded)
    norm = np.zeros_like(padded)
    for start in range(0, len(padded) - win_len + 1, hop):
        frame = padded[start:start + win_len] * window
        if not np.any(frame):
            continue
        a = lpc(frame, order)
        residual = lfilter(a, [1.0], frame)
        warped = _warp_poles(a, sample_rate, alpha)
        frame_out = lfilter([1.0], warped, residual)
        # Moving the poles changes the filter's gain; each frame keeps the loudness it had.
        gain = np.sqrt(np.sum(frame ** 2) / max(np.sum(frame_out ** 2), 1e-20))
        out[start:start + win_len] += frame_out * gain * window
        norm[start:start + win_len] += window ** 2
    norm[norm < 1e-6] = 1.0
    y = (out / norm)[hop:hop + n]
    peak = np.max(np.abs(y)) if n else 0.0
    if peak > 1.0:  # keep the resynthesis inside full scale
        y /= peak
    return y.astype(np.asarray(samples).dtype)
