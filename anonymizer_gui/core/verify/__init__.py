"""Prove an export: compare the written file with its source, frame by frame, inside every enabled
mask (leaks) and outside them with the detectors (possible leaks); disabled tracks are visible by
decision. The top layer: it joins media, project, render, detect and the analysis' detectors."""

from .check import EXIT_CLEAN, EXIT_LEAKS, VerifyResult, preload_verify_detectors, verify_detectors, verify_export
from .findings import Finding

__all__ = ["EXIT_CLEAN", "EXIT_LEAKS", "VerifyResult", "preload_verify_detectors", "verify_detectors", "verify_export", "Finding"]
