"""Video -> detections -> tracks: media, detect and tracking joined into a Project; and `redact`,
analysis and export as one overlapped pipeline."""

from .analyzer import AnalysisCancelled, AnalysisSettings, analyze, load_detectors
from .redact import redact

__all__ = ["AnalysisCancelled", "AnalysisSettings", "analyze", "load_detectors", "redact"]
