"""Media I/O: probe a file, index its frames' time stamps, read frames by presentation index, rotate
to display orientation. probe.py turns every kind of bad input into MediaError."""

from .frame_index import decoded_key
from .info import AudioStreamInfo, MediaInfo, StreamInfo
from .probe import STILL_SUFFIXES, open_input, probe
from .reader import RESIZE_FILTER, FrameReader, iter_frames
from .rotation import normalize_rotation, rotate_to_display, set_display_rotation

__all__ = [
    "decoded_key", "AudioStreamInfo", "MediaInfo", "StreamInfo", "STILL_SUFFIXES", "open_input", "probe",
    "RESIZE_FILTER", "FrameReader", "iter_frames", "normalize_rotation", "rotate_to_display", "set_display_rotation",
]
