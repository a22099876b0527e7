"""Project JSON round trip and validation that names the exact field."""

import json
import re

import pytest

from anonymizer_gui.core.foundation.errors import ProjectFormatError
from anonymizer_gui.core.project.model import (SCHEMA_VERSION, Keyframe, MaskStyle, MediaRef, Project, Shape,
                                         Track)
from anonymizer_gui.core.project import load_project, save_project, project_to_dict, project_from_dict


def sample_project() -> Project:
    t1 = Track(1, "face", keyframes=[Keyframe(0, Shape.rect(1, 2, 30, 40)), Keyframe(9, Shape.rect(5, 2, 34, 40)),
                                     Keyframe(12, Shape.rect(5, 2, 34, 40), outside=True)],
               scores={0: 0.91, 1: 0.88}, reason="bystander")
    t2 = Track(2, "manual", source="manual", review="rejected", reason_code="false_detection", style=MaskStyle("solid", 1.0, (10, 20, 30), 0.0, 0.0),
               keyframes=[Keyframe(3, Shape("polygon", [0, 0, 10, 0, 5, 8]))])
    return Project(MediaRef("/videos/a.mp4", 123, "ab" * 32, 320, 240, 20, 25.0), [t1, t2])


def test_round_trip(tmp_path):
    p = sample_project()
    path = tmp_path / "p.json"
    save_project(p, path)
    q = load_project(path)
    assert q.tracks == p.tracks
    assert q.media == p.media
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "p.json"
    save_project(sample_project(), path)
    save_project(sample_project(), path)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.json"]


def test_relative_media_path_is_resolved_against_the_project_file(tmp_path):
    p = sample_project()
    p.media.path = "clip.mp4"
    save_project(p, tmp_path / "p.json")
    assert load_project(tmp_path / "p.json").media.path == str(tmp_path / "clip.mp4")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["tracks"][0]["keyframes"][1].__setitem__("frame", "nine"),
     "tracks[0].keyframes[1].frame: expected an integer, got a string"),
    (lambda d: d["tracks"][1].__setitem__("source", "robot"),
     "tracks[1].source: expected one of auto, manual, got 'robot'"),
    (lambda d: d["tracks"][0]["keyframes"][0].__setitem__("points", [1, 2, 3]),
     "tracks[0].keyframes[0].points: a rect needs 4 numbers, got 3"),
    (lambda d: d["tracks"][0]["keyframes"][0].__setitem__("points", [30, 2, 1, 40]),
     "tracks[0].keyframes[0].points: x2, y2 must be greater than x1, y1"),
    (lambda d: d["tracks"][1]["style"].__setitem__("color", [0, 0, 300]),
     "tracks[1].style.color: expected three integers 0-255"),
    (lambda d: d["tracks"][1].__setitem__("id", 1), "tracks[1].id: the id 1 is used twice"),
    (lambda d: d["tracks"][0]["keyframes"][1].__setitem__("frame", 0),
     "tracks[0].keyframes[1].frame: a second keyframe at frame 0"),
    (lambda d: d["media"].pop("path"), "media.path: missing"),
    (lambda d: d.__setitem__("tracks", {}), "tracks: expected a list, got an object"),
    (lambda d: d["tracks"][0].__setitem__("enabled", 1), "tracks[0].enabled: expected true or false, got an integer"),
    # finite, but no picture is that large: the renderer would overflow on it (bound: json_io.MAX_COORDINATE)
    (lambda d: d["tracks"][0]["keyframes"][0].__setitem__("points", [-1.7e308, 0, 1.7e308, 5]),
     "tracks[0].keyframes[0].points: coordinates must lie between -10000000 and 10000000 pixels, got -1.7e+308"),
    (lambda d: d["tracks"][1]["keyframes"][0].__setitem__("points", [0, 0, 10, 0, 5, 20000000.5]),
     "tracks[1].keyframes[0].points: coordinates must lie between -10000000 and 10000000 pixels, got 20000000.5"),
])
def test_invalid_fields_are_named(mutate, message):
    data = project_to_dict(sample_project())
    mutate(data)
    with pytest.raises(ProjectFormatError) as err:
        project_from_dict(data)
    assert str(err.value) == message


def test_newer_schema_is_refused_with_advice():
    data = project_to_dict(sample_project())
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ProjectFormatError, match="newer version of anonymizer-gui"):
        project_from_dict(data)


def test_corrupt_json_names_line_and_column(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"schema_version": 1,\n "media": }')
    with pytest.raises(ProjectFormatError, match=r"p.json is not valid JSON \(line 2, column 11"):
        load_project(path)


def test_tracks_past_the_last_frame_are_reported():
    p = sample_project()
    p.media.frame_count = 10
    with pytest.raises(ProjectFormatError, match=r"track 1 \(face\) has a keyframe at frame 12, but the video has 10"):
        p.check_frames()


def test_review_flag_for_short_or_weak_auto_tracks():
    weak = Track(1, "face", keyframes=[Keyframe(0, Shape.rect(0, 0, 5, 5)), Keyframe(50, Shape.rect(0, 0, 5, 5))],
                 scores={f: 0.3 for f in range(50)})
    short = Track(2, "face", keyframes=[Keyframe(0, Shape.rect(0, 0, 5, 5))], scores={0: 0.99})
    good = Track(3, "face", keyframes=weak.keyframes, scores={f: 0.9 for f in range(50)})
    manual = Track(4, "manual", source="manual", keyframes=short.keyframes)
    assert [t.needs_review for t in (weak, short, good, manual)] == [True, True, False, False]


def test_coordinates_up_to_the_bound_load(tmp_path):
    p = sample_project()
    p.tracks[0].keyframes[0].shape = Shape.rect(-1e7, -1e7, 1e7, 1e7)  # many times any picture: still legal
    save_project(p, tmp_path / "p.json")
    assert load_project(tmp_path / "p.json").tracks == p.tracks


@pytest.mark.parametrize("spoil, where", [
    (lambda p: setattr(p.tracks[0].keyframes[1], "shape", Shape.rect(5, 2, float("inf"), 40)),
     "track 1 (face), keyframe at frame 9"),
    (lambda p: setattr(p.tracks[1].keyframes[0], "shape", Shape("polygon", [0, 0, 10, 0, float("nan"), 8])),
     "track 2 (manual), keyframe at frame 3"),
    (lambda p: setattr(p.tracks[0].keyframes[0], "shape", Shape.rect(-3e7, 2, 30, 40)),
     "track 1 (face), keyframe at frame 0"),
    (lambda p: setattr(p.media, "fps", float("nan")), "media.fps: nan is not a finite number"),
    (lambda p: p.tracks[0].scores.__setitem__(3, float("inf")), "tracks[0].scores.3: inf is not a finite number"),
    (lambda p: p.analysis.__setitem__("timings", {"fps": [1.0, float("-inf")]}),
     "analysis.timings.fps[1]: -inf is not a finite number"),
])
def test_save_refuses_what_could_not_be_loaded_again_and_keeps_the_file(tmp_path, spoil, where):
    path = tmp_path / "p.json"
    save_project(sample_project(), path)
    before = path.read_bytes()
    p = sample_project()
    spoil(p)
    with pytest.raises(ProjectFormatError, match=re.escape(where)):
        save_project(p, path)
    assert path.read_bytes() == before  # the last good file stays
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.json"]


def test_a_deeply_nested_file_is_refused_clearly(tmp_path):
    # JSON's decoder raised RecursionError: an internal error in export, tracks and batch
    from anonymizer_gui.core.foundation import ProjectFormatError
    from anonymizer_gui.core.project import load_project

    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ProjectFormatError, match="deep.json is not a project file: its JSON is nested too deeply"):
        load_project(path)
