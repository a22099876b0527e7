"""Tracklets -> keyframed tracks: gap bridging, extension, growth, smoothing, keyframe reduction."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from anonymizer_gui.core.project.interpolate import shape_at
from anonymizer_gui.core.project.model import REVIEW_MIN_FRAMES, MaskStyle, Track
from anonymizer_gui.core.tracking.tracker import Tracklet
from anonymizer_gui.core.tracking.keyframes import outward_excess, reduce_to_keyframes, share_of_size
from anonymizer_gui.core.tracking.postprocess import DEFAULT_SHAPES, FACE_PAD_PX, TrackShapeSettings, tracklet_to_track
from tests.core.track_scenes import SceneObject, linear, run_tracker

FRAME = (640, 360)


def make_tracklet(path, frames, noise: float = 0.0, seed: int = 0, score: float = 0.8,
                  confirmed: bool = True) -> Tracklet:
    rng = np.random.default_rng(seed)
    tl = Tracklet(1, "face", confirmed=confirmed)
    for f in frames:
        box = path(f)
        size = np.array([box[2] - box[0], box[3] - box[1]] * 2)
        tl.frames.append(f)
        tl.boxes.append(box + (rng.normal(0, noise, 4) * size if noise else 0))
        tl.scores.append(score)
    return tl


def mask_boxes(track: Track, frames) -> np.ndarray:
    return np.array([shape_at(track, f).bbox() for f in frames])


def assert_contains(outer: np.ndarray, inner: np.ndarray, slack_px: float = 1e-3) -> None:
    excess = outward_excess(np.asarray(outer, float), np.asarray(inner, float))
    worst = excess.min()
    assert worst >= -slack_px, f"mask misses the object by {-worst:.2f} px on frame row {excess.min(1).argmin()}"


def widen_by_margin(boxes: np.ndarray, margin: float) -> np.ndarray:
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes + np.stack([-w, -h, w, h], axis=1) * margin


def test_gap_is_bridged_and_every_frame_is_masked():
    path = linear(40, 100, 50, 50, vx=5, vy=1)
    frames = [f for f in range(60) if not 20 <= f < 32]
    track = tracklet_to_track(make_tracklet(path, frames), 60, FRAME, TrackShapeSettings(extend_frames=0))
    assert (track.first_frame, track.last_frame) == (0, 59)
    assert_contains(mask_boxes(track, range(60)), np.array([path(f) for f in range(60)]))
    assert sorted(track.scores) == frames  # bridged frames carry no score
    assert track.source == "auto" and track.label == "face" and not track.needs_review


def test_track_is_extended_before_and_after_along_its_velocity():
    path = linear(200, 100, 40, 40, vx=4, vy=-1)
    track = tracklet_to_track(make_tracklet(path, range(20, 40)), 80, FRAME, TrackShapeSettings(extend_frames=8))
    assert (track.first_frame, track.last_frame) == (12, 47)
    # covers where the face would be had it walked on, and where it was last seen had it stopped
    assert_contains(mask_boxes(track, [12, 47]), np.array([path(12), path(47)]))
    assert_contains(mask_boxes(track, [12, 47]), np.array([path(20), path(39)]))
    assert set(track.scores) == set(range(20, 40))


def test_extension_is_clipped_to_the_clip_and_boxes_to_the_frame():
    path = linear(-10, 100, 40, 40, vx=3)
    track = tracklet_to_track(make_tracklet(path, range(3, 25)), 28, FRAME, TrackShapeSettings(extend_frames=8))
    assert (track.first_frame, track.last_frame) == (0, 27)
    boxes = mask_boxes(track, range(28))
    tol = 0.04 / 2 * (boxes[:, 2:] - boxes[:, :2]).max() + 0.01  # keyframes stand out by half the tolerance
    assert boxes.min() >= -tol and boxes[:, 2].max() <= FRAME[0] + tol and boxes[:, 3].max() <= FRAME[1] + tol


def test_one_off_unconfirmed_detection_is_kept_short_and_flagged_for_review():
    tl = make_tracklet(linear(100, 100, 30, 30), [17], score=0.6, confirmed=False)
    track = tracklet_to_track(tl, 60, FRAME, TrackShapeSettings(extend_frames=8))
    # a few frames either side, so it does not flash for one frame, but still short enough for review
    assert (track.first_frame, track.last_frame) == (14, 20)
    assert track.last_frame - track.first_frame + 1 < REVIEW_MIN_FRAMES
    assert track.scores == {17: 0.6}
    assert track.needs_review
    assert_contains(mask_boxes(track, range(14, 21)), np.repeat(linear(100, 100, 30, 30)(17)[None], 7, 0))

    confirmed = tracklet_to_track(make_tracklet(linear(100, 100, 30, 30), [17], score=0.9), 60, FRAME,
                                  TrackShapeSettings(extend_frames=8))
    assert (confirmed.first_frame, confirmed.last_frame) == (9, 25)


def test_mask_grows_with_fast_motion_and_not_when_still():
    still = tracklet_to_track(make_tracklet(linear(100, 100, 60, 60), range(30)), 30, FRAME,
                              TrackShapeSettings(extend_frames=0))
    width = np.diff(mask_boxes(still, range(30))[:, ::2], axis=1)[:, 0]
    assert np.all(width >= 60) and np.all(width <= 60 * 1.04 + 1.01)

    fast = tracklet_to_track(make_tracklet(linear(0, 100, 60, 60, vx=30), range(20)), 20, (2000, 400),
                             TrackShapeSettings(extend_frames=0, motion_growth=0.5))
    boxes = mask_boxes(fast, range(5, 15))
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    assert np.all(width >= 60 + 2 * 0.5 * 30 - 1) and np.all(height <= 60 * 1.04 + 1.01)


def test_guessed_frames_grow_with_distance_from_the_nearest_detection():
    path = linear(100, 100, 50, 50, vx=0)
    frames = [f for f in range(60) if not 10 <= f < 40]
    track = tracklet_to_track(make_tracklet(path, frames), 60, FRAME,
                              TrackShapeSettings(extend_frames=0, gap_growth=0.01, motion_growth=0))
    width = lambda f: shape_at(track, f).bbox()[2] - shape_at(track, f).bbox()[0]  # noqa: E731
    assert width(25) == pytest.approx(50 * (1 + 2 * 0.01 * 15), abs=50 * 0.04 + 1)
    assert width(25) > width(15) > width(5)


def test_smoothing_removes_jitter_and_zero_smoothing_follows_the_detections():
    path = linear(200, 100, 80, 80)
    tl = make_tracklet(path, range(60), noise=0.03, seed=1)
    raw = tl.box_array()
    raw_jitter = np.diff(raw, axis=0).std()
    smooth = mask_boxes(tracklet_to_track(tl, 60, FRAME, TrackShapeSettings(extend_frames=0)), range(60))
    assert np.diff(smooth, axis=0).std() < raw_jitter / 4
    assert_contains(widen_by_margin(smooth, 0.0), share_shrunk(raw, 0.1))

    exact = tracklet_to_track(tl, 60, FRAME, TrackShapeSettings(extend_frames=0, smoothing=0, keyframe_tolerance=0,
                                                               min_tolerance_px=1e-3, motion_growth=0))
    assert np.abs(mask_boxes(exact, range(60)) - raw).max() < 0.01


def share_shrunk(boxes: np.ndarray, share: float) -> np.ndarray:
    return boxes - np.concatenate([-share_of_size(boxes, share)[:, :2], share_of_size(boxes, share)[:, 2:]], 1)


def test_smoothing_does_not_lag_behind_fast_constant_motion():
    path = linear(0, 100, 60, 60, vx=25, vy=4)
    tl = make_tracklet(path, range(40), noise=0.02, seed=2)
    track = tracklet_to_track(tl, 40, (2000, 400), TrackShapeSettings(extend_frames=0))
    assert_contains(mask_boxes(track, range(40)), np.array([path(f) for f in range(40)]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sudden_turn_is_covered_by_the_analysis_masks(seed):
    def turn(f: int) -> np.ndarray:  # 15 px/frame right, then at once 15 px/frame back
        x = 15 * f if f < 30 else 15 * (60 - f)
        return np.array([x + 100.0, 100, x + 180, 180])
    tl = make_tracklet(turn, range(60), noise=0.02, seed=seed)
    # with the analysis's face fit (a 2 px pad) and the default style (no margin): the truth, not
    # only the noisy detections, stays inside through the turn
    track = tracklet_to_track(tl, 60, (2000, 400), TrackShapeSettings(extend_frames=0, shapes=DEFAULT_SHAPES))
    rendered = widen_by_margin(mask_boxes(track, range(60)), MaskStyle().margin)
    assert_contains(rendered, np.array([turn(f) for f in range(60)]))


def test_straight_motion_reduces_to_two_keyframes():
    track = tracklet_to_track(make_tracklet(linear(20, 100, 60, 60, vx=3, vy=1), range(100)), 100, (2000, 400),
                              TrackShapeSettings(extend_frames=0))
    assert [k.frame for k in track.keyframes] == [0, 99]


@pytest.mark.parametrize("seed", range(6))
def test_keyframe_interpolation_contains_the_path_within_tolerance(seed):
    rng = np.random.default_rng(seed)
    count = 300
    # a smooth, wandering path: integrated random acceleration, breathing size
    velocity = np.cumsum(rng.normal(0, 0.4, (count, 2)), axis=0)
    centre = 300 + np.cumsum(velocity, axis=0)
    size = 60 + 20 * np.sin(np.arange(count) / 25)[:, None] * np.array([1.0, 0.8])
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    tol = share_of_size(boxes, 0.04, 1.0)
    keys, key_boxes = reduce_to_keyframes(boxes, tol)
    assert keys[0] == 0 and keys[-1] == count - 1 and keys == sorted(set(keys))
    interp = np.empty_like(boxes)
    for (a, b), (ka, kb) in zip(zip(keys, keys[1:]), zip(key_boxes, key_boxes[1:])):
        t = np.linspace(0, 1, b - a + 1)[:, None]
        interp[a:b + 1] = ka * (1 - t) + kb * t
    excess = outward_excess(interp, boxes)
    assert excess.min() >= -1e-6, "interpolation fell inside the path"
    assert np.all(excess <= tol + 1e-6), "interpolation is larger than the tolerance allows"
    assert len(keys) < count / 4


def test_keyframe_reduction_keeps_its_guarantee_on_jagged_input():
    rng = np.random.default_rng(7)
    boxes = np.array([100, 100, 160, 160.0]) + rng.normal(0, 6, (80, 4))
    tol = share_of_size(boxes, 0.04, 1.0)
    keys, key_boxes = reduce_to_keyframes(boxes, tol)
    for (a, b), (ka, kb) in zip(zip(keys, keys[1:]), zip(key_boxes, key_boxes[1:])):
        t = np.linspace(0, 1, b - a + 1)[:, None]
        excess = outward_excess(ka * (1 - t) + kb * t, boxes[a:b + 1])
        assert excess.min() >= -1e-6 and np.all(excess <= tol[a:b + 1] + 1e-6)


def test_tracker_to_track_end_to_end_covers_every_frame_with_few_keyframes():
    a = SceneObject(linear(0, 100, 50, 50, vx=3.5, vy=0.5), range(150),
                    missing={f for f in range(150) if f % 7 == 3} | set(range(60, 72)))
    b = SceneObject(linear(560, 220, 40, 40, vx=-3), range(30, 150))
    tracklets, _ = run_tracker([a, b], range(150), noise=0.02, seed=4)
    assert len(tracklets) == 2
    tracks = [tracklet_to_track(t, 150, FRAME) for t in tracklets]
    for obj in (a, b):
        track = min(tracks, key=lambda t: np.abs(np.array(shape_at(t, 100).bbox()) - obj.path(100)).sum())
        frames = list(obj.frames)
        assert_contains(widen_by_margin(mask_boxes(track, frames), 0.0), np.array([obj.path(f) for f in frames]),
                        slack_px=0.1 * 50)  # within the detection slack, which the style margin covers
        assert len(track.keyframes) < len(frames) / 5


def _inside(outline: np.ndarray, points: np.ndarray, tol_px: float = 0.5) -> bool:
    contour = outline.astype(np.float32).reshape(-1, 1, 2)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -tol_px for x, y in points)


def test_face_tracks_are_the_box_plus_a_pad_and_hold_every_detection_with_no_margin():
    from anonymizer_gui.core.render.masks import grown_outline

    path = linear(100, 80, 60, 80, vx=2.0, vy=0.5)
    tl = make_tracklet(path, range(40), noise=0.02, seed=3)
    track = tracklet_to_track(tl, 40, FRAME, TrackShapeSettings(extend_frames=0, shapes=DEFAULT_SHAPES))
    assert {k.shape.kind for k in track.keyframes} == {"rect"}
    bare = MaskStyle(margin=0.0, feather=0.0)
    for f, box in zip(tl.frames, tl.box_array()):
        corners = np.array([[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]])
        outline = grown_outline(shape_at(track, f), bare)
        assert _inside(outline, corners, tol_px=0.0), f"frame {f}"
        # at least the pad beyond the detection on every side (tiny faces' boxes fall short)
        x1, y1 = outline.min(axis=0)
        x2, y2 = outline.max(axis=0)
        assert min(box[0] - x1, box[1] - y1, x2 - box[2], y2 - box[3]) >= FACE_PAD_PX - 1e-6
    # smaller than the ellipse that would hold the box (sqrt(2) x the box, the fitted shape tried
    # before) and than the old default mask (the box grown by a 15 % margin)
    box_shape = shape_at(track, 20)
    area = cv2.contourArea(grown_outline(box_shape, bare).astype(np.float32))
    x1, y1, x2, y2 = box_shape.points
    assert area < 0.7 * (np.pi / 2) * (x2 - x1) * (y2 - y1)
    assert area < 0.7 * cv2.contourArea(grown_outline(box_shape, MaskStyle(margin=0.15)).astype(np.float32))


def test_plate_tracks_are_tight_rectangles_that_still_hold_the_box():
    from anonymizer_gui.core.render.masks import grown_outline

    tl = make_tracklet(linear(200, 200, 120, 30, vx=1.0), range(30))
    tl.label = "plate"
    track = tracklet_to_track(tl, 30, FRAME, TrackShapeSettings(extend_frames=0, shapes=DEFAULT_SHAPES))
    assert {k.shape.kind for k in track.keyframes} == {"rect"}
    for f, box in zip(tl.frames, tl.box_array()):
        outline = grown_outline(shape_at(track, f), MaskStyle())
        x1, y1 = outline.min(axis=0)
        x2, y2 = outline.max(axis=0)
        assert x1 <= box[0] and y1 <= box[1] and x2 >= box[2] and y2 >= box[3]
        assert (x2 - x1) <= 1.2 * (box[2] - box[0])  # the old mask: 1.3x the (smoothed, grown) box


def test_a_gap_is_covered_at_least_as_the_two_ends_extensions_would_cover_it():
    # a whip: seen moving right until frame 19, then far to the left from frame 30 on
    def whip(f: int) -> np.ndarray:
        x = 100 + 8 * f if f < 20 else 600 - 4 * (f - 30)
        return np.array([x, 100.0, x + 60, 160])
    frames = [f for f in range(50) if not 20 <= f < 30]
    joined = tracklet_to_track(make_tracklet(whip, frames), 50, (1280, 400), TrackShapeSettings(extend_frames=8))
    for d in range(1, 9):  # where each fragment alone would have been carried: on from 19, back from 30
        on = whip(19) + np.array([8, 0, 8, 0]) * d
        back = whip(30) + np.array([4, 0, 4, 0]) * d
        assert_contains(mask_boxes(joined, [19 + d]), np.array([on]))
        assert_contains(mask_boxes(joined, [30 - d]), np.array([back]))


def test_a_face_that_speeds_up_once_it_is_lost_stays_covered():
    # seen at 20 px/frame until frame 30, then unseen while it goes 1.5x as fast (a whip pan)
    def path(f: int) -> np.ndarray:
        x = 100 + 20 * f if f <= 30 else 700 + 30 * (f - 30)
        return np.array([x, 100.0, x + 80, 180])
    tl = make_tracklet(path, range(31))
    after = range(31, 35)
    track = tracklet_to_track(tl, 60, (2000, 400), TrackShapeSettings(extend_frames=8))
    assert_contains(mask_boxes(track, after), np.array([path(f) for f in after]))
    # the speed term is what covers it: the motion model alone falls behind
    plain = tracklet_to_track(tl, 60, (2000, 400), TrackShapeSettings(extend_frames=8, speed_change=0.0))
    with pytest.raises(AssertionError):
        assert_contains(mask_boxes(plain, after), np.array([path(f) for f in after]))


def test_a_face_found_mid_picture_is_masked_further_back_than_one_that_walks_in():
    settings = TrackShapeSettings(extend_frames=5, interior_extend_frames=25)
    still = make_tracklet(lambda f: np.array([300.0, 150, 330, 186]), range(40, 80))  # found mid-picture
    walks_in = make_tracklet(lambda f: np.array([0.0, 150, 30, 186]) + [0.2 * f, 0, 0.2 * f, 0], range(40, 80))
    fast = make_tracklet(lambda f: np.array([300.0, 150, 330, 186]) + [3.0 * (f - 40), 0, 3.0 * (f - 40), 0],
                         range(40, 80))  # a pan: found and lost by moving
    first = {name: tracklet_to_track(t, 200, FRAME, settings).first_frame
             for name, t in (("still", still), ("walks in", walks_in), ("fast", fast))}
    assert first == {"still": 15, "walks in": 35, "fast": 35}
    # and after the last detection, the same
    assert tracklet_to_track(still, 200, FRAME, settings).last_frame == 79 + 25
    # an unconfirmed one keeps the short extension (it stays flagged for review)
    assert tracklet_to_track(make_tracklet(lambda f: np.array([300.0, 150, 330, 186]), range(40, 43), confirmed=False),
                             200, FRAME, settings).first_frame > 35
