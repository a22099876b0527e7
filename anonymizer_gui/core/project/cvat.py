"""Tracks <-> CVAT for video 1.1 XML, so corrections can be made in CVAT and brought back.

The export is what CVAT itself writes for a track: one element per frame from the first to the last
keyframe (box, ellipse or polygon) with `keyframe`, `outside` and `occluded` flags; frames between
keyframes carry the interpolated shape with keyframe="0", frames inside an outside stretch carry
nothing. Where our track simply ends, CVAT needs an `outside` keyframe on the next frame (a CVAT track
whose last keyframe is visible stays visible to the end of the video).

The import keeps the keyframe="1" elements (all elements if a file marks none) and maps CVAT's
track semantics back to ours, fail closed:
- an `outside` keyframe right after the last visible one is CVAT's "the track ends here": dropped;
- a track whose last keyframe is visible continues, in CVAT, to the end of the video: it gets a
  keyframe on the last frame holding that shape;
- `occluded` objects are still masked (they are on screen), so the flag is read and ignored;
- rotated boxes and ellipses become polygons that cover them;
- coordinates beyond json_io.MAX_COORDINATE (computed ones too: cx + rx, a turned corner) are refused.
Every imported track is enabled and uses the project's default style.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from ..foundation import ProjectFormatError
from .interpolate import shape_at
from .json_io import coordinate_error
from .model import Keyframe, Project, Shape, Track

CVAT_VERSION = "1.1"
SHAPE_TAGS = ("box", "ellipse", "polygon")
_KIND_TAG = {"rect": "box", "ellipse": "ellipse", "polygon": "polygon"}
_ELLIPSE_SIDES = 24


# -- export ---------------------------------------------------------------------------------------
def tracks_to_cvat_xml(project: Project, task_name: str = "") -> bytes:
    """The project's tracks as a CVAT for video 1.1 annotation file."""
    n = project.media.frame_count
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = CVAT_VERSION
    meta = ET.SubElement(root, "meta")
    task = ET.SubElement(meta, "task")
    stop = max(n - 1, max((t.last_frame for t in project.tracks), default=0))
    for key, value in (("name", task_name), ("size", n), ("mode", "interpolation"), ("overlap", 0),
                       ("start_frame", 0), ("stop_frame", stop), ("frame_filter", "")):
        ET.SubElement(task, key).text = str(value)
    labels = ET.SubElement(task, "labels")
    for label in dict.fromkeys(t.label for t in project.tracks):
        item = ET.SubElement(labels, "label")
        ET.SubElement(item, "name").text = label
        ET.SubElement(item, "type").text = "any"
        ET.SubElement(item, "attributes")
    size = ET.SubElement(task, "original_size")
    ET.SubElement(size, "width").text = str(project.media.width)
    ET.SubElement(size, "height").text = str(project.media.height)
    ET.SubElement(meta, "dumped").text = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for track in project.tracks:
        if track.keyframes:
            _write_track(root, track, n)
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _write_track(root: ET.Element, track: Track, frame_count: int) -> None:
    el = ET.SubElement(root, "track", id=str(track.id), label=track.label, source=track.source)
    keys = {k.frame: k for k in track.keyframes}
    for frame in range(track.first_frame, track.last_frame + 1):
        kf = keys.get(frame)
        if kf is not None:
            _write_shape(el, kf.shape, frame, keyframe=True, outside=kf.outside)
        else:
            shape = shape_at(track, frame)
            if shape is not None:
                _write_shape(el, shape, frame, keyframe=False, outside=False)
    last = track.keyframes[-1]
    if not last.outside and (frame_count <= 0 or last.frame < frame_count - 1):
        _write_shape(el, last.shape, last.frame + 1, keyframe=True, outside=True)


def _num(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _write_shape(parent: ET.Element, shape: Shape, frame: int, keyframe: bool, outside: bool) -> None:
    attrs = {"frame": str(frame), "keyframe": str(int(keyframe)), "outside": str(int(outside)),
             "occluded": "0"}
    p = shape.points
    if shape.kind == "rect":
        attrs.update(xtl=_num(p[0]), ytl=_num(p[1]), xbr=_num(p[2]), ybr=_num(p[3]))
    elif shape.kind == "ellipse":
        attrs.update(cx=_num((p[0] + p[2]) / 2), cy=_num((p[1] + p[3]) / 2),
                     rx=_num((p[2] - p[0]) / 2), ry=_num((p[3] - p[1]) / 2))
    else:
        attrs["points"] = ";".join(f"{_num(x)},{_num(y)}" for x, y in zip(p[0::2], p[1::2]))
    attrs["z_order"] = "0"
    ET.SubElement(parent, _KIND_TAG[shape.kind], attrs)


# -- import ---------------------------------------------------------------------------------------
def tracks_from_cvat_xml(data: bytes, project: Project) -> list[Track]:
    """The tracks of a CVAT for video 1.1 file, for `project`'s video (see the module notes)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ProjectFormatError(f"not a CVAT XML file ({exc})") from None
    if root.tag != "annotations":
        raise ProjectFormatError(f"not a CVAT annotation file: the root element is <{root.tag}>")
    if root.find("image") is not None and root.find("track") is None:
        raise ProjectFormatError("this is a 'CVAT for images' file; export the task as 'CVAT for video 1.1'")
    _check_size(root, project)
    tracks, next_id = [], 1
    for i, el in enumerate(root.iter("track")):
        where = f"track {el.get('id', i)}"
        label = el.get("label")
        if not label:
            raise ProjectFormatError(f"{where}: no label")
        keyframes = _read_keyframes(el, where)
        if not keyframes:
            continue
        _to_our_semantics(keyframes, project.media.frame_count)
        source = "auto" if el.get("source") == "auto" else "manual"
        tracks.append(Track(id=next_id, label=label, source=source, keyframes=keyframes))
        next_id += 1
    return tracks


def _check_size(root: ET.Element, project: Project) -> None:
    width = root.findtext("meta/task/original_size/width") or root.findtext("meta/job/original_size/width")
    height = root.findtext("meta/task/original_size/height") or root.findtext("meta/job/original_size/height")
    want = (project.media.width, project.media.height)
    if width and height and all(want) and (_int(width, "width"), _int(height, "height")) != want:
        raise ProjectFormatError(f"the CVAT file is for a {width}x{height} video, the project's is "
                                 f"{want[0]}x{want[1]}; the boxes would land in the wrong places")


def _read_keyframes(track_el: ET.Element, where: str) -> list[Keyframe]:
    elements = [el for el in track_el if el.tag in SHAPE_TAGS]
    others = sorted({el.tag for el in track_el if el.tag not in SHAPE_TAGS and el.tag != "attribute"})
    if others:
        raise ProjectFormatError(f"{where}: <{others[0]}> shapes cannot be masked; use boxes, ellipses "
                                 "or polygons")
    marked = [el for el in elements if el.get("keyframe", "1") == "1"]
    by_frame: dict[int, Keyframe] = {}
    for el in marked or elements:
        frame = _int(el.get("frame"), f"{where} frame")
        if frame < 0:
            raise ProjectFormatError(f"{where}: frame {frame} is negative")
        if frame in by_frame:
            raise ProjectFormatError(f"{where}: two keyframes at frame {frame}")
        outside = el.get("outside", "0") == "1"
        shape = _read_shape(el, f"{where} frame {frame}")
        problem = coordinate_error(shape.points, f"{where} frame {frame}")  # cx + rx, a turn: may overflow
        if problem:
            raise ProjectFormatError(problem)
        by_frame[frame] = Keyframe(frame, shape, outside)
    return [by_frame[f] for f in sorted(by_frame)]


def _read_shape(el: ET.Element, where: str) -> Shape:
    rotation = _float(el.get("rotation", "0"), f"{where} rotation")
    if el.tag == "box":
        x1, y1, x2, y2 = (_float(el.get(k), f"{where} {k}") for k in ("xtl", "ytl", "xbr", "ybr"))
        if x2 <= x1 or y2 <= y1:
            raise ProjectFormatError(f"{where}: the box has no area")
        if rotation % 360:
            corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
            return Shape("polygon", _rotated(corners, rotation, (x1 + x2) / 2, (y1 + y2) / 2))
        return Shape("rect", [x1, y1, x2, y2])
    if el.tag == "ellipse":
        cx, cy, rx, ry = (_float(el.get(k), f"{where} {k}") for k in ("cx", "cy", "rx", "ry"))
        if rx <= 0 or ry <= 0:
            raise ProjectFormatError(f"{where}: the ellipse has no area")
        if rotation % 360:
            grow = 1 / math.cos(math.pi / _ELLIPSE_SIDES)  # the polygon's edges stay outside the ellipse
            ring = [(cx + rx * grow * math.cos(a), cy + ry * grow * math.sin(a))
                    for a in (2 * math.pi * i / _ELLIPSE_SIDES for i in range(_ELLIPSE_SIDES))]
            return Shape("polygon", _rotated(ring, rotation, cx, cy))
        return Shape("ellipse", [cx - rx, cy - ry, cx + rx, cy + ry])
    points = []
    for pair in (el.get("points") or "").split(";"):
        x, sep, y = pair.partition(",")
        if not sep:
            raise ProjectFormatError(f"{where}: polygon points must read x1,y1;x2,y2;...")
        points += [_float(x, f"{where} points"), _float(y, f"{where} points")]
    if len(points) < 6:
        raise ProjectFormatError(f"{where}: a polygon needs at least 3 points")
    return Shape("polygon", points)


def _rotated(points, degrees: float, cx: float, cy: float) -> list[float]:
    a = math.radians(degrees)  # CVAT: clockwise in image coordinates (y down)
    c, s = math.cos(a), math.sin(a)
    out: list[float] = []
    for x, y in points:
        dx, dy = x - cx, y - cy
        out += [cx + dx * c - dy * s, cy + dx * s + dy * c]
    return out


def _to_our_semantics(keyframes: list[Keyframe], frame_count: int) -> None:
    """CVAT's track end (outside marker) and carry-to-the-end rule, in our keyframes (in place)."""
    if len(keyframes) >= 2 and keyframes[-1].outside and not keyframes[-2].outside \
            and keyframes[-1].frame == keyframes[-2].frame + 1:
        keyframes.pop()
        return
    last = keyframes[-1]
    if not last.outside and frame_count > 0 and last.frame < frame_count - 1:
        keyframes.append(Keyframe(frame_count - 1, last.shape.copy()))


def _int(text: str | None, where: str) -> int:
    try:
        return int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProjectFormatError(f"{where}: expected a whole number, got {text!r}") from None


def _float(text: str | None, where: str) -> float:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProjectFormatError(f"{where}: expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ProjectFormatError(f"{where}: must be a finite number")
    return value
