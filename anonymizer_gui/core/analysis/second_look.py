"""Weak candidates get a close look before they may start a track (issue 10: tracks an operator can trust).

The tracker starts a track from any candidate at or above the class threshold (0.2 for faces).
CenterFace's 0.2-0.45 candidates on car paint, walls and clutter used to become tracks that
masked background and flooded the review. So a weak candidate (score below CONFIRM) that
continues no trusted track is looked at again, cut out and scaled up (detect/close_look.py):

- confirmed (close-look score >= CONFIRM): it takes that score. Its track starts and is confirmed
  at once, and it is not flagged for a low score it only had because the face was small;
- not confirmed, in "verify" mode: its score is multiplied by PENALTY, so it cannot start a track
  (0.38 keeps the best of them under the 0.2 start score) but can still continue one.

In night footage (is_dark) the crop is denoised before it is enlarged (close_look.py): enlarged,
sensor noise hid street_night's real faces from the detector (a first version that judged them
plain lost 15 % of its face-frames). Denoised, 82 % of its weak real faces are confirmed, but
judging the rest by CONFIRM still cost 2 % of them; so at night only a look that finds nothing
face-like at all (under DARK_REJECT: all of street_night's clutter, 1 % of its weak real faces)
scores a candidate down.

A weak candidate overlapping a trusted track's predicted box (a live, confirmed track whose
evidence reached CONFIRM) is not looked at: the track vouches for it, and looking again at every
weak detection of every small face would cost more than the detection itself. When the track's
trust came from a close look, such a candidate takes the track's close-look score: it is the same
object, and the detector was that sure of it close up.

A candidate where a close look found nothing a few frames ago (IoU >= VOUCH_IOU with that box;
RELOOK_FRAMES: 4 frames after the first such look, 8 after the second in a row) is not looked at
again but treated alike: clutter stays where it is, and looking at it again on every frame made the
look cost as much as the detection (crowd_small: 1,059 of 1,066 looks were at the same blobs). A
real face found weakly there waits at most 7 frames longer for its track, which the extension before
a track's first detection covers (0.3 s, 8 frames at 25 fps).

The output leak check uses none of this (Detector.detect_raw): the safety net must not share the
close look's blind spots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..tracking import Tracker, Tracklet, box_iou

if TYPE_CHECKING:  # the detectors load onnxruntime: only when analysing
    from ..detect import Detections, Detector

MODES = ("off", "boost", "verify")
CONFIRM = 0.5  # a close-look score at least this confirms a candidate; a track whose evidence reached it is trusted
PENALTY = 0.38  # x the best unconfirmed weak score (< CONFIRM): under the default start score of 0.2
VOUCH_IOU = 0.3  # a weak candidate this close to a trusted track's predicted box is not looked at
CARRY_IOU = 0.5  # ... and takes the track's close-look score when this close (the tracker's weak-match IoU)
RELOOK_FRAMES = (4, 8)  # frames before a place where close looks found nothing (once, more often) is looked at again
DARK_REJECT = 0.1  # at night, a close look under this (nothing face-like) scores a candidate down
DARK_LUMA = 60.0  # mean luma (0-255) of a frame below which it counts as night footage (street_night: 31)


def is_dark(image: np.ndarray) -> bool:
    """Whether the frame is night footage (see module text)."""
    small = cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)
    return float(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).mean()) < DARK_LUMA


class SecondLook:
    """The close-look policy for one class (see module text): `check` before the tracker's update,
    `learn` after it."""

    def __init__(self, detector: "Detector", mode: str = "verify"):
        if mode not in MODES:
            raise ValueError(f"close look must be one of {', '.join(MODES)}, not {mode!r}")
        self.detector, self.mode = detector, mode
        self.looks = 0  # candidates looked at (for the analysis record)
        self._looked: dict[int, float] = {}  # tracklet id -> its best close-look score
        self._blanks = _Blanks()

    @property
    def active(self) -> bool:
        return self.mode != "off"

    def check(self, tracker: Tracker, frame: int, image: np.ndarray, dets: Detections,
              shift: tuple[float, float] | None = None) -> tuple[Detections, dict[tuple, float]]:
        """`dets` rescored, and the boxes (as tuples) this frame's close looks confirmed (shift: the
        camera's since the tracker's last update)."""
        low = tracker.settings.low_score
        weak = np.flatnonzero((dets.scores >= low) & (dets.scores < CONFIRM))
        if not self.active or len(weak) == 0:
            return dets, {}
        tracklets, predicted = tracker.predicted_boxes(frame, min_best=CONFIRM, shift=shift)  # the trusted ones
        given = dets.scores.astype(np.float64)
        scores = given.copy()
        to_look: list[int] = []
        overlaps = box_iou(dets.boxes[weak], predicted)
        for i, overlap in zip(weak, overlaps):
            if len(overlap) and overlap.max() >= VOUCH_IOU:
                owner = tracklets[int(overlap.argmax())]
                if owner.id in self._looked and overlap.max() >= CARRY_IOU:
                    scores[i] = max(scores[i], self._looked[owner.id])
            else:
                to_look.append(int(i))
        confirmed: dict[tuple, float] = {}
        if to_look:
            skip, strikes = self._blanks.at(dets.boxes[to_look], frame)
            fresh = [i for i, known in zip(to_look, skip) if not known]
            strikes = dict(zip(to_look, strikes))
            dark = bool(fresh) and is_dark(image)  # a skipped place keeps no score to judge (0.0)
            close = self.detector.look_closer(image, dets.boxes[fresh], denoise=dark) if fresh else []
            self.looks += len(fresh)
            answers = dict(zip(fresh, close))
            for i in to_look:
                c = answers.get(i, 0.0)
                if c >= CONFIRM:
                    scores[i] = max(scores[i], float(c))
                    confirmed[tuple(float(v) for v in dets.boxes[i])] = scores[i]
                    continue
                if dark and c >= DARK_REJECT:
                    continue  # night: not sure either way, so it keeps its score
                if i in answers:
                    self._blanks.add(dets.boxes[i], frame, strikes[i] + 1)
                if self.mode == "verify":
                    scores[i] *= PENALTY
        if np.array_equal(scores, given):
            return dets, confirmed
        return dets.rescored(scores), confirmed

    def learn(self, frame: int, matched: list[Tracklet], confirmed: dict[tuple, float], live: list[Tracklet]
              ) -> None:
        """After the tracker's update: which tracks a close look confirmed; forget dead tracks."""
        for tl in matched:
            if confirmed and tl.frames and tl.frames[-1] == frame:
                score = confirmed.get(tuple(float(v) for v in tl.boxes[-1]))
                if score is not None:
                    self._looked[tl.id] = max(score, self._looked.get(tl.id, 0.0))
        if len(self._looked) > 2 * len(live) + 16:
            alive = {tl.id for tl in live}
            self._looked = {k: v for k, v in self._looked.items() if k in alive}


class _Blanks:
    """Places where close looks found nothing lately, and how many looks in a row did."""

    def __init__(self):
        self.boxes = np.zeros((0, 4))
        self.until = np.zeros(0, np.int64)  # not looked at again before this frame
        self.strikes = np.zeros(0, np.int64)

    def at(self, boxes, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Per box: whether a look there now is skipped, and the looks in a row that found nothing."""
        keep = self.until + RELOOK_FRAMES[-1] > frame  # an expired place still counts its strikes a while
        self.boxes, self.until, self.strikes = self.boxes[keep], self.until[keep], self.strikes[keep]
        near = box_iou(boxes, self.boxes) >= VOUCH_IOU
        skip = (near & (self.until > frame)[None, :]).any(axis=1)
        strikes = np.where(near, self.strikes[None, :], 0).max(axis=1, initial=0)
        return skip, strikes

    def add(self, box, frame: int, strikes: int) -> None:
        strikes = min(strikes, len(RELOOK_FRAMES))
        self.boxes = np.vstack([self.boxes, np.asarray(box, np.float64).reshape(1, 4)])
        self.until = np.append(self.until, frame + RELOOK_FRAMES[strikes - 1])
        self.strikes = np.append(self.strikes, strikes)
