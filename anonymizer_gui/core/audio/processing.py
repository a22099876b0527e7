"""One audio stream's ranges made ready for the export: the disguised signal computed up front.

Disguise needs context around a range (LPC frames overlap), so its ranges are decoded and
disguised in a first pass that keeps only their samples; the export's single decode -> encode
pass then mixes them in block by block (effects.RangeProcessor). Mute and bleep need no pass.
A disguised range from 0 s is computed from the stream's first sample, before the first frame.
"""

from __future__ import annotations

import os

from ..project import AudioRange
from .decode import read_windows, stream_start
from .disguise import disguise_voice
from .effects import DisguisedSpan, RangeProcessor, merged_windows

CONTEXT_S = 0.05  # decoded around each disguised range, so its edges get full LPC frames


def range_processor(path: str | os.PathLike, stream_number: int, origin_s: float, ranges: list[AudioRange],
                    sample_rate: int, channels: int) -> RangeProcessor:
    ranges = [r for r in ranges if r.stream == stream_number]
    processor = RangeProcessor(ranges, sample_rate)
    disguise = [w for r, w in zip(processor.ranges, processor.reach()) if r[0].action == "disguise"]
    if disguise:
        lowest = 0
        if min(a for a, _ in disguise) < 0:  # a range from 0 s also disguises the audio before the first frame
            lowest = min(0, stream_start(path, stream_number, origin_s) or 0)
        windows = merged_windows([(max(a, lowest), b) for a, b in disguise], pad=int(CONTEXT_S * sample_rate),
                                 lowest=lowest)
        spans = read_windows(path, stream_number, origin_s, windows, channels)
        processor.disguised = [DisguisedSpan(a, disguise_voice(s, sample_rate)) for (a, _), s in zip(windows, spans)]
    return processor
