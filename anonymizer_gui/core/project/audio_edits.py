"""Audio-range edits as pure functions: each returns a new list and never changes its input.

The list stays sorted by (stream, start, end); ranges may overlap (the export applies the
strongest action where they do), so adding never merges or trims what the operator drew.
"""

from __future__ import annotations

import dataclasses

from ..foundation import ProjectFormatError
from .model import AUDIO_ACTIONS, AudioRange

MIN_RANGE_S = 0.001


def _key(r: AudioRange) -> tuple:
    return (r.stream, r.start, r.end)


def normalized(r: AudioRange) -> AudioRange:
    """The range with start <= end swapped into order and clamped at 0; raises on a bad action."""
    if r.action not in AUDIO_ACTIONS:
        raise ProjectFormatError(f"unknown audio action {r.action!r}; use one of {', '.join(AUDIO_ACTIONS)}")
    start, end = sorted((max(0.0, float(r.start)), max(0.0, float(r.end))))
    if end - start < MIN_RANGE_S:
        raise ProjectFormatError(f"an audio range needs a length; {start:.3f}-{end:.3f} s is empty")
    return dataclasses.replace(r, start=start, end=end)


def with_range(ranges: list[AudioRange], new: AudioRange) -> list[AudioRange]:
    return sorted([*ranges, normalized(new)], key=_key)


def without_range(ranges: list[AudioRange], index: int) -> list[AudioRange]:
    if not 0 <= index < len(ranges):
        raise IndexError(f"no audio range {index}")
    return [r for i, r in enumerate(ranges) if i != index]


def replaced(ranges: list[AudioRange], index: int, **fields) -> list[AudioRange]:
    """Range `index` with `fields` changed (action, reason, start, end, tone_hz, level_dbfs)."""
    if not 0 <= index < len(ranges):
        raise IndexError(f"no audio range {index}")
    new = normalized(dataclasses.replace(ranges[index], **fields))
    return sorted([new if i == index else r for i, r in enumerate(ranges)], key=_key)


def index_at(ranges: list[AudioRange], stream: int, seconds: float) -> int | None:
    """The index of the shortest range of `stream` that holds `seconds` (the one on top), or None."""
    hits = [(r.duration, i) for i, r in enumerate(ranges) if r.stream == stream and r.start <= seconds < r.end]
    return min(hits)[1] if hits else None


def check_streams(ranges: list[AudioRange], stream_count: int) -> None:
    """Refuse ranges on audio streams the video does not have (the JSON cannot know how many)."""
    for i, r in enumerate(ranges):
        if r.stream >= stream_count:
            have = "no audio streams" if stream_count == 0 else \
                f"{stream_count} audio stream{'s' if stream_count > 1 else ''} (0-{stream_count - 1})"
            raise ProjectFormatError(f"audio_ranges[{i}].stream: {r.stream} does not exist; the video has {have}")
