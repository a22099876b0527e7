"""Every parameter of a redaction, as one value that a manifest records and a re-run reads back."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from ..analysis import AnalysisSettings
from ..foundation import AnonymizerError
from ..project import STYLE_KINDS, ExportSettings, MaskStyle


@dataclass(frozen=True)
class RedactParams:
    """What `redact` and `batch` do to each file: find (analysis), hide (style), write (export)."""

    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    style: MaskStyle = field(default_factory=MaskStyle)
    export: ExportSettings = field(default_factory=ExportSettings)
    remove_audio: bool = False  # drop every audio stream (a subject-access or body-cam habit)

    def to_json(self) -> dict:
        style = dataclasses.asdict(self.style)
        style["color"] = list(self.style.color)
        return {"analysis": self.analysis.to_json(), "style": style, "export": dataclasses.asdict(self.export),
                "remove_audio": self.remove_audio}

    @staticmethod
    def from_json(data: Any, where: str = "parameters") -> "RedactParams":
        """The parameters a manifest recorded; AnonymizerError naming the field that is wrong."""
        if not isinstance(data, dict):
            raise AnonymizerError(f"{where}: expected an object")
        analysis = _fields(AnalysisSettings, data.get("analysis"), f"{where}.analysis")
        for key, kind in (("classes", tuple), ("thresholds", dict), ("models", dict)):
            if key in analysis:
                analysis[key] = kind(analysis[key])
        if analysis.get("input_size") is not None:
            analysis["input_size"] = tuple(analysis["input_size"])
        style = _fields(MaskStyle, data.get("style"), f"{where}.style")
        if "color" in style:
            style["color"] = tuple(style["color"])
        if style.get("kind", "blur") not in STYLE_KINDS:
            raise AnonymizerError(f"{where}.style.kind: expected one of {', '.join(STYLE_KINDS)}")
        export = _fields(ExportSettings, data.get("export"), f"{where}.export")
        try:
            return RedactParams(AnalysisSettings(**analysis), MaskStyle(**style), ExportSettings(**export),
                                bool(data.get("remove_audio", False)))
        except (TypeError, ValueError) as exc:
            raise AnonymizerError(f"{where}: {exc}") from None


def _fields(cls, data: Any, where: str) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnonymizerError(f"{where}: expected an object")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise AnonymizerError(f"{where}.{unknown[0]}: not a parameter this version knows")
    for key, value in data.items():  # a hand-edited manifest: "2" for 2 must not reach the settings
        expected = _json_kind(known[key])
        if expected is not None and not _is_kind(value, expected):
            raise AnonymizerError(f"{where}.{key}: expected {expected}, got {json.dumps(value)[:40]}")
    return dict(data)


def _json_kind(f: dataclasses.Field) -> str | None:
    """The JSON kind a field's annotation asks for (None: an optional value, checked by the settings)."""
    annotation = str(f.type)
    if "None" in annotation:
        return None
    for prefix, kind in (("bool", "true or false"), ("int", "a whole number"), ("float", "a number"),
                         ("str", "a text"), ("StyleKind", "a text"), ("tuple", "a list"), ("list", "a list"),
                         ("Mapping", "an object"), ("dict", "an object")):
        if annotation.startswith(prefix):
            return kind
    return None


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "true or false":
        return isinstance(value, bool)
    if kind == "a whole number":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "a number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, {"a text": str, "a list": list, "an object": dict}[kind])
