"""Multi-rate detection: a reduced pass on most frames, the full pass every K-th (analysis/schedule.py).

The reduced pass of the known-boxes detector below cannot see boxes smaller than BLIND px, like
CenterFace at half resolution; the tracker must carry those between full passes without losing
them, flagging them for review or counting scores they never had. Nothing here is timed.
"""

from __future__ import annotations

import numpy as np
import pytest

from anonymizer_gui.core.analysis import AnalysisSettings, analyze, redact
from anonymizer_gui.core.analysis.schedule import DetectionSchedule
from anonymizer_gui.core.media import iter_frames
from anonymizer_gui.core.project import ExportSettings, MaskStyle, project_from_dict, project_to_dict
from anonymizer_gui.core.project.track_edits import split
from anonymizer_gui.core.tracking.tracker import Tracker, TrackerSettings
from tests.clips import MovingBox, make_clip, read_frame_number
from tests.core.test_analyze import KnownBoxesDetector, covered
from tests.core.test_detect_tiling import WhiteBlobDetector, frame_with

FRAMES = 60
BLIND = 55.0  # the reduced pass of the test detector misses boxes whose longer side is below this
LOSSLESS = ExportSettings(codec="libx264", crf=0, preset="ultrafast")


class MultiRateKnownBoxes(KnownBoxesDetector):
    """The clip's true boxes; on a reduced pass only those of at least BLIND px (longer side), and
    smaller ones whose centre lies in a region it was asked to look at (unless `closely` is off)."""

    def __init__(self, truth, closely: bool = True, **kwargs):
        super().__init__(truth, **kwargs)
        self.closely = closely
        self.passes: dict[int, str] = {}  # frame -> "full" or "reduced"
        self.regions: dict[int, np.ndarray] = {}

    def reduced_blind_size(self, width, height, size):
        return BLIND

    def detect(self, frames, reduced=None, full=True, regions=None):
        found = super().detect(frames)
        out = []
        for row, (img, dets) in enumerate(zip(frames, found)):
            index = read_frame_number(img)
            self.passes[index] = "full" if full else "reduced"
            if not full:
                near = np.zeros((0, 4)) if regions is None or not self.closely else np.reshape(regions[row], (-1, 4))
                self.regions[index] = near
                centre = (dets.boxes[:, :2] + dets.boxes[:, 2:]) / 2
                size = (near[:, 2:] - near[:, :2])[None]  # a window twice the region's size
                lo, hi = near[None, :, :2] - size / 2, near[None, :, 2:] + size / 2
                looked = ((centre[:, None] >= lo) & (centre[:, None] <= hi)).all(axis=2).any(axis=1)
                longer = np.maximum(dets.boxes[:, 2] - dets.boxes[:, 0], dets.boxes[:, 3] - dets.boxes[:, 1])
                dets = dets.select((longer >= BLIND) | looked)
            out.append(dets)
        return out


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    # a large face moving fast, a small one (40 px < BLIND) moving slowly
    boxes = (MovingBox(20, 30, 80, 90, 3, 1, seed=1), MovingBox(200, 120, 40, 40, 1, 0, texture="noise", seed=2))
    return make_clip(tmp_path_factory.mktemp("multirate") / "clip.mp4", width=320, height=240, frames=FRAMES,
                     boxes=boxes)


def test_the_schedule_gives_the_full_pass_every_kth_detected_frame_and_on_the_last():
    s = DetectionSchedule(frame_count=10, full_every=3)
    assert [i for i in range(10) if s.detects(i)] == list(range(10))
    assert [i for i in range(10) if s.full(i)] == [0, 3, 6, 9]
    s = DetectionSchedule(frame_count=11, detect_every=2, full_every=2)
    assert [i for i in range(11) if s.detects(i)] == [0, 2, 4, 6, 8, 10]
    assert [i for i in range(11) if s.detects(i) and s.full(i)] == [0, 4, 8, 10]
    assert s.full_stride == 4
    s = DetectionSchedule(frame_count=8, full_every=1)
    assert all(s.full(i) for i in range(8))


def test_the_reduced_pass_runs_one_whole_frame_window_at_the_reduced_size():
    detector = WhiteBlobDetector(work_size=(384, 288), min_scale=0.1, max_window=(384, 288))
    frame = frame_with([(10, 10, 90, 90), (300, 200, 306, 206)], width=384, height=288)
    (full,) = detector.detect([frame])
    assert detector.calls[-1][1:3] == (288, 384)
    (cheap,) = detector.detect([frame], reduced=(192, 192), full=False)
    assert detector.calls[-1][1:3] == (160, 192)  # 192x144, padded to 32
    assert len(full) == 2 and len(cheap) == 1  # the 6 px blob is 3 px at half size: too small
    assert detector.reduced_blind_size(384, 288, (192, 192)) == pytest.approx(detector.min_object * 2)
    assert detector.reduced_blind_size(384, 288, (384, 384)) == 0.0  # no coarser than the full pass
    (both,) = detector.detect([frame], reduced=(192, 192))
    assert len(both) == 2 and len(detector.calls) == 4  # full windows + the reduced one


def test_a_small_track_is_not_missed_on_frames_that_could_not_see_it():
    tracker = Tracker("face", TrackerSettings(high_score=0.5, low_score=0.1, tentative_max_age=9, max_age=25))
    box = np.array([[100, 100, 120, 120]], float)
    for frame in range(0, 3):  # confirmed by three full passes
        tracker.update(frame * 3, box, [0.9])
        tracker.update(frame * 3 + 1, np.zeros((0, 4)), [], blind_below=50)
        tracker.update(frame * 3 + 2, np.zeros((0, 4)), [], blind_below=50)
    # a weak detection on the next full pass still continues it: the blind frames were no miss
    (tracklet,) = tracker.update(9, box, [0.2])
    assert tracklet.frames == [0, 3, 6, 9] and tracklet.blind_frames == [1, 2, 4, 5, 7, 8]
    # a frame that could see it and did not is a miss: then a weak detection no longer continues it
    tracker.update(10, np.zeros((0, 4)), [])
    assert tracker.update(12, box, [0.2]) == []
    # a large track unseen on a reduced frame is a miss as before
    big = Tracker("face", TrackerSettings(high_score=0.5, low_score=0.1))
    large = np.array([[0, 0, 100, 100]], float)
    big.update(0, large, [0.9])
    big.update(1, np.zeros((0, 4)), [], blind_below=50)
    assert big.update(2, large, [0.2]) == [] and big.live_tracklets[0].blind_frames == []


def test_the_reduced_pass_looks_closely_where_the_tracker_expects_a_small_face(clip):
    detector = MultiRateKnownBoxes(clip, dropout=0.0)
    project = analyze(clip.path, settings=AnalysisSettings(classes=("face",), full_every=3, group_people=False),
                      detectors={"face": detector})
    reduced = [f for f in range(FRAMES) if detector.passes[f] == "reduced"]
    assert reduced and all(len(detector.regions[f]) for f in reduced)
    for f in reduced:  # round the small face (from the tracker, or a full pass earlier in the batch), not the large one
        sx1, sy1, sx2, sy2 = clip.boxes[f][1]
        for x1, y1, x2, y2 in detector.regions[f]:
            assert x2 - x1 < BLIND and x1 - (x2 - x1) / 2 <= (sx1 + sx2) / 2 <= x2 + (x2 - x1) / 2
    assert len(project.tracks) == 2
    assert sorted(len(t.scores) for t in project.tracks) == [FRAMES, FRAMES]
    assert all(t.blind_frames == 0 and not t.needs_review for t in project.tracks)


def test_a_small_face_seen_only_by_full_passes_is_one_unflagged_track_masked_on_every_frame(clip):
    # the reduced pass never finds the small face, even where asked to look closely: real misses,
    # which the tracker bridges between full passes (max_age counts frames)
    detector = MultiRateKnownBoxes(clip, closely=False, dropout=0.0)
    settings = AnalysisSettings(classes=("face",), full_every=3, group_people=False)
    project = analyze(clip.path, settings=settings, detectors={"face": detector})
    assert [f for f in range(FRAMES) if detector.passes[f] == "full"] == list(range(0, FRAMES, 3)) + [FRAMES - 1]
    assert len(project.tracks) == 2
    small = min(project.tracks, key=lambda t: t.keyframes[0].shape.bbox()[2] - t.keyframes[0].shape.bbox()[0])
    large = next(t for t in project.tracks if t is not small)
    assert sorted(small.scores) == list(range(0, FRAMES, 3)) + [FRAMES - 1]  # scores: real detections only
    assert small.blind_frames == 0  # it was looked for: each miss is a miss
    assert not small.needs_review and not large.needs_review
    assert len(large.scores) == FRAMES and large.blind_frames == 0
    assert project.analysis["reduced_pass_blind_below"] == {"face": BLIND}
    for frame in range(FRAMES):
        for box in clip.boxes[frame]:
            assert covered(project, frame, box, margin=0.0), (frame, box)
    # blind frames count as seen for the review, survive the project file, and an edit that cuts
    # a track forgets them (flag rather than not)
    small.scores = {f: s for f, s in small.scores.items() if f < 15}
    assert small.needs_review
    small.blind_frames = 10
    assert small.seen_frames == 15 and not small.needs_review
    again = project_from_dict(project_to_dict(project))
    assert sorted(t.blind_frames for t in again.tracks) == [0, 10]
    head, tail = split(small, 10, 99)
    assert head.blind_frames == tail.blind_frames == 0


def test_a_detector_without_a_reduced_pass_gets_the_full_pass_on_every_frame(clip):
    detector = KnownBoxesDetector(clip, dropout=0.0)
    project = analyze(clip.path, settings=AnalysisSettings(classes=("face",), full_every=3, group_people=False),
                      detectors={"face": detector})
    assert sorted(set(detector.seen)) == list(range(FRAMES))
    assert project.analysis["reduced_pass_blind_below"] == {"face": None}
    assert all(t.blind_frames == 0 for t in project.tracks)


def test_the_pipelined_redact_with_the_default_multi_rate_writes_the_serial_frames(clip, tmp_path):
    settings = AnalysisSettings(classes=("face",), max_lost_s=0.2, extend_s=0.2)
    assert settings.full_every > 1  # the default is multi-rate
    style = MaskStyle("blur")
    serial_project, serial = redact(clip.path, tmp_path / "serial.mp4", settings, style=style, export=LOSSLESS,
                                    detectors={"face": MultiRateKnownBoxes(clip)}, pipelined=False)
    detector = MultiRateKnownBoxes(clip)
    project, result = redact(clip.path, tmp_path / "piped.mp4", settings, style=style, export=LOSSLESS,
                             detectors={"face": detector})
    assert [(t.id, t.blind_frames, [(k.frame, k.shape.points) for k in t.keyframes]) for t in project.tracks] == \
        [(t.id, t.blind_frames, [(k.frame, k.shape.points) for k in t.keyframes]) for t in serial_project.tracks]
    assert "reduced" in detector.passes.values()
    a = [img for _, img in iter_frames(serial.output)]
    b = [img for _, img in iter_frames(result.output)]
    assert len(a) == len(b) == FRAMES
    for i, (x, y) in enumerate(zip(a, b)):
        assert np.array_equal(x, y), f"frame {i} differs"


def test_cancel_stops_a_multi_rate_redact_and_writes_nothing(clip, tmp_path):
    import threading

    from anonymizer_gui.core.foundation import Cancelled

    flag = threading.Event()

    def progress(p):
        if p.done >= 20:
            flag.set()

    with pytest.raises(Cancelled):
        redact(clip.path, tmp_path / "cancelled.mp4", AnalysisSettings(classes=("face",), full_every=3),
               detectors={"face": MultiRateKnownBoxes(clip, delay_s=0.02)}, progress=progress, cancel=flag.is_set)
    assert list(tmp_path.iterdir()) == []


def test_settings_refuse_a_zero_rate_and_record_the_choice():
    from anonymizer_gui.core.foundation import AnonymizerError

    with pytest.raises(AnonymizerError):
        AnalysisSettings(full_every=0)
    with pytest.raises(AnonymizerError):
        AnalysisSettings(reduced_size=8)
    recorded = AnalysisSettings(full_every=4, reduced_size=512).to_json()
    assert recorded["full_every"] == 4 and recorded["reduced_size"] == 512


def test_multi_rate_on_a_gpu_still_gets_large_batches(clip):
    from anonymizer_gui.core.analysis.analyzer import GPU_BATCH_SIZE
    from anonymizer_gui.core.detect.runtime import ProviderChoice

    calls = []

    class OnGpu(MultiRateKnownBoxes):
        batch_size = 4

        def detect(self, frames, reduced=None, full=True, regions=None):
            calls.append((full, len(frames)))
            return super().detect(frames, reduced, full, regions)

    detector = OnGpu(clip)
    detector.provider = ProviderChoice(("CUDAExecutionProvider", "CPUExecutionProvider"), "CUDA: test")
    project = analyze(clip.path, settings=AnalysisSettings(classes=("face",), full_every=3, group_people=False),
                      detectors={"face": detector})
    assert detector.batch_size == GPU_BATCH_SIZE
    assert sum(n for _, n in calls) == FRAMES and max(n for _, n in calls) > GPU_BATCH_SIZE // 2
    assert {full for full, _ in calls} == {True, False} and len(project.tracks) == 2


def test_close_looks_find_small_objects_at_full_scale_and_keep_only_what_lies_inside():
    detector = WhiteBlobDetector(work_size=(384, 288), min_scale=0.1, max_window=(384, 288))
    # a 10 px blob (5 px at half size: below the detector's 6), a neighbour 60 px to its right
    # that a 128 px window round the first cuts, and a 20 px blob the half-size pass sees but
    # below its trusted size (min_object 16 model px = 32 frame px at half size)
    frame = frame_with([(200, 100, 210, 110), (262, 98, 274, 112), (40, 200, 60, 220), (20, 20, 100, 100)],
                       width=384, height=288)
    (alone,) = detector.detect([frame], reduced=(192, 192), full=False)
    assert [tuple(map(round, b)) for b in alone.boxes] == [(20, 20, 100, 100)]  # the 20 px blob dropped
    (looked,) = detector.detect([frame], reduced=(192, 192), full=False, regions=[np.array([[200, 100, 210, 110]])])
    boxes = sorted(tuple(map(round, b)) for b in looked.boxes)
    assert boxes == [(20, 20, 100, 100), (200, 100, 210, 110)]  # the cut neighbour is not half-reported
    assert (128, 128) in {tuple(c[1:3]) for c in detector.calls}


def test_a_small_candidate_below_the_start_score_gets_close_looks_until_the_next_full_pass(clip):
    detector = MultiRateKnownBoxes(clip, dropout=0.0, score=0.17)  # between the midway 0.15 and the start 0.2
    project = analyze(clip.path, settings=AnalysisSettings(classes=("face",), thresholds={"face": 0.2},
                                                           full_every=3, group_people=False),
                      detectors={"face": detector})
    assert project.tracks == []  # nothing ever scores enough to start a track
    reduced = [f for f in range(FRAMES) if detector.passes[f] == "reduced"]
    for f in reduced:  # round the small face only: the large one the reduced pass sees itself
        assert len(detector.regions[f]) == 1
        x1, y1, x2, y2 = detector.regions[f][0]
        assert x2 - x1 < BLIND
