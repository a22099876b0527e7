"""Video -> detections -> tracks: media, detect and tracking joined into a Project."""

from .analyzer import AnalysisCancelled, AnalysisSettings, analyze, load_detectors

__all__ = ["AnalysisCancelled", "AnalysisSettings", "analyze", "load_detectors"]
