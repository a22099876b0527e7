"""Tracks <-> CVAT for video 1.1 XML and MOTChallenge CSV: round trips keep every keyframe."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from anonymizer_gui.core.foundation import ProjectFormatError
from anonymizer_gui.core.project import (Keyframe, MaskStyle, MediaRef, Project, Shape, Track, masks_at,
                                         project_from_dict, project_to_dict, read_tracks, tracks_from_cvat_xml,
                                         tracks_from_mot_csv, tracks_to_cvat_xml, tracks_to_mot_csv)
from anonymizer_gui.core.project import mot

FRAMES = 60
MAX_COORDINATE = 10_000_000.0  # the documented bound on coordinates (json_io.MAX_COORDINATE)


def kf(frame, x1, y1, x2, y2, outside=False, kind="rect"):
    return Keyframe(frame, Shape(kind, [x1, y1, x2, y2]), outside)


def box_tracks() -> list[Track]:
    return [
        # bends, a hidden stretch (outside keyframe) and a return
        Track(1, "face", keyframes=[kf(0, 10, 10, 50, 60), kf(7, 30.5, 12.25, 70.5, 61), kf(15, 31, 40, 80, 90.125),
                                    kf(20, 31, 40, 80, 90.125, outside=True), kf(26, 100, 100, 140, 150),
                                    kf(33, 120.333, 90, 170, 141)]),
        # a track that reaches the last frame, with a score per frame
        Track(2, "plate", keyframes=[kf(40, 200, 150, 260, 180), kf(FRAMES - 1, 220, 160, 280, 190)],
              scores={f: 0.8 for f in range(40, FRAMES)}),
        Track(3, "face", keyframes=[kf(5, 1, 1, 9, 9)]),  # a single frame
    ]


def shaped_tracks() -> list[Track]:
    return [
        Track(4, "face", source="manual", keyframes=[kf(2, 10, 10, 40, 50, kind="ellipse"),
                                                     kf(9, 20, 15, 50, 55, kind="ellipse")]),
        Track(5, "plate", source="manual", keyframes=[
            Keyframe(3, Shape("polygon", [0, 0, 10, 0, 5, 8])), Keyframe(8, Shape("polygon", [4, 0, 14, 2, 9, 8])),
            Keyframe(12, Shape("polygon", [4, 0, 14, 2, 9, 8]), outside=True)]),  # hidden until the end
        Track(6, "face", keyframes=[kf(0, 5, 5, 9, 9, outside=True), kf(4, 5, 5, 9, 9)]),  # starts hidden (a split tail)
    ]


def project(tracks) -> Project:
    return Project(MediaRef("/v/a.mp4", 1, "", 320, 240, FRAMES, 25.0), tracks)


def keyframes_of(tracks):
    """Per track: (frame, outside, kind, points) of every keyframe, points as the project file rounds them."""
    data = project_to_dict(project(tracks))["tracks"]
    return [[(k["frame"], k["outside"], k["shape"], k["points"]) for k in t["keyframes"]] for t in data]


def visible_masks(p: Project):
    return [[[round(v, 3) for v in s.points] for _, s, _ in masks_at(p, f)] for f in range(FRAMES)]


def test_cvat_round_trip_keeps_every_keyframe():
    original = project(box_tracks() + shaped_tracks())
    back = tracks_from_cvat_xml(tracks_to_cvat_xml(original), original)
    assert keyframes_of(back) == keyframes_of(original.tracks)
    assert [t.label for t in back] == [t.label for t in original.tracks]
    assert [t.source for t in back] == [t.source for t in original.tracks]
    assert visible_masks(project(back)) == visible_masks(original)


def test_cvat_export_writes_per_frame_shapes_with_flags_like_cvat():
    root = ET.fromstring(tracks_to_cvat_xml(project(box_tracks())))
    assert root.findtext("version") == "1.1"
    assert root.findtext("meta/task/original_size/width") == "320"
    first = root.find("track")
    assert first.get("label") == "face"
    boxes = {int(b.get("frame")): b for b in first.findall("box")}
    assert boxes[0].get("keyframe") == "1" and boxes[3].get("keyframe") == "0"  # interpolated frame
    assert float(boxes[3].get("xtl")) == pytest.approx(10 + 20.5 * 3 / 7, abs=1e-3)
    assert boxes[20].get("outside") == "1" and 21 not in boxes  # nothing inside the hidden stretch
    assert boxes[34].get("outside") == "1" and boxes[34].get("keyframe") == "1"  # CVAT's end of track
    assert all(b.get("occluded") == "0" for b in boxes.values())
    last = root.findall("track")[1]  # ends on the last frame: no end marker past the video
    assert max(int(b.get("frame")) for b in last) == FRAMES - 1


def test_cvat_import_follows_cvat_rules_fail_closed():
    xml = b"""<annotations><version>1.1</version>
      <track id="0" label="face" source="semi-auto">
        <box frame="10" keyframe="1" outside="0" occluded="1" xtl="1" ytl="2" xbr="11" ybr="12"/>
        <box frame="11" keyframe="0" outside="0" occluded="0" xtl="1" ytl="2" xbr="11" ybr="12"/>
      </track>
      <track id="1" label="plate"><box frame="0" keyframe="1" outside="0" occluded="0" xtl="10" ytl="10"
        xbr="30" ybr="20" rotation="90"/><box frame="1" keyframe="1" outside="1" occluded="0" xtl="10" ytl="10"
        xbr="30" ybr="20"/></track>
    </annotations>"""
    face, plate = tracks_from_cvat_xml(xml, project([]))
    # a visible last keyframe stays visible to the end of the video in CVAT; occluded is still masked
    assert [(k.frame, k.outside) for k in face.keyframes] == [(10, False), (FRAMES - 1, False)]
    assert face.source == "manual" and face.enabled
    assert plate.keyframes[0].shape.kind == "polygon"  # a rotated box becomes the polygon it covers
    x1, y1, x2, y2 = plate.keyframes[0].shape.bbox()
    assert (round(x1, 6), round(y1, 6), round(x2, 6), round(y2, 6)) == (15, 5, 25, 25)
    assert len(plate.keyframes) == 1  # the outside marker right after it only ends the track


@pytest.mark.parametrize("xml, message", [
    (b"<annotations><image id='0'/></annotations>", "CVAT for images"),
    (b"<annotations><track id='0' label='face'><points frame='0' points='1,2'/></track></annotations>",
     "cannot be masked"),
    (b"<annotations><track id='0' label='face'><box frame='0' xtl='a' ytl='0' xbr='1' ybr='1'/></track>"
     b"</annotations>", "expected a number"),
    (b"<annotations><meta><task><original_size><width>640</width><height>480</height></original_size></task>"
     b"</meta></annotations>", "640x480"),
    (b"<not xml", "not a CVAT XML file"),
])
def test_cvat_import_refuses_what_it_cannot_mask(xml, message):
    with pytest.raises(ProjectFormatError, match=message):
        tracks_from_cvat_xml(xml, project([]))


def test_mot_round_trip_keeps_every_keyframe_of_box_tracks():
    original = project(box_tracks())
    back = tracks_from_mot_csv(tracks_to_mot_csv(original), original)
    assert [t.id for t in back] == [1, 2, 3]
    # the outside keyframe's shape is not stored in MOT (it shows nothing), so compare frame and flag there
    strip = [[(f, o, k, None if o else p) for f, o, k, p in t] for t in keyframes_of(back)]
    assert strip == [[(f, o, k, None if o else p) for f, o, k, p in t] for t in keyframes_of(original.tracks)]
    assert visible_masks(project(back)) == visible_masks(original)
    assert back[1].scores[45] == pytest.approx(0.8) and not back[0].scores  # conf 1: marked by a person


def test_mot_export_rows_and_ellipses_as_their_boxes():
    text = tracks_to_mot_csv(project(shaped_tracks())).decode()
    first = text.splitlines()[0].split(",")
    assert first[:2] == ["3", "4"] and len(first) == 10  # frames count from 1
    assert [float(v) for v in first[2:6]] == [10, 10, 30, 40]


@pytest.mark.parametrize("csv, message", [
    (b"0,1,1,1,5,5,1\n", "count from 1"),
    (b"1,1,1,1,0,5,1\n", "no area"),
    (b"1,1,1,1\n", "expected frame,id"),
    (b"1,1,1,1,5,5,1\n1,1,2,2,5,5,1\n", "second box"),
    (b"1,-1,1,1,5,5,0.9\n", "raw detections"),
    (b"99,1,1,1,5,5,1\n", "frame 99"),
])
def test_mot_import_refuses_bad_rows(csv, message):
    with pytest.raises(ProjectFormatError, match=message):
        tracks_from_mot_csv(csv, project([]))


def test_imported_tracks_are_valid_project_tracks():
    original = project(box_tracks() + shaped_tracks())
    p = project(tracks_from_cvat_xml(tracks_to_cvat_xml(original), original))
    assert project_from_dict(project_to_dict(p)).tracks == p.tracks


# -- robustness: files that would wipe or corrupt a project ---------------------------------------
@pytest.mark.parametrize("fmt, data", [
    (None, b""),  # a failed download: 0 bytes
    ("cvat", b""),
    (None, b"<annotations><version>1.1</version><meta/></annotations>"),  # no <track>
    (None, b"<annotations><track id='0' label='face'></track></annotations>"),  # a track with no shapes
    (None, b"<annotations><track id='0' label='face'><box frame='3' outside='1' xtl='1' ytl='1' xbr='5' ybr='5'/>"
           b"</track></annotations>"),  # only an outside keyframe: it masks nothing
    (None, b"\n\n"),
    ("mot", b""),
    ("mot", b"# frame,id,left,top,width,height\n"),
])
def test_read_tracks_refuses_a_file_with_no_tracks(fmt, data):
    with pytest.raises(ProjectFormatError, match="holds no tracks"):
        read_tracks(data, project(box_tracks()), fmt)


@pytest.mark.parametrize("csv, message", [
    (b"1,1,1e308,10,1e308,20,1,-1,-1,-1\n", "line 1: "),  # left + width overflows to infinity
    (b"1,1,10,1e308,5,1e308,1\n", "line 1: "),
    (b"1,1,1,1,5,5,1\n2,1,-1.7e308,0,1e308,5,1\n", "line 2: "),  # finite, but far beyond any picture
    (b"1,1,20000000,1,5,5,1\n", "line 1: "),
])
def test_mot_import_refuses_coordinates_beyond_any_picture(csv, message):
    with pytest.raises(ProjectFormatError, match=message) as err:
        tracks_from_mot_csv(csv, project([]))
    assert "10000000" in str(err.value)


def _cvat(shape: str) -> bytes:
    return (f"<annotations><version>1.1</version><track id='4' label='face'>{shape}</track></annotations>"
            ).encode()


@pytest.mark.parametrize("shape", [
    "<ellipse frame='2' keyframe='1' outside='0' cx='1e308' cy='10' rx='1e308' ry='5'/>",  # cx + rx overflows
    "<ellipse frame='2' keyframe='1' outside='0' cx='10' cy='10' rx='1e308' ry='5' rotation='30'/>",
    "<box frame='2' keyframe='1' outside='0' xtl='-1.7e308' ytl='0' xbr='1.7e308' ybr='5'/>",  # finite, enormous
    "<box frame='2' keyframe='1' outside='0' xtl='0' ytl='0' xbr='1e308' ybr='1e308' rotation='45'/>",
    "<polygon frame='2' keyframe='1' outside='0' points='0,0;1e9,0;5,5'/>",
])
def test_cvat_import_refuses_coordinates_beyond_any_picture(shape):
    with pytest.raises(ProjectFormatError, match="track 4 frame 2: ") as err:
        tracks_from_cvat_xml(_cvat(shape), project([]))
    assert "10000000" in str(err.value)


def test_shapes_many_times_the_picture_are_still_imported_and_mask_all_of_it():
    from anonymizer_gui.core.render import render_bgr
    lim = MAX_COORDINATE
    mot = tracks_from_mot_csv(f"1,1,{-lim},{-lim},{2 * lim},{2 * lim},1\n".encode(), project([]))
    cvat = tracks_from_cvat_xml(_cvat(f"<box frame='0' keyframe='1' outside='0' xtl='{-lim}' ytl='{-lim}' "
                                      f"xbr='{lim}' ybr='{lim}'/><ellipse frame='1' keyframe='1' outside='0' cx='0' "
                                      f"cy='0' rx='{lim}' ry='{lim}'/>"), project([]))
    shapes = [k.shape for t in mot + cvat for k in t.keyframes]
    assert {tuple(s.points) for s in shapes} == {(-lim, -lim, lim, lim)}
    for i, t in enumerate(mot + cvat, start=1):
        t.id = i
    p = project(mot + cvat)
    assert project_from_dict(project_to_dict(p)).tracks == p.tracks  # the project file takes them too
    img = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    for shape in shapes:
        for style in (MaskStyle("blur"), MaskStyle("pixelate", margin=0.5, feather=0.5),
                      MaskStyle("solid", color=(255, 0, 255))):
            out = render_bgr(img, [(shape, style)])
            assert (out != img).any(axis=2).all(), (shape, style)


# -- MOT import: keyframes from rows without one pass per keyframe --------------------------------
def _bends_reference(boxes: np.ndarray) -> list[int]:
    """mot._bends as it was (one full pass over the run per keyframe added): what the import must match."""
    n = len(boxes)
    keep = {0, n - 1}
    idx = np.arange(n)
    for _ in range(n):
        ks = np.array(sorted(keep))
        fitted = np.stack([np.interp(idx, ks, boxes[ks, c]) for c in range(4)], axis=1)
        error = np.abs(fitted - boxes).max(axis=1)
        worst = int(error.argmax())
        if error[worst] <= mot.TOLERANCE_PX:
            break
        keep.add(worst)
    return sorted(keep)


def _generated_runs():
    rng = np.random.default_rng(7)
    t = np.arange(300, dtype=float)[:, None]
    base = np.array([100.0, 80.0, 150.0, 140.0])
    yield "jitter", np.round(base + rng.normal(0, 1, (300, 4)), 3)
    yield "fine jitter", np.round(base + rng.normal(0, 0.002, (300, 4)), 3)
    yield "straight", np.round(base + t * [0.5, 0.25, 0.5, 0.25], 3)
    wave, fall = 30 * np.sin(t / 20), t ** 2 / 400
    yield "curve", np.round(base + np.c_[wave, fall, wave + 50, fall + 40], 3)
    steps = np.repeat(rng.integers(0, 50, (10, 4)).astype(float), 30, axis=0)
    yield "steps", base + np.sort(steps, axis=1)
    yield "ties", base + np.tile([[0.0, 0, 0, 0], [2, 2, 2, 2]], (40, 1))  # equal errors everywhere
    yield "zigzag", base + (np.abs((t % 20) - 10) * [1, 0, 1, 0])
    for n in (1, 2, 3, 4):
        yield f"{n} rows", np.round(base + rng.normal(0, 3, (n, 4)), 3)
    at = np.sort(rng.choice(np.arange(1, 299), 12, replace=False))  # keyframed motion, written to 0.001 px
    keys = base + rng.normal(0, 20, (14, 4))
    yield "bends", np.round(np.stack([np.interp(t[:, 0], np.r_[0, at, 299], keys[:, c]) for c in range(4)], 1), 3)
    held = np.round(base + rng.normal(0, 1, (40, 4)), 3)
    yield "exported", np.concatenate([held, np.repeat(held[-1:], 5, axis=0), held[::-1]])


@pytest.mark.parametrize("name, boxes", list(_generated_runs()), ids=lambda v: v if isinstance(v, str) else "")
def test_mot_keyframes_match_the_one_pass_per_keyframe_reference(name, boxes):
    assert mot._bends(boxes) == _bends_reference(boxes)


def test_mot_keyframes_of_exported_tracks_match_the_reference():
    rows = np.array([[float(v) for v in line.split(",")[:6]]
                     for line in tracks_to_mot_csv(project(box_tracks())).decode().splitlines()])
    for tid in (1, 2, 3):
        mine = rows[rows[:, 1] == tid]
        boxes = np.c_[mine[:, 2:4], mine[:, 2:4] + mine[:, 4:6]]
        for start, stop in ((0, len(boxes)), (0, max(1, len(boxes) // 2)), (len(boxes) // 3, len(boxes))):
            assert mot._bends(boxes[start:stop]) == _bends_reference(boxes[start:stop])


def test_mot_import_of_a_long_jittery_track_does_not_pass_over_it_once_per_keyframe(monkeypatch):
    """A tracker's box jitters on every frame, so nearly every row is a keyframe: one pass over the
    whole run per keyframe made an hour of video take a quarter of an hour. Counted, not timed."""
    rng = np.random.default_rng(0)
    n = 4000
    csv = "".join(f"{f},1,{100 + rng.normal():.3f},{100 + rng.normal():.3f},50,50,1,-1,-1,-1\n"
                  for f in range(1, n + 1)).encode()
    calls = []
    real = np.interp
    monkeypatch.setattr(np, "interp", lambda x, *a, **k: calls.append(np.size(x)) or real(x, *a, **k))
    (track,) = tracks_from_mot_csv(csv, Project(MediaRef("/v/a.mp4", 1, "", 320, 240, n, 25.0), []))
    assert len(track.keyframes) > n // 2  # the jitter is real: most rows are keyframes
    passes = sum(calls) / (4 * n)  # np.interp over the whole run, once per box coordinate
    assert passes <= 200  # as many as the splits are deep (about 50 here), not one per keyframe (about 4000)
