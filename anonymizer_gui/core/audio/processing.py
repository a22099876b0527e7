"""One audio stream's ranges made ready for the export: the disguised signal computed up front.

Disguise needs context around a range (LPC frames overlap), so its ranges are decoded and
disguised in a first pass that keeps only their samples; the export's single decode -> encode
pass then mixes them in block by block (effects.RangeProcessor). Mute and bleep need no pass.
"""

from __future__ import annotations

import os

from ..project import AudioRange
from .decode import read_windows
from .disguise import disguise_voice
from .effects import DisguisedSpan, RangeProcessor, merged_windows

CONTEXT_S = 0.05  # decoded around each disguised range, so its edges get full LPC frames


def range_processor(path: str | os.PathLike, stream_number: int, origin_s: float, ranges: list[AudioRange],
                    sample_rate: int, channels: int) -> RangeProcessor:
    ranges = [r for r in ranges if r.stream == stream_number]
    processor = RangeProcessor(ranges, sample_rate)
    disguise = [w for r, w in zip(processor.ranges, processor.reach()) if r[0].action == "disguise"]
    if disguise:
        windows = merged_windows(disguise, pad=int(CONTEXT_S * sample_rate))
        spans = read_windows(path, stream_number, origin_s, windows, channels)
        processor.disguised = [DisguisedSpan(a, disguise_voice(s, sample_rate)) for (a, _), s in zip(windows, spans)]
    return processor
