"""Issue 11: review state in the project (schema 2), its migration from schema 1, and the review edits."""

from __future__ import annotations

import json

import pytest

from anonymizer_gui.core.foundation import ProjectFormatError
from anonymizer_gui.core.project import (DEFAULT_REASONS, SCHEMA_VERSION, CaseDetails, Keyframe, MediaRef, Project,
                                         Reason, Shape, Track, load_project, masks_at, project_from_dict,
                                         project_to_dict, save_project, track_edits)


def _track(tid, **kw):
    return Track(tid, kw.pop("label", "face"), keyframes=[Keyframe(0, Shape.rect(0, 0, 10, 10)),
                                                          Keyframe(5, Shape.rect(0, 0, 10, 10))], **kw)


def _v1(tracks):
    return {"schema_version": 1, "media": {"path": "/v/a.mp4", "frame_count": 10},
            "tracks": [{"id": i, "label": "face", "source": src, "enabled": on, "reason": "why",
                        "keyframes": [{"frame": 0, "shape": "rect", "points": [0, 0, 4, 4]}]}
                       for i, (src, on) in enumerate(tracks, 1)]}


def test_schema_is_2():
    assert SCHEMA_VERSION == 2
    assert project_to_dict(Project(MediaRef("a.mp4")))["schema_version"] == 2


def test_migration_from_schema_1_keeps_what_is_masked(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_v1([("auto", True), ("auto", False), ("manual", True), ("manual", False)])))
    p = load_project(path)
    assert [t.review for t in p.tracks] == ["unreviewed", "rejected", "accepted", "rejected"]
    assert [t.enabled for t in p.tracks] == [True, False, True, False]
    assert all(t.review_by == "" and t.review_at == "" and t.reason_code == "" for t in p.tracks)
    assert all(t.reason == "why" for t in p.tracks)
    assert [r.code for r in p.reasons] == [r.code for r in DEFAULT_REASONS] and p.case == CaseDetails()
    save_project(p, path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == 2 and "enabled" not in data["tracks"][0]
    assert [t.review for t in load_project(path).tracks] == ["unreviewed", "rejected", "accepted", "rejected"]


def test_review_fields_case_and_reasons_round_trip(tmp_path):
    p = Project(MediaRef("/v/a.mp4", frame_count=10), [
        _track(1, review="visible", review_by="ana", review_at="2026-12-01T10:00:00+00:00", reason_code="requester",
               reason="the requester", group=3),
        _track(2, review="accepted", review_by="bo", review_at="2026-12-01T10:01:00+00:00", group=3),
        _track(3)])
    p.case = CaseDetails("CASE-17", "J. Doe", "ana", "SAR of 1 Dec")
    p.reasons.append(Reason("custom", "Custom reason", "Some law §1"))
    p.export.require_review = True
    save_project(p, tmp_path / "p.json")
    q = load_project(tmp_path / "p.json")
    assert q.tracks == p.tracks and q.case == p.case and q.reasons == p.reasons
    assert q.export.require_review is True
    assert [t.enabled for t in q.tracks] == [False, True, True]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["tracks"][0].__setitem__("review", "maybe"),
     "tracks[0].review: expected one of unreviewed, accepted, rejected, visible, got 'maybe'"),
    (lambda d: d["tracks"][0].__setitem__("enabled", True),
     "tracks[0].enabled: true contradicts review 'visible'; schema 2 derives it from review, remove it"),
    (lambda d: d["tracks"][0].__setitem__("reason_code", "nope"),
     "tracks[0].reason_code: 'nope' is not in the project's reason list"),
    (lambda d: d["reasons"][1].__setitem__("code", "third_party"),
     "reasons[1].code: the code 'third_party' is used twice"),
    (lambda d: d["case"].__setitem__("requester", 5), "case.requester: expected a string, got an integer"),
    (lambda d: d["tracks"][0].__setitem__("group", "a"), "tracks[0].group: expected an integer, got a string"),
])
def test_invalid_review_fields_are_named(mutate, message):
    p = Project(MediaRef("/v/a.mp4"), [_track(1, review="visible", reason_code="requester")])
    data = project_to_dict(p)
    mutate(data)
    with pytest.raises(ProjectFormatError) as err:
        project_from_dict(data)
    assert str(err.value).startswith(message)


def test_enabled_follows_review_and_unreviewed_stays_masked():
    states = {s: _track(1, review=s) for s in ("unreviewed", "accepted", "rejected", "visible")}
    assert {s: t.enabled for s, t in states.items()} == {
        "unreviewed": True, "accepted": True, "rejected": False, "visible": False}
    p = Project(MediaRef("a.mp4", frame_count=6), list(states.values()))
    assert len(masks_at(p, 2)) == 2


def test_reviewed_records_who_when_and_why():
    t = _track(1)
    p = Project(MediaRef("a.mp4"), [t])
    v = track_edits.reviewed(t, "visible", "ana", "2026-12-01T10:00:00+00:00", "requester", project=p)
    assert (v.review, v.review_by, v.review_at, v.reason_code, v.enabled) == (
        "visible", "ana", "2026-12-01T10:00:00+00:00", "requester", False)
    assert t.review == "unreviewed"  # pure: the input is untouched
    for state in ("visible", "rejected"):
        with pytest.raises(ValueError, match="needs a reason"):
            track_edits.reviewed(t, state, "ana", "now")
    with pytest.raises(ValueError, match="not in the project's reason list"):
        track_edits.reviewed(t, "rejected", "ana", "now", "made_up", project=p)
    a = track_edits.reviewed(v, "accepted", "bo", "later")
    assert (a.review, a.reason_code, a.enabled) == ("accepted", "", True)
    back = track_edits.reviewed(a, "unreviewed", "bo", "later")
    assert (back.review, back.review_by, back.review_at) == ("unreviewed", "", "")


def test_manual_tracks_start_accepted():
    t = track_edits.new_manual_track(7, "manual", [Keyframe(0, Shape.rect(0, 0, 4, 4))], "ana", "now")
    assert (t.source, t.review, t.review_by, t.enabled) == ("manual", "accepted", "ana", True)


def test_review_counts():
    p = Project(MediaRef("a.mp4"), [_track(1), _track(2, review="accepted"), _track(3, review="visible"),
                                    _track(4, review="rejected"), _track(5, review="accepted")])
    assert p.review_counts() == {"total": 5, "reviewed": 4, "unreviewed": 1, "accepted": 2, "rejected": 1,
                                 "visible": 1}


# -- timeline range edits -------------------------------------------------------------------------
def _kf_frames(t):
    return [(k.frame, k.outside) for k in t.keyframes]


def test_keyframe_moved_in_time():
    t = _track(1)
    moved = track_edits.keyframe_moved(t, 5, 8)
    assert _kf_frames(moved) == [(0, False), (8, False)] and _kf_frames(t) == [(0, False), (5, False)]
    with pytest.raises(ValueError, match="already has a keyframe at frame 0"):
        track_edits.keyframe_moved(t, 5, 0)


def test_with_span_trims_and_extends_fail_closed():
    t = _track(1, scores={f: 0.9 for f in range(6)})
    longer = track_edits.with_span(t, 0, 9)
    assert _kf_frames(longer) == [(0, False), (5, False), (9, False)]
    earlier = track_edits.with_span(t, -0 + 0, 5)
    assert _kf_frames(earlier) == _kf_frames(t)
    shorter = track_edits.with_span(t, 2, 4)
    assert (shorter.first_frame, shorter.last_frame) == (2, 4) and sorted(shorter.scores) == [2, 3, 4]
    t2 = Track(2, "face", keyframes=[Keyframe(3, Shape.rect(0, 0, 10, 10))])
    assert _kf_frames(track_edits.with_span(t2, 1, 3)) == [(1, False), (3, False)]
    with pytest.raises(ValueError):
        track_edits.with_span(t, 4, 2)


def test_without_keyframes_in_range_and_full_frame_track():
    t = Track(1, "face", keyframes=[Keyframe(f, Shape.rect(0, 0, 10, 10)) for f in (0, 3, 6, 9)])
    assert [k.frame for k in track_edits.without_keyframes_in(t, 2, 7).keyframes] == [0, 9]
    with pytest.raises(ValueError, match="delete the track instead"):
        track_edits.without_keyframes_in(t, 0, 9)
    full = track_edits.full_frame_track(5, 10, 20, 320, 240, "ana", "now")
    assert (full.first_frame, full.last_frame, full.review, full.keyframes[0].shape.points) == (
        10, 20, "accepted", [0, 0, 320, 240])
    p = Project(MediaRef("a.mp4", frame_count=30), [full])
    assert len(masks_at(p, 15)) == 1 and masks_at(p, 21) == []


def test_the_schema_1_switch_still_speaks_through_review():
    off = Track(1, "face", enabled=False)
    assert (off.review, off.reason_code, off.enabled) == ("rejected", "false_detection", False)
    assert Track(2, "face", enabled=True).review == "unreviewed"  # masked already: nothing decided
    on = Track(3, "face", review="visible", reason_code="requester")
    on.enabled = True
    assert (on.review, on.reason_code) == ("accepted", "")
