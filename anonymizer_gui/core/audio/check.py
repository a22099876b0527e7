"""Checking an exported file's audio against its project: silent where muted, free of the source
where bleeped, not the undisguised source where disguised, absent when removed.

    check_muted_ranges(output, project) -> [AudioFinding]   (empty: the audio is as the project asks)

Each range is judged window by window (WINDOW_S, overlapping by half) and its worst window is
reported, so no length of range can average a short sound away (one RMS over a 10-minute range
hears 0.3 s at -30 dBFS as -63 dBFS). The rules, measured on exports of tones, chirps, vowels and
noise in AAC, Opus, MP2 and MP3 (tests/core/test_audio_check.py):
- mute: the loudest channel's RMS is at most SILENCE_DBFS.
- bleep: once the output the project asks for (the tone; silence where a mute overlaps) and
  the bleep tones at any phase are taken out (each at its best gain, per window), what is left
  must not be the source: its part along the source is reported when that is over SILENCE_DBFS
  and makes at least SOURCE_SHARE of what is left. Measured: a codec's error on the tone makes at
  most 0.05 of it, the source left in (alone or under the tone) 0.8 to 1. A window where the
  source is mostly a tone at the bleep's frequency (all but SOURCE_LEFT of it) is not judged:
  there is little else to hear, and a codec distorts the two tones alike.
- disguise: the output must not be nearer the source than the disguised source, which is
  computed here as the export computes it: a window over SILENCE_DBFS whose output lies NEARER_DB
  closer to the source than to the disguise (each at its best gain) is reported. Measured:
  correct exports lie at least as near the disguise, an undisguised output a median 34 dB nearer
  the source (a voice: 5 dB or more in a window). Windows QUIET_DB under the range's loudest are
  not judged: Opus leaves the quiet tails after a vowel much as they were (up to 5 dB nearer the
  source at -58 dBFS in a correct export). Sound with no voice in it (noise, a pure tone) is
  hardly changed by a disguise, so an undisguised one is not told apart; nor is a source mixed in
  under a correctly disguised voice looked for.
Near a range's edges a codec smears the sound outside into it: AAC and MP3 for ~20 ms, 15 dB or
more under it; Opus for ~0.3 s, from 9 dB under it and fading. There a window is judged against
the loudest window within REACH_S outside, where that allows more than SILENCE_DBFS: SMEAR (Opus:
OPUS_SMEAR) says how far under it at the edge and how much lower per second away. The original
itself still sounding into a range (a range placed late) stays above that.

A range that starts at 0 s also covers the audio before the first video frame (see effects) and
is checked from the stream's first sample.

Bleeped and disguised ranges are compared with the project's source (project.media.path) on the
audio's own clock: export passes audio time stamps through, so the output's audio at a time is
the source's at the same time (in AVI too, whose video clock the export restarts at 0), resampled
where the output's rate differs, and matched within LAG_S (WebM and Matroska count whole
milliseconds: audio re-encoded into them may land 0.5 ms off). Output audio stream k is the
project's audio stream k: export keeps every audio stream, in order, or none.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ..foundation import MediaError
from ..media import open_input, probe
from ..project import AudioRange, Project
from .decode import read_windows, stream_start
from .effects import FADE_S, range_samples
from .processing import range_processor

SILENCE_DBFS = -60.0
WINDOW_S = 0.05  # judged windows, overlapping by half: a syllable is judged at its own level
REACH_S = 0.5  # how far outside a range a codec's smear can come from (Opus: ~0.3 s)
# A window near a range's edge may hold the codec's smear of the sound outside: so much under the
# loudest window outside at the edge, and so much lower per second away from it.
SMEAR = (10.0, 1000.0)  # AAC, MP3, MP2, AC3: 15 dB or more under it, gone after ~25 ms
OPUS_SMEAR = (5.0, 120.0)  # Opus fades its bands out: 9 dB under it, ~170 dB a second
SOURCE_SHARE = 0.5  # bleep: the source's share of what is left once the tone is taken out
SOURCE_LEFT = 0.1  # bleep: a window is judged where this much of the source is not the tone itself
NEARER_DB = 4.0  # disguise: how much nearer the source than the disguise an output may not be
QUIET_DB = 30.0  # disguise: windows this far under the range's loudest are not judged
LAG_S = 0.001  # how far off the source an output's audio may lie (Matroska counts whole milliseconds)
_RESAMPLE_PAD = 64  # output samples decoded beyond a window, so resampling has no edge effects
_BLOCK = 1 << 16  # samples handled at a time where a range's length would otherwise cost memory


@dataclass(frozen=True)
class AudioFinding:
    stream: int
    start: float
    end: float
    action: str
    level_dbfs: float | None
    message: str

    def to_json(self) -> dict:
        return {"stream": self.stream, "start": self.start, "end": self.end, "action": self.action,
                "level_dbfs": self.level_dbfs, "message": self.message}


@dataclass(frozen=True)
class Leak:
    """The worst window of a range: its level and its samples [first, last) from the range's first."""

    level_dbfs: float
    first: int
    last: int


def rms_dbfs(samples: np.ndarray) -> float:
    if samples.size == 0:
        return -math.inf
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def check_muted_ranges(output: str | os.PathLike, project: Project) -> list[AudioFinding]:
    """One finding per range whose output breaks its action (every action, despite the name, which
    verify and older callers use), or per audio stream kept although the project removes audio."""
    info = probe(output)
    with open_input(output) as container:
        streams = [(s.codec_context.sample_rate, s.codec_context.layout.nb_channels, s.codec_context.name)
                   for s in container.streams.audio]
    wanted = max((r.stream for r in project.audio_ranges), default=-1)
    if wanted >= len(streams) and not project.remove_audio:
        raise MediaError(f"{output} has {len(streams)} audio streams; the project has ranges on stream {wanted}")
    findings: list[AudioFinding] = []
    if project.remove_audio:
        for k in range(len(streams)):
            findings.append(AudioFinding(k, 0.0, info.duration, "remove", None,
                                         f"audio stream {k} is present although the project removes all audio"))
        return findings
    for stream, (rate, channels, codec) in enumerate(streams):
        ranges = [r for r in project.audio_ranges if r.stream == stream]
        if ranges:
            smear = OPUS_SMEAR if codec in ("opus", "libopus") else SMEAR
            findings += _check_stream(output, info.start_time, stream, rate, channels, smear, ranges, project)
    return findings


def _check_stream(output, origin: float, stream: int, rate: int, channels: int, smear: tuple[float, float],
                  ranges: list[AudioRange], project: Project) -> list[AudioFinding]:
    first = 0
    if any(r.start <= 0 for r in ranges):
        first = stream_start(output, stream, origin) or 0
    spans = [range_samples(r, rate, first) for r in ranges]
    edge = int(round(REACH_S * rate))
    outputs = read_windows(output, stream, origin, [(a - edge, b + edge) for a, b in spans], channels)
    lag = int(round(LAG_S * rate))
    compared = [i for i, r in enumerate(ranges) if r.action != "mute"]
    sources: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if compared:
        wide = [(spans[i][0] - lag, spans[i][1] + lag) for i in compared]
        pairs = _source_windows(project, stream, origin, ranges, wide, rate, channels)
        sources = dict(zip(compared, pairs))
    fade = int(round(FADE_S * rate))
    findings = []
    for i, (r, (a, b), y) in enumerate(zip(ranges, spans, outputs)):
        source, expected = sources.get(i, (None, None))
        tones = tuple((q.tone_hz, qa - a - fade, qb - a + fade) for q, (qa, qb) in zip(ranges, spans)
                      if q.action == "bleep" and qa - fade < b and a < qb + fade)
        leak = find_leak(r.action, y, rate, source, expected, edge, lag, tones, smear)
        if leak is not None:
            findings.append(_finding(stream, r, leak, (a + leak.first) / rate, (a + leak.last) / rate))
    return findings


def _finding(stream: int, r: AudioRange, leak: Leak, t0: float, t1: float) -> AudioFinding:
    if t1 <= 0:
        where = "in the audio before the first frame"
    elif t0 < 0:
        where = f"from the audio before the first frame to {t1:.3f} s"
    else:
        where = f"at {t0:.3f}-{t1:.3f} s"
    span = f"{r.start:.3f}-{r.end:.3f} s"
    level = round(leak.level_dbfs, 1)
    if r.action == "mute":
        text = f"is not silent in the muted range {span} ({level:.1f} dBFS RMS {where})"
    elif r.action == "bleep":
        text = f"still holds the source's sound in the bleeped range {span} ({level:.1f} dBFS of it {where})"
    else:
        text = f"is the undisguised source in the disguised range {span} ({level:.1f} dBFS {where})"
    return AudioFinding(stream, r.start, r.end, r.action, level, f"audio stream {stream} {text}")


# -- one range's samples -> its worst window --------------------------------------------------------
def find_leak(action: str, output: np.ndarray, rate: int, source: np.ndarray | None = None,
              expected: np.ndarray | None = None, edge: int = 0, lag: int = 0,
              tones: tuple[tuple[float, int, int], ...] = (), smear: tuple[float, float] = SMEAR) -> Leak | None:
    """The worst window of one range that breaks its action's rule (see the module text), or None.

    output: (channels, edge + n + edge) samples, the range's n with `edge` samples of what lies on
    either side. Bleep and disguise only: source and expected, (channels, lag + n + lag), the source
    over the range and what the project makes of it, each matched to the output at its best offset
    within +-lag samples; tones, (frequency, first, last) of each bleep there, in samples from the
    range's first (taken out at any phase where it sounds); smear, the codec's (see SMEAR).
    """
    n = output.shape[1] - 2 * edge
    if n <= 0:
        return None
    inside = output[:, edge:edge + n]
    hop = max(1, int(round(WINDOW_S * rate / 2)))
    starts, count = _windows(n, hop)
    threshold = np.full(len(starts), SILENCE_DBFS)
    if edge:
        ends = starts + count
        outside = ((_loudest(output[:, :edge], hop), starts), (_loudest(output[:, edge + n:], hop), n - ends))
        for level, distance in outside:
            if level > -math.inf:
                np.maximum(threshold, level - smear[0] - smear[1] * distance / rate, out=threshold)
    if action == "mute":
        (yy,) = _window_sums(n, hop, (inside, inside))
        level = _db(yy.max(axis=0) / count)
    elif action in ("bleep", "disguise"):
        if source is None or expected is None:
            raise ValueError(f"a {action} range is checked against the source and its expected output")
        source, expected = _aligned(inside, source, lag), _aligned(inside, expected, lag)
        if action == "bleep":
            part, share = _source_left(inside, source, expected, tones, rate, hop)
            per_channel = np.where(share >= SOURCE_SHARE, _db(part / count), -math.inf)
        else:
            yy, ss, ee, ys, ye = _window_sums(n, hop, (inside, inside), (source, source), (expected, expected),
                                              (inside, source), (inside, expected))
            # The output's distance from each, at its best gain (the codec may change the level).
            floor = 1e-12 * yy + 1e-30
            from_source = np.maximum(yy - ys * ys * _inverse(ss), floor)
            from_disguise = np.maximum(yy - ye * ye * _inverse(ee), floor)
            nearer = 10 * np.log10(from_disguise / from_source) >= NEARER_DB
            loudness = _db(yy / count)
            per_channel = np.where(nearer & (loudness >= loudness.max() - QUIET_DB), loudness, -math.inf)
        level = per_channel.max(axis=0)
    else:
        raise ValueError(f"unknown audio action {action!r}")
    bad = level > threshold
    if not bad.any():
        return None
    k = int(np.argmax(np.where(bad, level, -np.inf)))
    return Leak(float(level[k]), int(starts[k]), int(starts[k] + count[k]))


def _source_left(y: np.ndarray, s: np.ndarray, e: np.ndarray, tones: tuple[tuple[float, int, int], ...],
                 rate: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window and channel, once the expected output and the bleep tones (each at its best gain
    and phase) are taken out of the output and of the source: the energy of the source's part of
    what is left of the output, and the share of what is left it makes."""
    n = y.shape[1]
    basis: list = [e]
    for hz, first, last in sorted(set(tones)):
        for wave in (np.sin, np.cos):
            def tone(lo, hi, hz=hz, first=first, last=last, wave=wave, kept={}):
                if kept.get("at") != (lo, hi):  # each chunk is asked for once per pair it is in
                    at = np.arange(lo, hi)
                    kept["at"] = (lo, hi)
                    kept["x"] = np.where((at >= first) & (at < last), wave(2 * np.pi * hz / rate * at), 0.0)[None, :]
                return kept["x"]
            basis.append(tone)
    m = len(basis)
    pairs = [(y, y), (s, s), (y, s)] + [(y, b) for b in basis] + [(s, b) for b in basis]
    pairs += [(basis[i], basis[j]) for i in range(m) for j in range(i, m)]
    sums = _window_sums(n, hop, *pairs)
    yy, ss, ys = sums[:3]
    by = np.stack(sums[3:3 + m], axis=-1)  # (channels, windows, m)
    bs = np.stack(sums[3 + m:3 + 2 * m], axis=-1)
    gram = np.zeros(yy.shape + (m, m))
    k = 3 + 2 * m
    for i in range(m):
        for j in range(i, m):
            gram[..., i, j] = gram[..., j, i] = sums[k]
            k += 1
    pinv = np.linalg.pinv(gram, rcond=1e-10, hermitian=True)
    left_yy = np.maximum(yy - np.einsum("...i,...ij,...j", by, pinv, by), 0.0)
    left_ss = np.maximum(ss - np.einsum("...i,...ij,...j", bs, pinv, bs), 0.0)
    left_ys = ys - np.einsum("...i,...ij,...j", by, pinv, bs)
    usable = left_ss > SOURCE_LEFT * ss  # else the source is all but the expected output (a tone like the bleep's)
    part = np.divide(left_ys ** 2, left_ss, out=np.zeros_like(ss), where=usable)
    share = np.divide(part, left_yy, out=np.zeros_like(ss), where=usable & (left_yy > 0))
    return part, np.minimum(share, 1.0)


def _aligned(y: np.ndarray, x: np.ndarray, lag: int) -> np.ndarray:
    """The n = y.shape[1] samples of x (n + 2 * lag long) that match y best (largest |correlation|),
    the middle ones when nothing matches better: a container's time stamps may place the output up
    to a millisecond off the source (Matroska counts whole milliseconds)."""
    n = y.shape[1]
    if lag == 0:
        return x
    from scipy.signal import correlate

    dots = np.zeros(2 * lag + 1)
    for c in range(min(y.shape[0], x.shape[0])):
        for lo in range(0, n, _BLOCK):
            hi = min(n, lo + _BLOCK)
            dots += correlate(x[c, lo:hi + 2 * lag].astype(np.float64), y[c, lo:hi].astype(np.float64),
                              mode="valid", method="fft")
    # The energy of x[:, k:k + n]: all of it, less what lies before k and from k + n on.
    total = sum(float(np.square(x[:, lo:lo + _BLOCK], dtype=np.float64).sum()) for lo in range(0, x.shape[1], _BLOCK))
    before = np.concatenate([[0.0], np.cumsum(np.square(x[:, :2 * lag], dtype=np.float64).sum(axis=0))])
    after = np.concatenate([np.cumsum(np.square(x[:, n:], dtype=np.float64).sum(axis=0)[::-1])[::-1], [0.0]])
    energy = total - before - after
    score = np.abs(dots) / np.sqrt(np.maximum(energy, 1e-30))
    k = lag if score[lag] >= score.max() * (1 - 1e-9) else int(np.argmax(score))
    return x[:, k:k + n]


def _inverse(x: np.ndarray) -> np.ndarray:
    return np.divide(1.0, x, out=np.zeros_like(x), where=x > 0)


def _windows(n: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the judged windows over n samples: two cells of `hop` each, the last
    one ending at n (one window when n is at most a cell)."""
    cells = max(1, -(-n // hop))
    starts = np.arange(max(1, cells - 1)) * hop
    return starts, np.minimum(starts + 2 * hop, n) - starts


def _window_sums(n: int, hop: int, *pairs) -> list[np.ndarray]:
    """Per pair (x, y): the sums of x * y over each window of _windows(n, hop), (channels, windows).
    x and y are (channels or 1, n) arrays or functions (lo, hi) -> such samples; computed per cell
    in chunks, so a long range costs no float64 copy of its samples."""
    def part(x, lo, hi):
        return x(lo, hi) if callable(x) else x[:, lo:hi]

    cells = max(1, -(-n // hop))
    sums: list = [None] * len(pairs)
    step = hop * 4096
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        at = np.arange(0, hi - lo, hop)
        for i, (x, y) in enumerate(pairs):
            product = np.asarray(part(x, lo, hi), np.float64) * part(y, lo, hi)
            if sums[i] is None:
                sums[i] = np.zeros((product.shape[0], cells))
            sums[i][:, lo // hop:lo // hop + len(at)] = np.add.reduceat(product, at, axis=1)
    return [acc if cells == 1 else acc[:, :-1] + acc[:, 1:] for acc in sums]


def _loudest(x: np.ndarray, hop: int) -> float:
    """dBFS of the loudest window of x (loudest channel)."""
    if x.shape[1] == 0:
        return -math.inf
    _, count = _windows(x.shape[1], hop)
    (power,) = _window_sums(x.shape[1], hop, (x, x))
    return float(_db(power.max(axis=0) / count).max())


def _db(power: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 10 * np.log10(np.maximum(power, 0.0))


# -- the source over the ranges, and what the project makes of it ----------------------------------
def _source_windows(project: Project, stream: int, origin: float, ranges: list[AudioRange],
                    spans: list[tuple[int, int]], rate: int, channels: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per output span [a, b): the source's samples there and the export's result, (channels, b - a)
    at the output's rate, computed from the source as the export computes them."""
    source = project.media.path
    try:
        with open_input(source) as container:
            audio = list(container.streams.audio)
            if stream >= len(audio):
                raise MediaError(f"{source} has no audio stream {stream}")
            cc = audio[stream].codec_context
            src_rate, src_channels = cc.sample_rate, cc.layout.nb_channels
    except MediaError as exc:
        raise MediaError(f"bleeped and disguised ranges are checked against the source video, which "
                         f"cannot be read: {exc}") from None
    g = math.gcd(src_rate, rate)
    up, down = rate // g, src_rate // g
    pad = 0 if up == down else _RESAMPLE_PAD
    # Each window starts where both rates have a whole sample, so resampling keeps the timing exact.
    starts = [(a - pad) // up * up for a, _ in spans]
    src_spans = [(s // up * down, -(-(b + pad) * down // up) + 1) for s, (_, b) in zip(starts, spans)]
    processor = range_processor(source, stream, origin, ranges, src_rate, src_channels)
    out = []
    for (a, b), start, (sa, _), samples in zip(spans, starts, src_spans,
                                               read_windows(source, stream, origin, src_spans, src_channels)):
        # In blocks, as the export applies it: one call over a long range would take gigabytes.
        expected = np.concatenate([processor.process(samples[:, k:k + _BLOCK], sa + k)
                                   for k in range(0, samples.shape[1], _BLOCK)] or [samples], axis=1)
        pair = [samples, expected]
        if up != down:
            from scipy.signal import resample_poly

            pair = [resample_poly(x, up, down, axis=1) for x in pair]
        pair = [x[:, a - start:b - start] for x in pair]
        if src_channels != channels:  # the encoder remixed them: compare every channel with the mix
            pair = [np.repeat(x.mean(axis=0, keepdims=True), channels, axis=0) for x in pair]
        out.append((pair[0].astype(np.float32, copy=False), pair[1].astype(np.float32, copy=False)))
    return out
