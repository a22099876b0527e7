"""The audit report of an export: what was hidden, how, and from which file, as JSON.

It is written beside the output as `<output file name>.audit.json` (out.mp4 -> out.mp4.audit.json,
so two exports to out.mp4 and out.mkv never share a report) and must be safe to hand over with
the video: no image data, no folder paths (they often hold a user name), no metadata *values*
(a GPS position or a device serial is personal data; the keys say what was removed), and no
names of people. Track labels are detector class names ("face", "plate") or what the operator
typed; the reason is the operator's own justification and is included as written.

The review record (issue 11) is part of it: each track's review state, reason code, text and legal
basis, who decided and when; a summary; the case details the operator typed (reference, requester,
operator, notes: the requester and operator are named on purpose, as the record legal teams need).
Beside it goes an exemption log (`<output>.exemptions.csv`): one row per time range in which a
detected object was left visible (rejected or kept visible), with the decision and its basis.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import av

from ..detect import get_spec, model_sha256, weights_path
from ..foundation import AnonymizerError
from ..project import masked_ranges
from ..render import floored
from ..media import MediaInfo
from ..project import ExportSettings, Project
from .safe_output import write_bytes_atomic

REPORT_VERSION = 2  # 2: review record, case details, exemption log
REPORT_SUFFIX = ".audit.json"
EXEMPTIONS_SUFFIX = ".exemptions.csv"
EXEMPTION_COLUMNS = ("track", "object", "start", "end", "start_frame", "end_frame", "decision",
                     "reason_code", "reason", "legal_basis", "note", "review_by", "review_at")


def default_report_path(output: Path) -> Path:
    return output.with_name(output.name + REPORT_SUFFIX)


def exemptions_path(output: Path) -> Path:
    return output.with_name(output.name + EXEMPTIONS_SUFFIX)


def unreviewed_tracks(project: Project) -> list[int]:
    return [t.id for t in project.tracks if not t.reviewed]


def unreviewed_warning(project: Project) -> str | None:
    ids = unreviewed_tracks(project)
    if not ids:
        return None
    shown = ", ".join(map(str, ids[:20])) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
    return (f"{len(ids)} of {len(project.tracks)} tracks were not reviewed (masked, fail closed): "
            f"track {shown}")


def media_facts(info: MediaInfo) -> dict:
    """MediaInfo.to_json() without the folder path and without tag values."""
    facts = info.to_json()
    facts["path"] = Path(info.path).name
    facts["tag_keys"] = sorted(facts.pop("tags", {}))
    return facts


def track_entries(project: Project, frame_count: int) -> list[dict]:
    """One entry per track. A track switched off masks nothing: it is listed as visible by the
    operator's decision, over the frames it spans, with the reason given, never with masked ranges."""
    entries = []
    for t in project.tracks:
        ranges = [list(r) for r in _clip(masked_ranges(t), frame_count)]
        frames = sum(b - a + 1 for a, b in ranges)
        entry = {"id": t.id, "label": t.label, "source": t.source, "enabled": t.enabled,
                 "keyframes": len(t.keyframes),
                 "mean_score": None if t.mean_score is None else round(t.mean_score, 4),
                 "reason": t.reason, **review_entry(project, t)}
        if t.enabled:
            style = floored(project.style_of(t))  # what the renderer drew, floor included
            entry.update(style={"kind": style.kind, "strength": style.strength, "margin": style.margin,
                                "feather": style.feather, "color": list(style.color)},
                         masked_ranges=ranges, masked_frames=frames)
        else:
            entry.update(visible_by_decision=True, visible_ranges=ranges, visible_frames=frames)
        entries.append(entry)
    return entries


def analysis_state(project: Project, frame_count: int) -> dict:
    """Whether the automatic analysis saw the whole video: cancelled, and how many frames it read.

    A project without an analysis (masks drawn by hand only) is not incomplete: nothing was
    promised. `complete` is False when the analysis was cancelled or stopped short of the end.
    """
    a = project.analysis or {}
    if not a:
        return {"analysed": False, "complete": True, "cancelled": False, "frames_analyzed": None,
                "frame_count": frame_count}
    done = a.get("frames_analyzed")
    cancelled = bool(a.get("cancelled", False))
    short = isinstance(done, int) and done < frame_count
    return {"analysed": True, "complete": not (cancelled or short), "cancelled": cancelled,
            "frames_analyzed": done, "frame_count": frame_count}


def models_used(project: Project) -> list[dict]:
    """The models the analysis names, each with the SHA-256 of its weights file measured now (the
    project's own record is editable text); `sha256_matches` compares it with the manifest's."""
    out = []
    for m in project.analysis.get("models", []) or []:
        if not isinstance(m, dict):
            continue
        entry = {k: m.get(k) for k in ("class", "name", "family")}
        entry["sha256_in_project"] = m.get("sha256")
        entry.update(_measured_model(str(m.get("name") or "")))
        out.append(entry)
    return out


def _measured_model(name: str) -> dict:
    try:
        spec = get_spec(name)
    except AnonymizerError:
        return {"sha256": None, "manifest_sha256": None, "sha256_matches": False,
                "note": f"no model named {name!r} in the manifest"}
    path = weights_path(spec)
    if not path.is_file():
        return {"sha256": None, "manifest_sha256": spec.sha256, "sha256_matches": False,
                "note": "the weights file is not on this computer"}
    measured = model_sha256(path)
    return {"sha256": measured, "manifest_sha256": spec.sha256, "sha256_matches": measured == spec.sha256}


def review_entry(project: Project, track) -> dict:
    reason = project.reason(track.reason_code) if track.reason_code else None
    return {"review": track.review, "reason_code": track.reason_code,
            "reason_text": reason.text if reason else "", "legal_basis": reason.legal_basis if reason else "",
            "review_by": track.review_by, "review_at": track.review_at, "group": track.group}


def review_summary(project: Project) -> dict:
    counts = project.review_counts()
    return {**counts, "unreviewed_tracks": unreviewed_tracks(project),
            "case": {"reference": project.case.reference, "requester": project.case.requester,
                     "operator": project.case.operator, "notes": project.case.notes}}


def exemption_rows(project: Project, info: MediaInfo) -> list[dict]:
    """One row per masked range of each track left visible by a review decision; times are the
    frames' own time stamps (VFR-safe), end = start of the frame after the range."""
    frame_count = info.frame_count

    def at(frame: int) -> str:
        return _timecode(info.timestamp(frame) if frame < frame_count else info.duration)

    rows = []
    for t in project.tracks:
        if t.enabled:
            continue
        entry = review_entry(project, t)
        for a, b in _clip(masked_ranges(t), frame_count):
            rows.append({"track": t.id, "object": t.label, "start": at(a), "end": at(b + 1),
                         "start_frame": a, "end_frame": b, "decision": t.review, "reason_code": t.reason_code,
                         "reason": entry["reason_text"], "legal_basis": entry["legal_basis"], "note": t.reason,
                         "review_by": t.review_by, "review_at": t.review_at})
    return rows


def exemptions_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXEMPTION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


def _csv_safe(value):
    # Spreadsheets run cells that start with = + - @ as formulas; operator text must stay text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _timecode(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def masked_frames(project: Project, frame_count: int) -> dict:
    """Frames that carry at least one mask (enabled tracks), as a count and inclusive ranges."""
    spans = sorted(r for t in project.tracks if t.enabled
                   for r in _clip(masked_ranges(t), frame_count))
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return {"total": frame_count, "with_mask": sum(b - a + 1 for a, b in merged), "ranges": merged}


def audio_entries(project: Project, stream_count: int) -> dict:
    """Every audio range with its action and reason (seconds from the first frame), or the removal."""
    ranges = []
    for r in project.audio_ranges:
        entry = {"stream": r.stream, "start": round(r.start, 6), "end": round(r.end, 6), "action": r.action,
                 "reason": r.reason}
        if r.action == "bleep":
            entry.update(tone_hz=r.tone_hz, level_dbfs=r.level_dbfs)
        ranges.append(entry)
    return {"streams": stream_count, "removed": project.remove_audio,
            "ranges": [] if project.remove_audio else ranges,
            "seconds_redacted": None if project.remove_audio else _union_seconds(project)}


def _union_seconds(project: Project) -> dict[str, float]:
    """Per audio stream, the seconds some range covers (overlaps counted once)."""
    out: dict[str, float] = {}
    for stream in sorted({r.stream for r in project.audio_ranges}):
        total, reach = 0.0, 0.0
        for r in sorted((r for r in project.audio_ranges if r.stream == stream), key=lambda r: r.start):
            start = max(r.start, reach)
            if r.end > start:
                total += r.end - start
            reach = max(reach, r.end)
        out[str(stream)] = round(total, 3)
    return out


def build_report(*, project: Project, input_info: MediaInfo, input_size: int, input_sha256: str,
                 output: Path, output_info: MediaInfo | None, output_size: int, output_sha256: str,
                 settings: ExportSettings, encoding: dict, streams: list[dict],
                 metadata_stripped: list[str], metadata_kept: list[str], notices: list[str],
                 warnings: list[str], timings: dict, audio: dict | None = None) -> dict:
    from ... import __version__

    n = input_info.frame_count
    return {
        "report_version": REPORT_VERSION,
        "program": {"name": "anonymizer-gui", "version": __version__, "pyav": av.__version__,
                    "ffmpeg": _ffmpeg_version()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": {"name": Path(input_info.path).name, "size": input_size, "sha256": input_sha256,
                  "probe": media_facts(input_info)},
        "output": {"name": output.name, "size": output_size, "sha256": output_sha256,
                   "probe": media_facts(output_info) if output_info is not None else None},
        "settings": {"codec": encoding.get("codec"), "crf": settings.crf, "preset": settings.preset,
                     "keep_metadata": settings.keep_metadata, "keep_subtitles": settings.keep_subtitles,
                     **{k: v for k, v in encoding.items() if k != "codec"}},
        "analysis": {"tool": project.analysis.get("tool"), "models": models_used(project),
                     "thresholds": project.analysis.get("thresholds", {}),
                     **analysis_state(project, n)},
        "review": review_summary(project),
        "tracks": track_entries(project, n),
        "frames": masked_frames(project, n),
        "metadata": {"kept": settings.keep_metadata, "stripped": sorted(metadata_stripped),
                     "kept_keys": sorted(metadata_kept)},
        "streams": streams,
        "audio": audio if audio is not None else audio_entries(project, len(input_info.audio)),
        "notices": list(notices),
        "warnings": list(warnings),
        "timings": timings,
    }


def report_bytes(report: dict) -> bytes:
    return (json.dumps(report, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def write_report(path: Path, report: dict) -> None:
    write_bytes_atomic(path, report_bytes(report))


def _clip(ranges: list[tuple[int, int]], frame_count: int) -> list[tuple[int, int]]:
    out = []
    for a, b in ranges:
        a, b = max(a, 0), min(b, frame_count - 1)
        if a <= b:
            out.append((a, b))
    return out


def _ffmpeg_version() -> str | None:
    try:
        return str(av.library_versions.get("libavformat"))
    except AttributeError:
        return None
