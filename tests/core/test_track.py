"""The ByteTrack-style tracker on synthetic detections with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from anonymizer_gui.core.tracking.tracker import (IdCounter, LabelTrackers, Tracker, TrackerSettings, box_iou,
                                       match_by_iou)
from tests.core.track_scenes import SceneObject, linear, run_tracker


def test_box_iou_matches_hand_computed_values():
    a = np.array([[0, 0, 10, 10], [0, 0, 2, 2]])
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]])
    iou = box_iou(a, b)
    assert iou.shape == (2, 3)
    assert iou[0, 0] == pytest.approx(50 / 150)
    assert iou[0, 1] == pytest.approx(1.0)
    assert iou[0, 2] == 0.0
    assert iou[1, 1] == pytest.approx(4 / 100)
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 3)


def test_matching_is_optimal_and_gated():
    iou = np.array([[0.9, 0.8], [0.85, 0.1]])  # greedy would take (0,0) and leave row 1 with 0.1
    pairs, free_rows, free_cols = match_by_iou(iou, 0.2)
    assert sorted(pairs) == [(0, 1), (1, 0)]
    pairs, free_rows, free_cols = match_by_iou(np.array([[0.1]]), 0.2)
    assert pairs == [] and free_rows == [0] and free_cols == [0]


def test_straight_motion_with_noise_is_one_track_on_every_frame():
    obj = SceneObject(linear(20, 50, 40, 40, vx=6, vy=1), range(60))
    tracks, owners = run_tracker([obj], range(60), noise=0.03)
    assert len(tracks) == 1
    t = tracks[0]
    assert t.confirmed and t.label == "face"
    assert t.frames == list(range(60))
    assert len(t.scores) == 60


def test_missed_detections_keep_the_same_track():
    obj = SceneObject(linear(20, 50, 40, 40, vx=5), range(60), missing={10, 11, 12, 13, 14, 30, 45})
    tracks, _ = run_tracker([obj], range(60), noise=0.02)
    assert len(tracks) == 1
    assert tracks[0].frames == [f for f in range(60) if f not in obj.missing]


def test_crossing_objects_keep_their_ids():
    # two faces of the same size on one line, passing straight through each other
    a = SceneObject(linear(0, 100, 40, 40, vx=8), range(50))
    b = SceneObject(linear(400, 104, 40, 40, vx=-8), range(50))
    tracks, owners = run_tracker([a, b], range(50), noise=0.02, seed=3)
    assert len(tracks) == 2
    for t in tracks:
        assert len(set(owners[t.id].values())) == 1, f"track {t.id} switched objects: {owners[t.id]}"
        assert len(t.frames) == 50


def test_occlusion_at_a_crossing_is_bridged_without_id_switch():
    # b passes behind a: the detector sees only a for 8 frames around the crossing
    a = SceneObject(linear(0, 100, 50, 50, vx=6), range(70))
    b = SceneObject(linear(400, 100, 40, 40, vx=-6), range(70), missing=set(range(29, 37)))
    tracks, owners = run_tracker([a, b], range(70), noise=0.02, seed=5)
    assert len(tracks) == 2
    by_owner = {next(iter(set(owners[t.id].values()))): t for t in tracks}
    for t in tracks:
        assert len(set(owners[t.id].values())) == 1
    assert by_owner[1].frames == [f for f in range(70) if f not in b.missing]
    assert by_owner[0].frames == list(range(70))


def test_long_occlusion_within_max_age_is_bridged_and_beyond_it_starts_a_new_track():
    settings = TrackerSettings(max_age=15)
    obj = SceneObject(linear(20, 50, 40, 40, vx=3), range(80), missing=set(range(20, 35)))
    tracks, _ = run_tracker([obj], range(80), tracker=Tracker("face", settings))
    assert len(tracks) == 1  # 15 missed frames: still alive

    obj = SceneObject(linear(20, 50, 40, 40, vx=3), range(80), missing=set(range(20, 36)))
    tracks, _ = run_tracker([obj], range(80), tracker=Tracker("face", settings))
    assert [(t.first_frame, t.last_frame) for t in sorted(tracks, key=lambda t: t.first_frame)] == \
        [(0, 19), (36, 79)]
    assert tracks[0].id != tracks[1].id


def test_confirmed_track_dies_after_max_age_and_is_handed_over_once():
    tracker = Tracker("face", TrackerSettings(max_age=5))
    box = np.array([[10, 10, 50, 50]])
    for f in range(4):
        tracker.update(f, box, np.array([0.9]))
    for f in range(4, 9):  # 5 missed frames: still alive
        tracker.update(f, np.zeros((0, 4)), np.zeros(0))
        assert tracker.pop_finished() == []
    tracker.update(9, np.zeros((0, 4)), np.zeros(0))
    done = tracker.pop_finished()
    assert [t.frames for t in done] == [[0, 1, 2, 3]]
    assert tracker.pop_finished() == [] and tracker.finish() == []


def test_a_one_off_false_positive_is_kept_as_a_short_unconfirmed_tracklet():
    face = SceneObject(linear(20, 50, 40, 40, vx=2), range(40))
    ghost = SceneObject(linear(200, 150, 30, 30), range(17, 18), score=0.6)
    tracks, _ = run_tracker([face, ghost], range(40))
    assert len(tracks) == 2
    one_off = next(t for t in tracks if t.frames == [17])
    assert not one_off.confirmed and one_off.scores == [0.6]
    assert next(t for t in tracks if t is not one_off).confirmed


def test_birth_hysteresis_confirms_after_hits_or_one_strong_detection():
    s = TrackerSettings(confirm_hits=3, confirm_score=0.7, tentative_max_age=3)
    weak = SceneObject(linear(20, 50, 40, 40), range(2), score=0.55)
    tracks, _ = run_tracker([weak], range(10), tracker=Tracker("face", s))
    assert [(t.frames, t.confirmed) for t in tracks] == [([0, 1], False)]

    weak3 = SceneObject(linear(20, 50, 40, 40), range(3), score=0.55)
    tracks, _ = run_tracker([weak3], range(10), tracker=Tracker("face", s))
    assert [(t.frames, t.confirmed) for t in tracks] == [([0, 1, 2], True)]

    strong = SceneObject(linear(20, 50, 40, 40), range(1), score=0.75)
    tracks, _ = run_tracker([strong], range(10), tracker=Tracker("face", s))
    assert [(t.frames, t.confirmed) for t in tracks] == [([0], True)]


def test_flickering_weak_face_stays_one_track_but_a_tentative_track_dies_fast():
    s = TrackerSettings(tentative_max_age=3, max_age=30)
    flicker = SceneObject(linear(20, 50, 40, 40, vx=2), range(40), score=0.55,
                          missing={f for f in range(40) if f % 3})  # seen on every third frame
    tracks, _ = run_tracker([flicker], range(40), tracker=Tracker("face", s))
    assert len(tracks) == 1 and tracks[0].confirmed

    # a tentative track (one weak hit) that misses 4 frames dies; the same box later is a new track
    blink = SceneObject(linear(20, 50, 40, 40), range(10), score=0.55, missing={1, 2, 3, 4})
    tracks, _ = run_tracker([blink], range(10), tracker=Tracker("face", s))
    assert sorted(t.frames[0] for t in tracks) == [0, 5]


def test_low_score_detections_continue_a_track_but_never_start_one():
    def score(f: int) -> float:
        return 0.3 if 15 <= f < 30 else 0.8  # the face turns away: weaker detections
    face = SceneObject(linear(20, 50, 40, 40, vx=3), range(45), score=score)
    weak_only = SceneObject(linear(300, 150, 40, 40), range(45), score=0.3)
    tracks, _ = run_tracker([face, weak_only], range(45), tracker=Tracker("face", TrackerSettings()))
    assert len(tracks) == 1
    assert tracks[0].frames == list(range(45))
    assert tracks[0].scores[15:30] == [0.3] * 15

    # without the second pass (low_score == high_score) the weak stretch would be missing
    tracks, _ = run_tracker([face], range(45),
                            tracker=Tracker("face", TrackerSettings(low_score=0.5, high_score=0.5)))
    assert all(not 15 <= f < 30 for t in tracks for f in t.frames)


def test_detection_below_low_score_is_ignored():
    obj = SceneObject(linear(20, 50, 40, 40), range(10), score=0.05)
    tracks, _ = run_tracker([obj], range(10))
    assert tracks == []


def test_detect_every_kth_frame_tracks_across_skipped_frames():
    obj = SceneObject(linear(20, 50, 40, 40, vx=7, vy=2), range(90))
    tracks, _ = run_tracker([obj], range(0, 90, 4), noise=0.02)
    assert len(tracks) == 1 and tracks[0].frames == list(range(0, 90, 4))


def test_faces_and_plates_never_merge_and_ids_are_unique():
    ids = IdCounter()
    trackers = LabelTrackers(["face", "plate"], ids=ids)
    box = np.array([[10, 10, 60, 60], [12, 11, 61, 60]])
    for f in range(5):
        trackers.update(f, box, np.array([0.9, 0.8]), ["face", "plate"])
    tracks = trackers.finish()
    assert sorted(t.label for t in tracks) == ["face", "plate"]
    assert len({t.id for t in tracks}) == 2
    assert all(len(t.frames) == 5 for t in tracks)

    trackers.reset()
    trackers.update(0, box[:1], np.array([0.9]), ["face"])
    assert [t.id for t in trackers.finish()] == [1]  # reset restarts the injected counter


def test_injected_id_counter_is_shared_and_nothing_is_global():
    ids = IdCounter(start=100)
    a, b = Tracker("face", ids=ids), Tracker("face", ids=ids)
    a.update(0, np.array([[0, 0, 10, 10]]), np.array([0.9]))
    b.update(0, np.array([[0, 0, 10, 10]]), np.array([0.9]))
    assert [t.id for t in a.finish() + b.finish()] == [100, 101]
    c = Tracker("face")  # its own counter, untouched by a and b
    c.update(0, np.array([[0, 0, 10, 10]]), np.array([0.9]))
    assert [t.id for t in c.finish()] == [1]


def test_frames_must_increase():
    tracker = Tracker("face")
    tracker.update(3, np.zeros((0, 4)), np.zeros(0))
    with pytest.raises(ValueError, match="increase"):
        tracker.update(3, np.zeros((0, 4)), np.zeros(0))


def test_settings_are_checked():
    with pytest.raises(ValueError):
        TrackerSettings(low_score=0.6, high_score=0.5)
