"""Audio redaction: ranges muted, bleeped or disguised on the timeline's clock, the waveform and
speech the editor shows for review, and the check that an exported file is silent where muted."""

from .check import SILENCE_DBFS, AudioFinding, check_muted_ranges, rms_dbfs
from .decode import frame_samples, iter_blocks, read_windows, samples_frame, first_sample
from .disguise import DISGUISE_ALPHA, disguise_voice, mcadams_frequency
from .effects import FADE_S, RangeProcessor, sample_span
from .overview import BUCKET_S, AudioOverview, compute_overviews, load_overviews
from .processing import range_processor
from .vad import SpeechDetector

__all__ = [
    "SILENCE_DBFS", "AudioFinding", "check_muted_ranges", "rms_dbfs", "frame_samples", "iter_blocks",
    "read_windows", "samples_frame", "first_sample", "DISGUISE_ALPHA", "disguise_voice", "mcadams_frequency",
    "FADE_S", "RangeProcessor", "sample_span", "BUCKET_S", "AudioOverview", "compute_overviews",
    "load_overviews", "range_processor", "SpeechDetector",
]
