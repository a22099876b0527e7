"""Media I/O: probe a file, read frames by presentation index, rotate to display orientation.

This module is the public face; the work lives in media_probe (facts, bad-input errors),
frame_index (time stamps of every frame), frame_reader (decoding) and media_rotation.
"""

from .reader import FrameReader, iter_frames
from .info import AudioStreamInfo, MediaInfo, StreamInfo
from .probe import STILL_SUFFIXES, probe
from .rotation import normalize_rotation, rotate_to_display, set_display_rotation

__all__ = [
    "AudioStreamInfo", "FrameReader", "MediaInfo", "STILL_SUFFIXES", "StreamInfo", "iter_frames",
    "normalize_rotation", "probe", "rotate_to_display", "set_display_rotation",
]
