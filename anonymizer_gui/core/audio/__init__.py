"""Audio redaction: ranges muted, bleeped or disguised on the timeline's clock, the waveform and
speech the editor shows for review, and the check that an exported file's audio is as its ranges
ask (silent where muted, free of the source where bleeped or disguised)."""

from .check import SILENCE_DBFS, AudioFinding, check_muted_ranges, rms_dbfs
from .decode import (SampleClock, first_sample, frame_samples, iter_blocks, read_windows, samples_frame,
                     stream_start)
from .disguise import DISGUISE_ALPHA, disguise_voice, mcadams_frequency
from .effects import FADE_S, PREROLL, RangeProcessor, range_samples, sample_span
from .overview import BUCKET_S, AudioOverview, compute_overviews, load_overviews
from .processing import range_processor
from .vad import SpeechDetector

__all__ = [
    "SILENCE_DBFS", "AudioFinding", "check_muted_ranges", "rms_dbfs", "SampleClock", "first_sample",
    "frame_samples", "iter_blocks", "read_windows", "samples_frame", "stream_start", "DISGUISE_ALPHA",
    "disguise_voice", "mcadams_frequency", "FADE_S", "PREROLL", "RangeProcessor", "range_samples", "sample_span",
    "BUCKET_S", "AudioOverview", "compute_overviews", "load_overviews", "range_processor", "SpeechDetector",
]
