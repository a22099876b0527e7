"""Video -> detections -> tracks: media, detect and tracking joined into a Project; and `redact`,
analysis and export as one overlapped pipeline."""

from .analyzer import AnalysisCancelled, AnalysisSettings, analyze, load_detectors
from .second_look import MODES as CLOSE_LOOK_MODES
from .redact import redact

__all__ = ["AnalysisCancelled", "AnalysisSettings", "CLOSE_LOOK_MODES", "analyze", "load_detectors", "redact"]
