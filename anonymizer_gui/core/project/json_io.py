"""Project <-> JSON files. Loading validates every field and names the exact one that is wrong."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from ..foundation import ProjectFormatError, write_text_atomic
from .model import (MIN_STRENGTH, AUDIO_ACTIONS, DEFAULT_LEVEL_DBFS, DEFAULT_TONE_HZ, REVIEW_STATES, SCHEMA_VERSION,
                    SHAPE_KINDS, SOURCES, STYLE_KINDS, AudioRange, CaseDetails, ExportSettings, Keyframe, MaskStyle,
                    MediaRef, Project, Reason, Shape, Track)


# Coordinates (frame pixels) lie within +-MAX_COORDINATE, in project files and in imported tracks.
# Ten million pixels is far beyond any picture, so a shape many times the picture (drawn past the
# edge, or an imported box that covers everything) is still legal and masks all of it; a value
# beyond it can only come from a broken or hostile file, and near the float limits the renderer's
# sizes (width times margin, feather) overflow to infinity and NaN.
MAX_COORDINATE = 10_000_000.0


def coordinate_error(points, where: str) -> str | None:
    """Why `points` cannot be a shape's coordinates (one sentence starting with `where`), or None."""
    for v in points:
        if not abs(v) <= MAX_COORDINATE:  # NaN fails this too
            return (f"{where}: coordinates must lie between -{MAX_COORDINATE:.0f} and {MAX_COORDINATE:.0f} "
                    f"pixels, got {v:.12g}")
    return None


# -- writing ------------------------------------------------------------------------------------
def _style_to_dict(s: MaskStyle) -> dict:
    return {"kind": s.kind, "strength": s.strength, "color": list(s.color), "margin": s.margin,
            "feather": s.feather}


def _track_to_dict(t: Track) -> dict:
    return {
        # No "enabled": schema 2 derives it from "review" (one source of truth).
        "id": t.id, "label": t.label, "source": t.source,
        "review": t.review, "review_by": t.review_by, "review_at": t.review_at,
        "reason_code": t.reason_code, "reason": t.reason, "group": t.group,
        "style": None if t.style is None else _style_to_dict(t.style),
        "keyframes": [{"frame": k.frame, "shape": k.shape.kind,
                       "points": [round(v, 3) for v in k.shape.points], "outside": k.outside}
                      for k in t.keyframes],
        "scores": {str(f): round(s, 4) for f, s in sorted(t.scores.items())},
        **({"blind_frames": t.blind_frames} if t.blind_frames else {}),
    }


def _audio_range_to_dict(r: AudioRange) -> dict:
    out = {"stream": r.stream, "start": round(r.start, 6), "end": round(r.end, 6), "action": r.action,
           "reason": r.reason}
    if r.action == "bleep":
        out.update(tone_hz=r.tone_hz, level_dbfs=r.level_dbfs)
    return out


def project_to_dict(p: Project, relative_to: str | os.PathLike | None = None) -> dict:
    """The project as JSON data. `relative_to`: the folder of the project file, to store the media
    path relative to it where it can be (not across drives); load_project resolves it again."""
    m = p.media
    out = {
        "schema_version": SCHEMA_VERSION,
        "media": {"path": _media_path(m.path, relative_to), "size": m.size, "sha256": m.sha256,
                  "width": m.width, "height": m.height, "frame_count": m.frame_count, "fps": m.fps,
                  "probe": _private_probe(m.probe)},
        "default_style": _style_to_dict(p.default_style),
        "export": {"codec": p.export.codec, "crf": p.export.crf, "preset": p.export.preset,
                   "keep_metadata": p.export.keep_metadata, "keep_subtitles": p.export.keep_subtitles,
                   "require_review": p.export.require_review, "hardware_encoder": p.export.hardware_encoder},
        "analysis": p.analysis,
        "case": {"reference": p.case.reference, "requester": p.case.requester, "operator": p.case.operator,
                 "notes": p.case.notes},
        "reasons": [{"code": r.code, "text": r.text, "legal_basis": r.legal_basis} for r in p.reasons],
        "tracks": [_track_to_dict(t) for t in p.tracks],
    }
    # Optional fields, written only when used, so schema-1 readers of plain projects see no change.
    if p.audio_ranges:
        out["audio_ranges"] = [_audio_range_to_dict(r) for r in p.audio_ranges]
    if p.remove_audio:
        out["remove_audio"] = True
    return out


def _media_path(path: str, relative_to: str | os.PathLike | None) -> str:
    """A folder path often holds a user name: keep it out of files that travel with the project."""
    if relative_to is None or not path or not Path(path).is_absolute():
        return path  # a relative path already is relative to the project file
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(relative_to).resolve())).as_posix()
    except ValueError:  # another drive (Windows): only the absolute path finds the video again
        return path


def _private_probe(probe: dict) -> dict:
    """The probe facts without folder paths or tag values (a GPS position, a device serial): the
    tag keys say what the file carried, which is all the project needs."""
    out = dict(probe)
    if "path" in out and out["path"]:
        out["path"] = Path(str(out["path"])).name
    if "tags" in out:
        out["tag_keys"] = sorted(out.pop("tags") or {})
    return out


# -- reading ------------------------------------------------------------------------------------
class _Reader:
    """Typed access to a JSON object that knows its own path for error messages."""

    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise ProjectFormatError(f"{where or 'project'}: expected an object, got {_kind(data)}")
        self.data = data
        self.where = where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, types: type | tuple, default: Any = ..., allow_none: bool = False) -> Any:
        if key not in self.data:
            if default is ...:
                raise ProjectFormatError(f"{self._path(key)}: missing")
            return default
        value = self.data[key]
        if value is None and allow_none:
            return None
        if isinstance(value, bool) and bool not in _as_tuple(types):
            raise ProjectFormatError(f"{self._path(key)}: expected {_names(types)}, got a boolean")
        if not isinstance(value, types):
            raise ProjectFormatError(f"{self._path(key)}: expected {_names(types)}, got {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ProjectFormatError(f"{self._path(key)}: must be a finite number")
        return value

    def choice(self, key: str, options: tuple, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value not in options:
            raise ProjectFormatError(f"{self._path(key)}: expected one of {', '.join(options)}, got {value!r}")
        return value

    def child(self, key: str) -> "_Reader":
        return _Reader(self.get(key, dict), self._path(key))


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)


def _names(types) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
             list: "a list", dict: "an object"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in _as_tuple(types)))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


NUM = (int, float)
LEGACY_MARGIN, LEGACY_FEATHER = 0.15, 0.1  # MaskStyle's defaults before 2026-12


def _style(r: _Reader) -> MaskStyle:
    color = r.get("color", list, [0, 0, 0])
    if len(color) != 3 or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in color):
        raise ProjectFormatError(f"{r._path('color')}: expected three integers 0-255")
    strength = float(r.get("strength", NUM, 1.0))
    if strength <= 0:
        raise ProjectFormatError(f"{r._path('strength')}: must be greater than 0")
    strength = max(strength, MIN_STRENGTH)  # fail closed: a weaker style than the floor is never kept
    # a style written without them predates the tighter defaults: it keeps the old, wider ones
    margin = float(r.get("margin", NUM, LEGACY_MARGIN))
    feather = float(r.get("feather", NUM, LEGACY_FEATHER))
    for key, v in (("margin", margin), ("feather", feather)):
        if v < 0:
            raise ProjectFormatError(f"{r._path(key)}: must not be negative")
    return MaskStyle(r.choice("kind", STYLE_KINDS, "blur"), strength, tuple(color), margin, feather)


def _shape(r: _Reader) -> Shape:
    kind = r.choice("shape", SHAPE_KINDS)
    points = r.get("points", list)
    where = r._path("points")
    if not all(isinstance(v, NUM) and not isinstance(v, bool) and math.isfinite(v) for v in points):
        raise ProjectFormatError(f"{where}: expected numbers")
    need = 4 if kind in ("rect", "ellipse") else 6
    if len(points) < need or len(points) % 2 or (kind != "polygon" and len(points) != 4):
        raise ProjectFormatError(f"{where}: a {kind} needs {'4' if need == 4 else 'an even count of at least 6'} "
                                 f"numbers, got {len(points)}")
    points = [float(v) for v in points]
    problem = coordinate_error(points, where)
    if problem:
        raise ProjectFormatError(problem)
    if kind != "polygon" and (points[2] <= points[0] or points[3] <= points[1]):
        raise ProjectFormatError(f"{where}: x2, y2 must be greater than x1, y1")
    return Shape(kind, points)


def _review(r: _Reader, version: int) -> dict:
    """The review fields; schema 1 had only `enabled` (see migrate_track_v1)."""
    if version < 2:
        return migrate_track_v1(r.get("enabled", bool, True), r.choice("source", SOURCES, "auto"))
    fields = {"review": r.choice("review", REVIEW_STATES, "unreviewed"), "review_by": r.get("review_by", str, ""),
              "review_at": r.get("review_at", str, ""), "reason_code": r.get("reason_code", str, "")}
    enabled = r.get("enabled", bool, None)
    masked = fields["review"] in ("unreviewed", "accepted")
    if enabled is not None and enabled != masked:  # a hand edit that contradicts the review state
        raise ProjectFormatError(f"{r._path('enabled')}: {str(enabled).lower()} contradicts review "
                                 f"{fields['review']!r}; schema 2 derives it from review, remove it")
    return fields


def migrate_track_v1(enabled: bool, source: str) -> dict:
    """Schema 1 -> 2 for one track. Switched-off tracks become rejected (not masked, as before) with no
    reason code and no reviewer, so the report shows the decision predates review records; manual
    tracks were drawn by the operator and count as accepted; everything else awaits review."""
    if not enabled:
        review = "rejected"
    else:
        review = "accepted" if source == "manual" else "unreviewed"
    return {"review": review, "review_by": "", "review_at": "", "reason_code": ""}


def _track(r: _Reader, version: int = SCHEMA_VERSION) -> Track:
    track_id = r.get("id", int)
    kf_list = r.get("keyframes", list)
    keyframes, seen = [], set()
    for i, raw in enumerate(kf_list):
        kr = _Reader(raw, f"{r._path('keyframes')}[{i}]")
        frame = kr.get("frame", int)
        if frame < 0:
            raise ProjectFormatError(f"{kr._path('frame')}: must not be negative")
        if frame in seen:
            raise ProjectFormatError(f"{kr._path('frame')}: a second keyframe at frame {frame}")
        seen.add(frame)
        keyframes.append(Keyframe(frame, _shape(kr), kr.get("outside", bool, False)))
    keyframes.sort(key=lambda k: k.frame)
    scores = {}
    for key, value in r.get("scores", dict, {}).items():
        if not key.lstrip("-").isdigit() or not isinstance(value, NUM) or isinstance(value, bool):
            raise ProjectFormatError(f"{r._path('scores')}[{key!r}]: expected a frame number and a score")
        scores[int(key)] = float(value)
    style_raw = r.get("style", dict, None, allow_none=True)
    return Track(
        id=track_id, label=r.get("label", str), source=r.choice("source", SOURCES, "auto"),
        style=None if style_raw is None else _style(_Reader(style_raw, r._path("style"))),
        keyframes=keyframes, scores=scores, reason=r.get("reason", str, ""),
        blind_frames=max(0, r.get("blind_frames", int, 0)),
        group=r.get("group", int, None, allow_none=True), **_review(r, version))


def _case(r: _Reader) -> CaseDetails:
    return CaseDetails(reference=r.get("reference", str, ""), requester=r.get("requester", str, ""),
                       operator=r.get("operator", str, ""), notes=r.get("notes", str, ""))


def _reasons(root: _Reader) -> list[Reason] | None:
    raw = root.get("reasons", list, None)
    if raw is None:
        return None
    reasons, codes = [], set()
    for i, item in enumerate(raw):
        rr = _Reader(item, f"reasons[{i}]")
        code = rr.get("code", str)
        if not code.strip():
            raise ProjectFormatError(f"{rr._path('code')}: must not be empty")
        if code in codes:
            raise ProjectFormatError(f"{rr._path('code')}: the code {code!r} is used twice")
        codes.add(code)
        reasons.append(Reason(code, rr.get("text", str), rr.get("legal_basis", str, "")))
    return reasons


def _audio_range(r: _Reader) -> AudioRange:
    stream = r.get("stream", int)
    if stream < 0:
        raise ProjectFormatError(f"{r._path('stream')}: must not be negative (audio streams count from 0)")
    start, end = float(r.get("start", NUM)), float(r.get("end", NUM))
    if start < 0:
        raise ProjectFormatError(f"{r._path('start')}: must not be negative, got {start}")
    if end <= start:
        raise ProjectFormatError(f"{r._path('end')}: must be greater than start ({start}), got {end}")
    action = r.choice("action", AUDIO_ACTIONS)
    tone_hz = float(r.get("tone_hz", NUM, DEFAULT_TONE_HZ))
    if not 20.0 <= tone_hz <= 20000.0:
        raise ProjectFormatError(f"{r._path('tone_hz')}: must lie between 20 and 20000 Hz, got {tone_hz}")
    level = float(r.get("level_dbfs", NUM, DEFAULT_LEVEL_DBFS))
    if not -60.0 <= level <= 0.0:
        raise ProjectFormatError(f"{r._path('level_dbfs')}: must lie between -60 and 0 dBFS, got {level}")
    return AudioRange(stream, start, end, action, r.get("reason", str, ""), tone_hz, level)


def project_from_dict(data: Any) -> Project:
    root = _Reader(data, "")
    version = root.get("schema_version", int)
    if version > SCHEMA_VERSION:
        raise ProjectFormatError(
            f"this project was written by a newer version of anonymizer-gui (schema {version}; this "
            f"version reads up to {SCHEMA_VERSION}); please update the program")
    if version < 1:
        raise ProjectFormatError(f"schema_version: {version} is not a valid schema version")
    m = root.child("media")
    media = MediaRef(path=m.get("path", str), size=m.get("size", int, 0), sha256=m.get("sha256", str, ""),
                     width=m.get("width", int, 0), height=m.get("height", int, 0),
                     frame_count=m.get("frame_count", int, 0), fps=float(m.get("fps", NUM, 0.0)),
                     probe=_private_probe(m.get("probe", dict, {})))
    e = _Reader(root.get("export", dict, {}), "export")
    export = ExportSettings(codec=e.get("codec", str, None, allow_none=True), crf=e.get("crf", int, 18),
                            preset=e.get("preset", str, "medium"), keep_metadata=e.get("keep_metadata", bool, False),
                            keep_subtitles=e.get("keep_subtitles", bool, False),
                            require_review=e.get("require_review", bool, False),
                            hardware_encoder=e.get("hardware_encoder", str, "auto"))
    tracks, ids = [], set()
    for i, raw in enumerate(root.get("tracks", list, [])):
        t = _track(_Reader(raw, f"tracks[{i}]"), version)
        if t.id in ids:
            raise ProjectFormatError(f"tracks[{i}].id: the id {t.id} is used twice")
        ids.add(t.id)
        tracks.append(t)
    default_style = _style(root.child("default_style")) if "default_style" in data else MaskStyle()
    audio_ranges = [_audio_range(_Reader(raw, f"audio_ranges[{i}]"))
                    for i, raw in enumerate(root.get("audio_ranges", list, []))]
    project = Project(media=media, tracks=tracks, default_style=default_style, export=export,
                      analysis=root.get("analysis", dict, {}), schema_version=SCHEMA_VERSION,
                      audio_ranges=sorted(audio_ranges, key=lambda r: (r.stream, r.start, r.end)),
                      remove_audio=root.get("remove_audio", bool, False),
                      case=_case(_Reader(root.get("case", dict, {}), "case")))
    reasons = _reasons(root)
    if reasons is not None:
        project.reasons = reasons
    codes = {r.code for r in project.reasons}
    for i, t in enumerate(tracks):
        if t.reason_code and t.reason_code not in codes:
            raise ProjectFormatError(f"tracks[{i}].reason_code: {t.reason_code!r} is not in the project's "
                                     f"reason list ({', '.join(sorted(codes))})")
    return project


# -- files --------------------------------------------------------------------------------------
def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write atomically: a crash mid-write leaves the previous file intact. A project that could not
    be loaded again (a coordinate out of bounds, a number that is infinite or NaN) is refused and the
    previous file is kept."""
    path = Path(path)
    for t in project.tracks:
        for k in t.keyframes:
            problem = coordinate_error(k.shape.points, f"track {t.id} ({t.label}), keyframe at frame {k.frame}")
            if problem:
                raise ProjectFormatError(f"{problem}; the project was not saved")
    data = project_to_dict(project, relative_to=path.parent)
    try:
        text = json.dumps(data, indent=1, allow_nan=False)
    except ValueError:  # JSON has no infinity or NaN: the loader would refuse the file
        where, value = _non_finite(data, "") or ("project", "a number")
        raise ProjectFormatError(f"{where}: {value} is not a finite number; the project was not saved") from None
    write_text_atomic(path, text)


def _non_finite(value: Any, where: str) -> tuple[str, str] | None:
    """The path and value of the first infinity or NaN in JSON data, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where or "project", repr(value)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = _non_finite(item, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else key)
        if found:
            return found
    return None


def load_project(path: str | os.PathLike) -> Project:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFormatError(f"project file not found: {path}") from None
    except IsADirectoryError:
        raise ProjectFormatError(f"{path} is a folder, not a project file") from None
    except PermissionError:
        raise ProjectFormatError(f"cannot read project file {path}: permission denied") from None
    except UnicodeDecodeError:
        raise ProjectFormatError(f"{path} is not a project file (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectFormatError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:  # thousands of nested brackets: the decoder gives up
        raise ProjectFormatError(f"{path.name} is not a project file: its JSON is nested too deeply to read") from None
    project = project_from_dict(data)
    media = Path(project.media.path)
    if not media.is_absolute():  # relative media paths are relative to the project file
        project.media.path = str((path.parent / media).resolve())
    return project
