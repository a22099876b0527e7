"""Detectors: one interface (`Detector.detect(frames) -> list[Detections]`), one module per family.

    from . import create_detector
    faces = create_detector("face", device="auto")      # by task, or by manifest name ("centerface")
    per_frame = faces.detect([frame_bgr, ...])           # boxes in each frame's pixels
    faces.provider.reason                                 # which device, and why (for CLI and report)
"""

from .base import Detections, Detector
from .registry import FAMILIES, create_detector, resolve_spec, tasks
from .runtime import ModelSession, ProviderChoice, ProviderFallbackWarning, choose_providers, create_session

__all__ = [
    "Detections", "Detector", "FAMILIES", "create_detector", "resolve_spec", "tasks",
    "ModelSession", "ProviderChoice", "ProviderFallbackWarning", "choose_providers", "create_session",
]
