"""How strong the voice disguise is, measured on synthetic voices (source-filter vowels).

    .venv/bin/python -m benchmarks.audio_disguise [--alpha 0.8] [--rate 48000]

Three numbers, each with what it stands for:
1. Formant shift (Hz): F1-F3 of each vowel before and after, measured as the sharp poles of an
   order-18 LPC at 16 kHz. Formants are the vocal tract's resonances, a main cue of who speaks.
2. Pitch kept: F0 by autocorrelation, before and after (the words' melody and timing survive).
3. A speaker-similarity proxy: cosine similarity of mean MFCCs (c1-c19, log-mel, 40 bands),
   the long-term spectral envelope that classic speaker verification (GMM-UBM) builds on.
   Compared: the same voice saying other vowels (same speaker), the disguised voice, and a
   different voice. This is a proxy, not an x-vector EER on real speech (no such model or corpus
   is available offline here): it says where the disguise lands between "same" and "other".
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.fft import dct
from scipy.signal import resample_poly

from anonymizer_gui.core.audio import DISGUISE_ALPHA, disguise_voice, mcadams_frequency
from anonymizer_gui.core.audio.disguise import lpc
from tests.audio_signals import vowel

# Peterson & Barney (1952), average adult male formants (Hz).
VOWELS = {"i": (270, 2290, 3010), "e": (530, 1840, 2480), "a": (730, 1090, 2440), "o": (570, 840, 2410),
          "u": (300, 870, 2240)}
FEMALE_SCALE = 1.17  # a shorter vocal tract: every formant ~17 % higher


def utterance(rate: int, vowels: str, f0: float, scale: float = 1.0, seconds: float = 0.4) -> np.ndarray:
    parts = []
    for v in vowels:
        n = int(seconds * rate)
        env = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.02 * rate))
        parts.append(vowel(n, rate, (f0, tuple(f * scale for f in VOWELS[v])), 0.3) * env)
        parts.append(np.zeros(int(0.1 * rate)))
    return np.concatenate(parts)


def formants(x: np.ndarray, rate: int, count: int = 3) -> list[float]:
    x = resample_poly(x, 16000, rate) if rate != 16000 else x
    n = int(0.05 * 16000)
    frame = x[len(x) // 4:len(x) // 4 + n] * np.hanning(n)
    roots = np.roots(lpc(frame, 18))
    roots = roots[(np.imag(roots) > 0) & (np.abs(roots) > 0.85)]
    return [f for f in sorted(np.angle(roots) * 16000 / (2 * np.pi)) if f > 200][:count]


def pitch(x: np.ndarray, rate: int) -> float:
    seg = x[len(x) // 4:len(x) // 4 + int(0.1 * rate)]
    ac = np.correlate(seg, seg, "full")[len(seg) - 1:]
    lo, hi = int(rate / 400), int(rate / 60)
    return rate / (lo + int(np.argmax(ac[lo:hi])))


def mean_mfcc(x: np.ndarray, rate: int, bands: int = 40, coeffs: int = 20) -> np.ndarray:
    x = resample_poly(x, 16000, rate) if rate != 16000 else x
    n, hop = 400, 160
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::hop] * np.hamming(n)
    power = np.abs(np.fft.rfft(frames, 512)) ** 2
    voiced = power.sum(axis=1) > 1e-6 * power.sum(axis=1).max()
    mel = lambda f: 2595 * np.log10(1 + f / 700)  # noqa: E731
    edges = 700 * (10 ** (np.linspace(mel(60), mel(7600), bands + 2) / 2595) - 1)
    bins = np.fft.rfftfreq(512, 1 / 16000)
    fb = np.zeros((bands, len(bins)))
    for b in range(bands):
        lo, mid, hi = edges[b:b + 3]
        fb[b] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    logmel = np.log(power[voiced] @ fb.T + 1e-10)
    return dct(logmel, type=2, norm="ortho", axis=1)[:, 1:coeffs].mean(axis=0)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--alpha", type=float, default=DISGUISE_ALPHA)
    ap.add_argument("--rate", type=int, default=48000)
    args = ap.parse_args()
    rate = args.rate
    print(f"McAdams alpha {args.alpha}, {rate} Hz")
    print("vowel   F1/F2/F3 before -> after (Hz)                 warp predicts        F0 before -> after")
    for v in VOWELS:
        x = utterance(rate, v, 120.0)
        y = disguise_voice(x, rate, args.alpha)
        fb, fa = formants(x, rate), formants(y, rate)
        pred = mcadams_frequency(np.array(fb), args.alpha)
        print(f"  {v}     {'/'.join(f'{f:.0f}' for f in fb):>16} -> {'/'.join(f'{f:.0f}' for f in fa):<16}"
              f"  {'/'.join(f'{f:.0f}' for f in pred):<18}  {pitch(x, rate):.1f} -> {pitch(y, rate):.1f}")
    speaker_a = utterance(rate, "iaeou", 120.0)
    speaker_a_again = utterance(rate, "oueai", 126.0)  # same voice, other order, a little higher
    speaker_b = utterance(rate, "iaeou", 210.0, FEMALE_SCALE)
    t0 = time.process_time()
    disguised = disguise_voice(speaker_a, rate, args.alpha)
    cpu = time.process_time() - t0
    ref = mean_mfcc(speaker_a_again, rate)
    same = cosine(mean_mfcc(speaker_a, rate), ref)
    disg = cosine(mean_mfcc(disguised, rate), ref)
    other = cosine(mean_mfcc(speaker_b, rate), ref)
    print("speaker-similarity proxy (cosine of mean MFCCs against the same voice saying other vowels):")
    print(f"  same voice {same:.3f}   disguised {disg:.3f}   another voice {other:.3f}")
    print(f"  the disguise moves the voice {100 * (same - disg) / (same - other):.0f} % of the way from "
          "'same speaker' to 'another speaker'")
    print(f"disguise cost: {cpu / (len(speaker_a) / rate):.2f} s CPU per second of audio at {rate} Hz")


if __name__ == "__main__":
    main()
