"""The close look at weak candidates before they start tracks (analysis/second_look.py)."""

from __future__ import annotations

import numpy as np
import pytest

from anonymizer_gui.core.analysis import AnalysisSettings
from anonymizer_gui.core.analysis.analyzer import analyze
from anonymizer_gui.core.analysis.second_look import CONFIRM, PENALTY, SecondLook, is_dark
from anonymizer_gui.core.detect.base import Detections
from anonymizer_gui.core.foundation import AnonymizerError
from anonymizer_gui.core.tracking.tracker import Tracker
from tests.clips import read_frame_number
from tests.core.test_analyze import KnownBoxesDetector, covered

BRIGHT = np.full((240, 320, 3), 128, np.uint8)
NIGHT = np.full((240, 320, 3), 25, np.uint8)
FACE = np.array([100.0, 100.0, 120.0, 124.0])  # a small face
CLUTTER = np.array([250.0, 40.0, 280.0, 70.0])  # a face-like blob on a car


class Looker:
    """A detector's close look: `answer(box)` per box, every call recorded."""

    def __init__(self, answer):
        self.answer, self.calls, self.denoised = answer, [], []

    def look_closer(self, frame, boxes, denoise=False):
        self.calls.append(np.array(boxes))
        self.denoised.append(denoise)
        return np.array([self.answer(b) for b in boxes], float)


def face_only(box) -> float:
    return 0.8 if abs(box[0] - FACE[0]) < 15 else 0.05


def dets(*pairs) -> Detections:
    boxes = [b for b, _ in pairs]
    return Detections.create(np.reshape(boxes, (-1, 4)), [s for _, s in pairs], None, ("face",))


def tracker() -> Tracker:
    return Tracker("face", AnalysisSettings().tracker_settings(0.2, 25.0))  # the analysis' face tracker


def step(look: SecondLook, tr: Tracker, frame: int, found: Detections, image=BRIGHT):
    checked, confirmed = look.check(tr, frame, image, found)
    matched = tr.update(frame, checked.boxes, checked.scores)
    look.learn(frame, matched, confirmed, tr.live_tracklets)
    return checked


def test_a_weak_candidate_the_close_look_confirms_starts_a_confirmed_track():
    look, tr = SecondLook(Looker(face_only)), tracker()
    checked = step(look, tr, 0, dets((FACE, 0.3)))

    assert checked.scores[0] == pytest.approx(0.8)
    (tl,) = tr.live_tracklets
    assert tl.confirmed and tl.scores == [pytest.approx(0.8)]


@pytest.mark.parametrize("mode, starts", [("verify", False), ("boost", True), ("off", True)])
def test_an_unconfirmed_weak_candidate_starts_no_track_only_when_verifying(mode, starts):
    look, tr = SecondLook(Looker(face_only), mode), tracker()
    checked = step(look, tr, 0, dets((CLUTTER, 0.45)))

    expected = 0.45 * PENALTY if mode == "verify" else 0.45
    assert checked.scores[0] == pytest.approx(expected)
    assert expected < tr.settings.high_score or starts  # the best weak score x PENALTY is under the start score
    assert bool(tr.live_tracklets) == starts


def test_at_night_only_a_look_that_finds_nothing_scores_a_candidate_down():
    unsure = Looker(lambda box: 0.3)
    kept = step(SecondLook(unsure), tracker(), 0, dets((CLUTTER, 0.3)), image=NIGHT)
    nothing = step(SecondLook(Looker(lambda box: 0.0)), tracker(), 0, dets((CLUTTER, 0.3)), image=NIGHT)
    by_day = step(SecondLook(Looker(lambda box: 0.3)), tracker(), 0, dets((CLUTTER, 0.3)), image=BRIGHT)

    assert kept.scores[0] == pytest.approx(0.3)  # fail closed: the night hides too much to judge
    assert nothing.scores[0] == pytest.approx(0.3 * PENALTY)
    assert by_day.scores[0] == pytest.approx(0.3 * PENALTY)


def test_night_footage_is_looked_at_denoised():
    assert is_dark(NIGHT) and not is_dark(BRIGHT)
    looker = Looker(face_only)
    look, tr = SecondLook(looker), tracker()
    night = step(look, tr, 0, dets((FACE, 0.3), (CLUTTER, 0.3)), image=NIGHT)
    day = step(look, tracker(), 10, dets((CLUTTER + 40, 0.3)), image=BRIGHT)

    assert looker.denoised == [True, False]
    assert sorted(night.scores) == pytest.approx([0.3 * PENALTY, 0.8]) and len(tr.live_tracklets) == 1
    assert day.scores[0] == pytest.approx(0.3 * PENALTY)


def test_confident_candidates_and_candidates_below_the_tracker_floor_are_never_looked_at():
    looker = Looker(face_only)
    look, tr = SecondLook(looker), tracker()
    checked = step(look, tr, 0, dets((FACE, 0.9), (CLUTTER, 0.05)))
    assert looker.calls == [] and list(checked.scores) == pytest.approx([0.9, 0.05])


def test_weak_continuations_of_a_trusted_track_are_not_looked_at_and_keep_their_score():
    looker = Looker(face_only)
    look, tr = SecondLook(looker), tracker()
    for frame in range(3):
        step(look, tr, frame, dets((FACE + frame, 0.9)))
    checked = step(look, tr, 3, dets((FACE + 3, 0.3)))  # half hidden now

    assert looker.calls == []
    assert checked.scores[0] == pytest.approx(0.3)  # the detector's own score: the timeline shows it weak
    (tl,) = tr.live_tracklets
    assert tl.frames == [0, 1, 2, 3]


def test_a_track_a_close_look_confirmed_carries_that_score_to_its_weak_continuations():
    looker = Looker(face_only)
    look, tr = SecondLook(looker), tracker()
    step(look, tr, 0, dets((FACE, 0.3)))
    checked = step(look, tr, 1, dets((FACE + 1, 0.25)))

    assert len(looker.calls) == 1  # only the first: the track vouches for the second
    assert checked.scores[0] == pytest.approx(0.8)
    (tl,) = tr.live_tracklets
    assert tl.scores == [pytest.approx(0.8), pytest.approx(0.8)]  # not flagged for being small


def test_a_trusted_track_vouches_for_its_weak_detection_after_a_whip_pan():
    # fail closed: a half-hidden face right after a whip pan must not be judged (and dropped) as new
    looker = Looker(lambda box: 0.0)
    look, tr = SecondLook(looker), tracker()
    for frame in range(3):
        step(look, tr, frame, dets((FACE, 0.9)))
    moved = FACE - [0, 150, 0, 150]
    checked, _ = look.check(tr, 3, BRIGHT, dets((moved, 0.3)), shift=(0.0, -150.0))

    assert looker.calls == [] and checked.scores[0] == pytest.approx(0.3)
    matched = tr.update(3, checked.boxes, checked.scores, shift=(0.0, -150.0))
    assert [tl.frames for tl in matched] == [[0, 1, 2, 3]]


def test_a_weak_candidate_away_from_every_trusted_track_is_looked_at():
    looker = Looker(face_only)
    look, tr = SecondLook(looker), tracker()
    step(look, tr, 0, dets((FACE, 0.9)))
    checked = step(look, tr, 1, dets((FACE + 1, 0.9), (CLUTTER, 0.3)))

    assert len(looker.calls) == 1 and np.allclose(looker.calls[0], [CLUTTER])
    assert sorted(checked.scores) == pytest.approx([0.3 * PENALTY, 0.9])
    assert len(tr.live_tracklets) == 1


def test_a_place_where_looks_found_nothing_is_looked_at_again_after_4_then_8_frames():
    looker = Looker(face_only)
    look, tr = SecondLook(looker), tracker()
    looked_on = []
    for frame in range(20):
        before = len(looker.calls)
        checked = step(look, tr, frame, dets((CLUTTER + frame % 2, 0.4)))  # clutter jitters in place
        if len(looker.calls) > before:
            looked_on.append(frame)
        assert checked.scores[0] == pytest.approx(0.4 * PENALTY)  # looked at or not: scored down alike
    assert looked_on == [0, 4, 12] and not tr.live_tracklets
    assert look.looks == 3


def test_a_face_appearing_where_clutter_was_is_looked_at_within_8_frames():
    looker = Looker(lambda box: 0.8 if looker.face_now else 0.05)
    looker.face_now = False
    look, tr = SecondLook(looker), tracker()
    for frame in range(8):
        step(look, tr, frame, dets((FACE, 0.3)))
    looker.face_now = True
    first = next(frame for frame in range(8, 30) if step(look, tr, frame, dets((FACE, 0.3))).scores[0] > 0.5)
    assert first < 8 + 8 and tr.live_tracklets


def test_scores_stay_sorted_and_boxes_keep_their_keypoints():
    found = Detections.create([CLUTTER, FACE], [0.45, 0.3], None, ("face",),
                              keypoints=np.arange(20, dtype=float).reshape(2, 5, 2))
    checked, confirmed = SecondLook(Looker(face_only)).check(tracker(), 0, BRIGHT, found)

    assert list(checked.scores) == pytest.approx([0.8, 0.45 * PENALTY])
    np.testing.assert_allclose(checked.boxes[0], FACE)
    np.testing.assert_allclose(checked.keypoints[0], found.keypoints[1])
    assert list(confirmed.values()) == [pytest.approx(0.8)]


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="close look"):
        SecondLook(Looker(face_only), "sometimes")
    with pytest.raises(AnonymizerError, match="close_look"):
        AnalysisSettings(close_look="sometimes")


# --- in the analysis ---------------------------------------------------------------------------------

class Cluttered(KnownBoxesDetector):
    """The clip's true boxes scored weakly, plus a weak blob in a corner on every frame; its close
    look knows the faces from the blob."""

    can_look_closer = True

    def __init__(self, truth, **kw):
        super().__init__(truth, score=0.3, dropout=0.0, **kw)
        self.score_threshold = 0.2  # CenterFace's: a track starts at 0.2
        self.looks = 0

    def detect(self, frames):
        out = []
        for found in super().detect(frames):
            boxes = np.concatenate([found.boxes.reshape(-1, 4), [[280, 200, 310, 230]]])
            out.append(Detections.create(boxes, [0.3] * len(boxes), None, ("face",)))
        return out

    def look_closer(self, frame, boxes, denoise=False):
        self.looks += len(boxes)
        return np.array([0.05 if b[0] >= 270 else 0.9 for b in boxes])


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from tests.clips import make_clip

    return make_clip(tmp_path_factory.mktemp("second_look") / "clip.mp4", width=320, height=240, frames=24)


def _on_blob(track) -> bool:
    return any(kf.shape.bbox()[0] >= 260 for kf in track.keyframes)


def test_the_analysis_keeps_the_weak_faces_and_drops_the_blob(clip):
    det = Cluttered(clip)
    project = analyze(clip.path, classes=["face"], detectors={"face": det})

    assert not any(_on_blob(t) for t in project.tracks)
    faces = [t for t in project.tracks if not _on_blob(t)]
    assert faces and all(not t.needs_review for t in faces if t.seen_frames >= 8)  # confirmed close up
    for frame, boxes in enumerate(clip.boxes):
        for box in boxes:
            assert any(t.first_frame <= frame <= t.last_frame for t in faces), (frame, box)
    assert 0 < det.looks < 3 * len(clip.boxes)  # trusted tracks vouch for their weak detections
    assert project.analysis["close_looks"] == {"face": det.looks}
    assert project.analysis["settings"]["close_look"] == "verify"


class FaceAppears(KnownBoxesDetector):
    """A weak candidate at one place on every frame: clutter until frame APPEARS, a real face from
    then on, which only a close look can tell (it reads the frame number from the pixels)."""

    can_look_closer = True
    APPEARS = 10
    PLACE = np.array([250.0, 40.0, 280.0, 70.0])

    def __init__(self, truth):
        super().__init__(truth, dropout=0.0)
        self.score_threshold = 0.2

    def detect(self, frames):
        return [Detections.create(self.PLACE[None], [0.3], None, ("face",)) for _ in frames]

    def look_closer(self, frame, boxes, denoise=False):
        return np.full(len(boxes), 0.9 if read_frame_number(frame) >= self.APPEARS else 0.05)


def test_a_face_where_looks_found_nothing_is_masked_from_the_frame_it_appears(clip):
    # the look there is skipped for up to 8 frames; the track's extension must cover that wait
    det = FaceAppears(clip)
    project = analyze(clip.path, classes=["face"], detectors={"face": det},
                      settings=AnalysisSettings(classes=("face",), group_people=False))

    unmasked = [f for f in range(det.APPEARS, clip.frames) if not covered(project, f, det.PLACE, 0.0)]
    assert unmasked == []
    (face,) = [t for t in project.tracks if max(t.scores.values()) >= 0.5]
    assert min(face.scores) > det.APPEARS  # it did wait for a look: the extension covered the wait


def test_without_the_close_look_the_blob_is_a_track(clip):
    det = Cluttered(clip)
    project = analyze(clip.path, classes=["face"], detectors={"face": det},
                      settings=AnalysisSettings(classes=("face",), close_look="off"))
    assert any(_on_blob(t) for t in project.tracks) and det.looks == 0
