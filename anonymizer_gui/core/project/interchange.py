"""Tracks to and from other tools' files, by format name: "cvat" (CVAT for video 1.1 XML) or "mot"
(MOTChallenge CSV). The command line and the editor both go through these two functions."""

from __future__ import annotations

from pathlib import Path

from ..foundation import ProjectFormatError
from .cvat import tracks_from_cvat_xml, tracks_to_cvat_xml
from .model import Project, Track
from .mot import tracks_from_mot_csv, tracks_to_mot_csv

TRACK_FORMATS = ("cvat", "mot")


def format_of(path: str | Path) -> str:
    """The format a file name suggests: .xml is CVAT, anything else (.txt, .csv) MOT."""
    return "cvat" if Path(path).suffix.lower() == ".xml" else "mot"


def write_tracks(project: Project, fmt: str) -> bytes:
    if fmt not in TRACK_FORMATS:
        raise ProjectFormatError(f"unknown track format {fmt!r}; choose cvat or mot")
    return tracks_to_cvat_xml(project, Path(project.media.path).name) if fmt == "cvat" else tracks_to_mot_csv(project)


def read_tracks(data: bytes, project: Project, fmt: str | None = None, label: str = "face") -> list[Track]:
    """The tracks in `data` for `project`'s video (format sniffed when None), checked against its length;
    a file with no (visible) tracks is refused, since the tracks read replace the project's."""
    if not data or data.isspace():  # a failed download: say so rather than "not a CVAT XML file"
        raise ProjectFormatError("the file is empty and holds no tracks; importing it would remove every "
                                 "track, so nothing was changed")
    fmt = fmt or ("cvat" if data.lstrip()[:1] == b"<" else "mot")
    if fmt not in TRACK_FORMATS:
        raise ProjectFormatError(f"unknown track format {fmt!r}; choose cvat or mot")
    tracks = tracks_from_cvat_xml(data, project) if fmt == "cvat" else tracks_from_mot_csv(data, project, label)
    # An import replaces every track: an empty file (a failed download, a task with no annotations)
    # would silently unmask everything, so it is refused, as is one whose shapes are all `outside`.
    if not any(not k.outside for t in tracks for k in t.keyframes):
        raise ProjectFormatError("the file holds no tracks (no box, ellipse or polygon that is ever visible); "
                                 "importing it would remove every track, so nothing was changed")
    n = project.media.frame_count
    for t in tracks:
        if n > 0 and t.keyframes and t.last_frame >= n:
            raise ProjectFormatError(f"track {t.id} ({t.label}) has a keyframe at frame {t.last_frame}, but the "
                                     f"video has {n} frames; the file does not belong to this video")
    return tracks
