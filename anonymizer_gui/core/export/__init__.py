"""Decode -> render -> encode: the project's masks burnt into a new file (streams and metadata kept
or stripped by policy, written atomically, never over an input), with its audit report."""

from .preflight import check_export
from .report import REPORT_SUFFIX, analysis_state, default_report_path
from .safe_output import same_file
from .streams import FORMAT_BY_SUFFIX
from .video import ExportResult, export_video

__all__ = ["check_export", "REPORT_SUFFIX", "analysis_state", "default_report_path", "same_file", "FORMAT_BY_SUFFIX",
           "ExportResult", "export_video"]
