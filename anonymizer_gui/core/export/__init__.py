"""Decode -> render -> encode: the project's masks burnt into a new file (streams and metadata kept
or stripped by policy, written atomically, never over an input), with its audit report."""

from .preflight import check_export
from .safe_output import same_file
from .video import export_video

__all__ = ["check_export", "same_file", "export_video"]
