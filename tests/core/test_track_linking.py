"""Linking tracklet fragments and absorbing short detections (tracking/linking.py), on generated scenes."""

from __future__ import annotations

import numpy as np

from anonymizer_gui.core.tracking.linking import LinkSettings, TrackletLinker, appearance_distance, appearance_of
from anonymizer_gui.core.tracking.tracker import Tracker, TrackerSettings
from tests.core.track_scenes import SceneObject, detections, linear

SIZE = (240, 320)
SETTINGS = TrackerSettings(high_score=0.5, low_score=0.25, max_age=5, tentative_max_age=2)


def paint(objects: list[SceneObject], colours: list[tuple[int, int, int]], frame: int) -> np.ndarray:
    """A grey frame with each visible object's box filled with its colour and a little texture."""
    img = np.full((*SIZE, 3), 90, np.uint8)
    rng = np.random.default_rng(frame)
    for obj, colour in zip(objects, colours):
        if frame in obj.frames:
            x1, y1, x2, y2 = np.clip(obj.path(frame), 0, [SIZE[1], SIZE[0]] * 2).astype(int)
            img[y1:y2, x1:x2] = colour
            img[y1:y2, x1:x2] = np.clip(img[y1:y2, x1:x2] + rng.integers(-12, 12, (y2 - y1, x2 - x1, 3)), 0, 255)
    return img


def run(objects, colours, frames, link: LinkSettings | None = LinkSettings(max_gap=20)):
    """Tracker (+ linker); returns the released tracklets and the frame each batch was released on."""
    tracker = Tracker("face", SETTINGS)
    linker = TrackletLinker(link) if link else None
    out, released_at = [], []
    for f in frames:
        boxes, scores, _ = detections(objects, f)
        matched = tracker.update(f, boxes, scores)
        if linker is None:
            continue
        img = paint(objects, colours, f)
        for t in matched:
            linker.observe(t, img)
        done = linker.push(tracker.pop_finished(), tracker.live_tracklets, f)
        out += done
        released_at += [f] * len(done)
    if linker is None:
        return tracker.finish(), []
    return out + linker.finish(tracker.finish()), released_at


RED, BLUE = (40, 40, 220), (220, 60, 30)


def test_an_object_lost_longer_than_max_age_becomes_one_track_again():
    # hidden on frames 20-31 (12 frames > max_age 5): the tracker alone starts a second tracklet
    walker = SceneObject(linear(20, 60, 40, 50, vx=3.0), range(0, 60), missing=set(range(20, 32)))
    unlinked, _ = run([walker], [RED], range(60), link=None)
    assert len(unlinked) == 2
    linked, _ = run([walker], [RED], range(60))
    assert len(linked) == 1
    frames = linked[0].frames
    assert frames[0] == 0 and frames[-1] == 59 and not set(range(20, 32)) & set(frames)
    assert linked[0].confirmed


def test_a_different_looking_object_where_the_lost_one_was_is_not_joined():
    first = SceneObject(linear(20, 60, 40, 50, vx=3.0), range(0, 20))
    second = SceneObject(linear(20 + 3.0 * 30, 60, 40, 50, vx=3.0), range(30, 60))  # on the same path
    tracks, _ = run([first, second], [RED, BLUE], range(60))
    assert len(tracks) == 2


def test_an_object_reappearing_far_from_its_predicted_place_is_not_joined():
    first = SceneObject(linear(20, 60, 40, 50), range(0, 20))
    second = SceneObject(linear(240, 160, 40, 50), range(30, 60))
    tracks, _ = run([first, second], [RED, RED], range(60))
    assert len(tracks) == 2


def test_a_short_detection_inside_a_track_is_absorbed_and_stays_covered():
    face = SceneObject(linear(100, 60, 60, 70, vx=1.0), range(0, 40))
    collar = SceneObject(linear(120, 100, 24, 20, vx=1.0), range(12, 15))  # a stray box inside the face box
    unlinked, _ = run([face, collar], [RED, RED], range(40), link=None)
    assert len(unlinked) == 2
    tracks, _ = run([face, collar], [RED, RED], range(40))
    assert len(tracks) == 1
    boxes = dict(zip(tracks[0].frames, tracks[0].box_array()))
    for f in range(12, 15):  # the union still holds what the short tracklet saw
        x1, y1, x2, y2 = collar.path(f)
        b = boxes[f]
        assert b[0] <= x1 and b[1] <= y1 and b[2] >= x2 and b[3] >= y2


def test_a_short_detection_away_from_tracks_is_kept_on_its_own():
    face = SceneObject(linear(20, 60, 60, 70), range(0, 40))
    stray = SceneObject(linear(230, 150, 30, 30), range(12, 14))
    tracks, _ = run([face, stray], [RED, BLUE], range(40))
    assert sorted(len(t.frames) for t in tracks) == [2, 40]


def test_tracklets_are_released_once_no_later_one_can_continue_them():
    first = SceneObject(linear(20, 60, 40, 50), range(0, 10))
    later = SceneObject(linear(250, 150, 40, 50), range(70, 90))
    tracks, released_at = run([first, later], [RED, BLUE], range(90))
    assert len(tracks) == 2
    # ended at 9, dead after max_age; released once past 9 + max_gap (20), long before the end
    assert released_at and released_at[0] <= 9 + 20 + SETTINGS.max_age + 2


def test_appearance_tells_colours_apart():
    red = np.zeros((50, 50, 3), np.uint8)
    red[:] = RED
    blue = red.copy()
    blue[:] = BLUE
    box = (0, 0, 50, 50)
    assert appearance_distance(appearance_of(red, box), appearance_of(red, box)) < 0.05
    assert appearance_distance(appearance_of(red, box), appearance_of(blue, box)) > 0.9
    assert appearance_of(red, (10, 10, 11, 11)) is None  # too small to say


def test_one_off_detections_of_a_still_thing_in_a_pan_are_joined_by_the_scene_motion():
    # the camera pans 4 px/frame: a face (tracked throughout) and a poster the detector fires on
    # once every 12 frames both move with it; a one-off has no velocity of its own, so without the
    # scene's motion each 48 px step (3 poster sizes) would be too far to join
    face = SceneObject(linear(300, 60, 60, 70, vx=-4.0), range(0, 60))
    poster_path = linear(250, 150, 16, 16, vx=-4.0)
    flashes = [SceneObject(poster_path, range(f, f + 1)) for f in (10, 22, 34, 46)]
    tracks, _ = run([face, *flashes], [RED] + [BLUE] * 4, range(60))
    posters = [t for t in tracks if t.box_array()[0][2] - t.box_array()[0][0] < 30]
    assert len(posters) == 1 and posters[0].frames == [10, 22, 34, 46]


def test_one_off_detections_on_a_still_camera_are_not_carried_by_a_walker():
    # one walker moves 4 px/frame but the others stand still: the scene's motion is their median,
    # ~0, so a still poster's flashes still join, and flashes that run away with the walker do not
    walker = SceneObject(linear(20, 60, 60, 70, vx=4.0), range(0, 60))
    still = [SceneObject(linear(x, 160, 50, 60), range(0, 60)) for x in (100, 200)]
    poster = [SceneObject(linear(250, 20, 16, 16), range(f, f + 1)) for f in (10, 16, 22)]
    tracks, _ = run([walker, *still, *poster], [RED, (40, 200, 40), (200, 200, 40)] + [BLUE] * 3, range(60))
    posters = [t for t in tracks if t.box_array()[0][2] - t.box_array()[0][0] < 30]
    assert len(posters) == 1 and posters[0].frames == [10, 16, 22]


def test_a_small_face_crossing_a_face_width_a_frame_becomes_one_track():
    # 16 px, 16 px a frame, seen on every 3rd frame (the full pass of a multi-rate schedule): each
    # detection is 3 sizes from the last, beyond the tracker's and the ordinary link's reach, so it
    # was a track of its own, a still mask with the face beside it in between (found by an audit)
    face = SceneObject(linear(10, 100, 16, 16, vx=16.0), range(0, 19), missing={f for f in range(19) if f % 3})
    tracks, _ = run([face], [RED], range(19))
    assert len(tracks) == 1 and tracks[0].frames == list(range(0, 19, 3))


def test_fragments_seen_once_stay_apart_where_the_fast_link_has_a_choice():
    # one flash, then two flashes at the same later frame, both within a fast link's reach: which
    # one continues it is a guess, so none does (each keeps its own mask)
    first = SceneObject(linear(100, 100, 16, 16), range(3, 4))
    left, right = (SceneObject(linear(100 + dx, 100, 16, 16), range(6, 7)) for dx in (-40, 40))
    tracks, _ = run([first, left, right], [RED] * 3, range(12))
    assert len(tracks) == 3
