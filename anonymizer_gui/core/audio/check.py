"""Checking an exported file's audio against its project: silent where muted, absent when removed.

    check_muted_ranges(output, project) -> [AudioFinding]   (empty: the audio is as the project asks)

A muted range passes when the RMS over all its channels is at most SILENCE_DBFS. Output audio
stream k is the project's audio stream k: export keeps every audio stream, in order, or none.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ..foundation import MediaError
from ..media import open_input, probe
from ..project import Project
from .decode import read_windows
from .effects import sample_span

SILENCE_DBFS = -60.0


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


def rms_dbfs(samples: np.ndarray) -> float:
    if samples.size == 0:
        return -math.inf
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def check_muted_ranges(output: str | os.PathLike, project: Project) -> list[AudioFinding]:
    info = probe(output)
    with open_input(output) as container:
        streams = [(s.codec_context.sample_rate, s.codec_context.layout.nb_channels) for s in container.streams.audio]
    wanted = max((r.stream for r in project.audio_ranges), default=-1)
    if wanted >= len(streams) and not project.remove_audio:
        raise MediaError(f"{output} has {len(streams)} audio streams; the project has ranges on stream {wanted}")
    findings: list[AudioFinding] = []
    if project.remove_audio:
        for k in range(len(streams)):
            findings.append(AudioFinding(k, 0.0, info.duration, "remove", None,
                                         f"audio stream {k} is present although the project removes all audio"))
        return findings
    for stream, (rate, channels) in enumerate(streams):
        muted = [r for r in project.audio_ranges if r.stream == stream and r.action == "mute"]
        if not muted:
            continue
        windows = [sample_span(r.start, r.end, rate) for r in muted]
        for r, samples in zip(muted, read_windows(output, stream, info.start_time, windows, channels)):
            level = rms_dbfs(samples)
            if level > SILENCE_DBFS:
                findings.append(AudioFinding(stream, r.start, r.end, "mute", round(level, 1),
                                             f"audio stream {stream} is not silent in the muted range "
                                             f"{r.start:.3f}-{r.end:.3f} s ({level:.1f} dBFS RMS)"))
    return findings
