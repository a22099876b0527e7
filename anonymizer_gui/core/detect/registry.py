"""Model families and `create_detector`: a manifest entry's `family` picks the class that runs it."""

from __future__ import annotations

from pathlib import Path

from ..foundation import ModelError
from .manifest import ModelSpec, default_spec_for_task, load_manifest
from .base import Detector
from .centerface import CenterFaceDetector
from .retina_plate import RetinaPlateDetector
from .yolo import YoloV8Detector

FAMILIES: dict[str, type[Detector]] = {
    cls.family: cls for cls in (CenterFaceDetector, RetinaPlateDetector, YoloV8Detector)
}


def resolve_spec(name_or_task: str) -> ModelSpec:
    """A manifest entry by its name, else the default entry for a task ("face", "plate", ...)."""
    specs = load_manifest()
    if name_or_task in specs:
        return specs[name_or_task]
    if any(spec.task == name_or_task for spec in specs.values()):
        return default_spec_for_task(name_or_task)
    raise ModelError(f"'{name_or_task}' is neither a model nor a task in the manifest; models: "
                     f"{', '.join(specs)}; tasks: {', '.join(sorted({s.task for s in specs.values()}))}")


def create_detector(name_or_task: str, device: str = "auto", weights: str | Path | None = None,
                    **settings) -> Detector:
    """A ready detector for a model name or a task; `settings` override the manifest's params.

    `weights` bypasses the cache lookup (a verified path from elsewhere); by default the file comes
    from `models.model_path`, which raises ModelError naming `anonymizer-gui models fetch` when missing.
    """
    spec = resolve_spec(name_or_task)
    cls = FAMILIES.get(spec.family)
    if cls is None:
        raise ModelError(f"model '{spec.name}' in {spec.origin} has family '{spec.family}'; "
                         f"known families: {', '.join(FAMILIES)}")
    return cls(spec, device=device, weights=Path(weights) if weights else None, **settings)


def tasks() -> list[str]:
    """Tasks that have a model in the manifest, in manifest order."""
    return list(dict.fromkeys(spec.task for spec in load_manifest().values()))
