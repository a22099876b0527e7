"""analyze() on generated clips, with a detector that reports the clip's known boxes.

`KnownBoxesDetector` is a real implementation of the Detector interface: it reads the frame number
stamped into the decoded pixels and returns that frame's true boxes with noise, dropouts and a score,
so the whole pipeline (decode thread, batching, tracking, keyframes) runs on real decoded frames.
"""

from __future__ import annotations

import hashlib
import threading
import time

import numpy as np
import pytest

from anonymizer_gui.core.analysis.analyzer import AnalysisCancelled, AnalysisSettings, analyze
from anonymizer_gui.core.detect.base import Detections, Detector
from anonymizer_gui.core.detect.runtime import ProviderChoice
from anonymizer_gui.core.foundation.errors import AnonymizerError, MediaError
from anonymizer_gui.core.project.interpolate import shape_at
from anonymizer_gui.core.project.model import MaskStyle, Project
from tests.clips import ClipTruth, make_zero_bytes, read_frame_number
from anonymizer_gui.core.project import project_to_dict, project_from_dict


class KnownBoxesDetector(Detector):
    family = "known-boxes"
    tasks = ("face",)

    def __init__(self, truth: ClipTruth, noise: float = 0.02, dropout: float = 0.15, score: float = 0.8,
                 delay_s: float = 0.0, only_boxes: dict[int, range] | None = None, seed: int = 0):
        self.name, self.task, self.label_names = "known-boxes", "face", ("face",)
        self.score_threshold = 0.1
        self.provider = ProviderChoice(("CPUExecutionProvider",), "CPU: test detector")
        self.truth, self.noise, self.dropout, self.score = truth, noise, dropout, score
        self.delay_s, self.only_boxes, self.seed = delay_s, only_boxes or {}, seed
        self.seen: list[int] = []  # frame numbers read from the pixels, in call order
        self.lock = threading.Lock()

    def detect(self, frames):
        time.sleep(self.delay_s)
        out = []
        for img in frames:
            index = read_frame_number(img)
            assert index is not None, "the decoder returned a frame without a readable stamp"
            with self.lock:
                self.seen.append(index)
            rng = np.random.default_rng(self.seed * 100003 + index)
            boxes = []
            for i, box in enumerate(self.truth.boxes[index]):
                if i in self.only_boxes and index not in self.only_boxes[i]:
                    continue
                if index > 0 and rng.random() < self.dropout:  # the detector misses it here
                    continue
                b = np.array(box, float)
                size = np.array([b[2] - b[0], b[3] - b[1]] * 2)
                boxes.append(b + rng.normal(0, self.noise, 4) * size)
            out.append(Detections.create(np.reshape(boxes, (-1, 4)), [self.score] * len(boxes), None, ("face",)))
        return out


def covered(project: Project, frame: int, box, margin: float) -> bool:
    """Is `box` inside some track's shape at `frame`, once grown by the style margin?"""
    for track in project.tracks:
        shape = shape_at(track, frame)
        if shape is None:
            continue
        x1, y1, x2, y2 = shape.bbox()
        mx, my = (x2 - x1) * margin, (y2 - y1) * margin
        if x1 - mx <= box[0] and y1 - my <= box[1] and x2 + mx >= box[2] and y2 + my >= box[3]:
            return True
    return False


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> ClipTruth:
    from tests.clips import make_clip

    return make_clip(tmp_path_factory.mktemp("analyze") / "clip.mp4", width=320, height=240, frames=48)


def test_tracks_cover_every_ground_truth_frame(clip):
    det = KnownBoxesDetector(clip)
    project = analyze(clip.path, classes=["face"], detectors={"face": det})
    margin = MaskStyle().margin
    missed = [(f, i) for f in range(clip.frames) for i, box in enumerate(clip.boxes[f])
              if not covered(project, f, box, margin)]
    assert missed == []
    assert len(project.tracks) == 2
    for track in project.tracks:
        assert track.source == "auto" and track.label == "face" and not track.needs_review
        assert len(track.keyframes) < clip.frames / 2
        assert all(0 <= f < clip.frames for f in track.scores)
    assert sorted(set(det.seen)) == list(range(clip.frames))  # every frame, each once
    assert len(det.seen) == clip.frames


def test_project_records_media_models_settings_and_timings(clip):
    det = KnownBoxesDetector(clip)
    settings = AnalysisSettings(classes=("face",), thresholds={"face": 0.4}, batch_size=3)
    project = analyze(clip.path, settings=settings, detectors={"face": det})
    m = project.media
    assert m.path == str(clip.path.resolve())
    assert m.sha256 == hashlib.sha256(clip.path.read_bytes()).hexdigest()
    assert m.size == clip.path.stat().st_size
    assert (m.width, m.height, m.frame_count) == (320, 240, clip.frames)
    assert m.fps == pytest.approx(clip.fps) and m.probe["frame_count"] == clip.frames
    a = project.analysis
    assert a["cancelled"] is False and a["frames_analyzed"] == clip.frames
    assert a["models"][0]["name"] == "known-boxes" and a["thresholds"] == {"face": 0.4}
    assert a["provider"]["reason"] == "CPU: test detector"
    assert a["settings"]["batch_size"] == 3 and a["settings"]["classes"] == ["face"]
    assert a["timings"]["total_s"] > 0 and a["timings"]["fps"] > 0
    assert project_from_dict(project_to_dict(project)).analysis == project_to_dict(project)["analysis"]  # JSON-safe


def test_progress_reports_frames_fps_and_time_left(clip):
    reports = []
    analyze(clip.path, classes=["face"], detectors={"face": KnownBoxesDetector(clip, delay_s=0.01)},
            progress=reports.append, settings=AnalysisSettings(batch_size=2))
    assert reports and all(r.stage == "analyse" and r.total == clip.frames for r in reports)
    dones = [r.done for r in reports]
    assert dones == sorted(dones) and dones[-1] == clip.frames
    assert len(reports) >= 2 and all(r.fps > 0 for r in reports)
    assert any(r.eta_s is not None and r.eta_s > 0 for r in reports[:-1])


def test_cancel_returns_within_a_batch_and_keeps_partial_tracks(clip):
    det = KnownBoxesDetector(clip, delay_s=0.03)
    asked = {}

    def progress(p):
        if p.done >= 16 and not asked:
            asked["at"] = time.monotonic()
            asked["seen"] = len(det.seen)

    settings = AnalysisSettings(batch_size=4)
    with pytest.raises(AnalysisCancelled) as info:
        analyze(clip.path, classes=["face"], detectors={"face": det}, progress=progress,
                cancel=lambda: bool(asked), settings=settings)
    returned = time.monotonic()
    assert returned - asked["at"] < 0.5
    assert len(det.seen) - asked["seen"] <= settings.batch_size  # at most one more batch
    partial = info.value.partial
    assert partial.analysis["cancelled"] is True
    done = partial.analysis["frames_analyzed"]
    assert 16 <= done < clip.frames
    assert len(partial.tracks) == 2
    for f in range(done):  # what was analysed stays masked
        assert all(covered(partial, f, box, MaskStyle().margin) for box in clip.boxes[f])


def test_cancel_while_waiting_for_a_slow_decoder_is_prompt(clip, monkeypatch):
    import anonymizer_gui.core.analysis.analyzer as analyze_module

    def slow_frames(path, info=None, **_):
        for index in range(info.frame_count):
            time.sleep(0.3)
            yield index, np.zeros((info.height, info.width, 3), np.uint8)

    monkeypatch.setattr(analyze_module, "iter_frames", slow_frames)
    start = time.monotonic()
    with pytest.raises(AnalysisCancelled):
        analyze(clip.path, classes=["face"], detectors={"face": KnownBoxesDetector(clip)},
                cancel=lambda: time.monotonic() - start > 0.2)
    assert time.monotonic() - start < 1.0


def test_tracks_are_streamed_as_they_end(clip):
    # box 0 is only detected on frames 0-9: its track ends long before the clip does
    det = KnownBoxesDetector(clip, dropout=0.0, only_boxes={0: range(10)})
    calls = []
    settings = AnalysisSettings(max_lost_s=0.2, extend_s=0.1)
    project = analyze(clip.path, classes=["face"], detectors={"face": det}, settings=settings,
                      on_tracks=lambda tracks: calls.append((len(det.seen), [t.id for t in tracks])))
    assert len(calls) == 2
    assert calls[0][0] < clip.frames  # the first track arrived while analysis was still running
    assert sorted(i for _, ids in calls for i in ids) == sorted(t.id for t in project.tracks)


def test_detect_every_kth_frame_still_covers_every_frame(clip):
    det = KnownBoxesDetector(clip, dropout=0.0)
    project = analyze(clip.path, classes=["face"], detectors={"face": det},
                      settings=AnalysisSettings(detect_every=3))
    assert sorted(det.seen) == sorted(set(range(0, clip.frames, 3)) | {clip.frames - 1})
    margin = MaskStyle().margin
    assert all(covered(project, f, box, margin) for f in range(clip.frames) for box in clip.boxes[f])
    assert project.analysis["frames_analyzed"] == clip.frames


def test_detections_below_the_threshold_start_no_track(clip):
    det = KnownBoxesDetector(clip, score=0.3)
    project = analyze(clip.path, classes=["face"], detectors={"face": det},
                      settings=AnalysisSettings(thresholds={"face": 0.5}))
    assert project.tracks == []


def test_still_image_is_one_frame_project(still_factory):
    still = still_factory("photo.png", width=320, height=240)
    det = KnownBoxesDetector(still, dropout=0.0)
    project = analyze(still.path, classes=["face"], detectors={"face": det})
    assert project.media.frame_count == 1
    assert len(project.tracks) == len(still.boxes[0]) > 0
    for track, box in zip(sorted(project.tracks, key=lambda t: shape_at(t, 0).bbox()[0]),
                          sorted(still.boxes[0])):
        assert [k.frame for k in track.keyframes] == [0]
        assert covered(project, 0, box, MaskStyle().margin)


def test_bad_input_and_bad_settings_are_user_errors(tmp_path, clip):
    with pytest.raises(MediaError):
        analyze(make_zero_bytes(tmp_path / "empty.mp4"), classes=["face"],
                detectors={"face": KnownBoxesDetector(clip)})
    with pytest.raises(AnonymizerError):
        AnalysisSettings(detect_every=0)
    with pytest.raises(AnonymizerError):
        AnalysisSettings(thresholds={"face": 1.5})


def test_tracks_of_one_box_seen_twice_are_grouped(clip):
    # box 0 is detected on frames 0-9 and 30-47: two tracks of one "person"; box 1 is another one
    det = KnownBoxesDetector(clip, dropout=0.0, only_boxes={0: [*range(10), *range(30, 48)]})
    settings = AnalysisSettings(classes=("face",), max_lost_s=0.2, extend_s=0.1, interior_extend_s=0.1)
    project = analyze(clip.path, detectors={"face": det}, settings=settings)
    assert len(project.tracks) == 3
    box0 = [t for t in project.tracks if t.first_frame >= 25 or t.last_frame <= 15]
    other = [t for t in project.tracks if t not in box0]
    assert len(box0) == 2 and len(other) == 1
    assert box0[0].group == box0[1].group != other[0].group
    assert all(t.group is not None for t in project.tracks)
    off = analyze(clip.path, detectors={"face": KnownBoxesDetector(clip, dropout=0.0)},
                  settings=AnalysisSettings(classes=("face",), group_people=False))
    assert all(t.group is None for t in off.tracks)


def test_an_object_missed_for_longer_than_max_lost_is_still_one_track(clip):
    # box 0 is missed on frames 30-35 (6 frames) after box 1 has crossed it: more than max_lost_s
    # (0.2 s, 5 frames), so the tracker alone gives it up and starts over; linking joins the pieces
    seen = set(range(0, 30)) | set(range(36, clip.frames))
    det = KnownBoxesDetector(clip, dropout=0.0, only_boxes={0: seen})
    settings = AnalysisSettings(max_lost_s=0.2, extend_s=0.0)
    split = analyze(clip.path, classes=["face"], detectors={"face": det},
                    settings=AnalysisSettings(max_lost_s=0.2, extend_s=0.0, link_tracks=False))
    joined = analyze(clip.path, classes=["face"], detectors={"face": KnownBoxesDetector(clip, dropout=0.0,
                                                                                           only_boxes={0: seen})},
                     settings=settings)
    assert len(split.tracks) == len(joined.tracks) + 1
    assert joined.analysis["linking"] == {"linked": 1, "absorbed": 0} and split.analysis["linking"] is None
    margin = MaskStyle().margin
    for f in range(clip.frames):  # the gap is masked too: fail closed across the link
        assert covered(joined, f, clip.boxes[f][0], margin), f"frame {f}"
