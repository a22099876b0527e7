"""Frame numbers as the operator reads them: HH:MM:SS:FF timecode and "frame / total"."""

from __future__ import annotations

import math


def nominal_rate(fps: float) -> int:
    """The frame counter's base: 29.97 counts frames 0..29 like an NLE (non-drop display)."""
    return max(1, int(round(fps))) if fps and math.isfinite(fps) else 1


def frame_seconds(media_info, fps: float, frame: int) -> float:
    """Seconds of `frame` from the first frame: the file's time stamps when known (VFR), else frame/fps."""
    if media_info is not None and 0 <= frame < getattr(media_info, "frame_count", 0):
        try:
            return float(media_info.timestamp(frame))
        except (IndexError, AttributeError, ValueError):
            pass
    return frame / fps if fps > 0 else 0.0


def format_timecode(seconds: float, fps: float) -> str:
    """HH:MM:SS:FF with FF counted at the nominal rate."""
    rate = nominal_rate(fps)
    total_frames = int(round(max(0.0, seconds) * rate))
    ff = total_frames % rate
    s = total_frames // rate
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"


def doc_timecode(doc, frame: int) -> str:
    fps = doc.project.media.fps if doc.project else 0.0
    return format_timecode(frame_seconds(doc.media_info, fps, frame), fps)


def doc_fps(doc) -> float:
    """Frame rate for playback and second steps; 25 when the media does not say (stills, odd files)."""
    info = doc.media_info
    fps = getattr(info, "fps", 0.0) or (doc.project.media.fps if doc.project else 0.0)
    return fps if fps and math.isfinite(fps) and fps > 0 else 25.0
