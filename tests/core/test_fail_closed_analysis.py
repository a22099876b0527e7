"""Fail-closed analysis (issue 9): detect-every-K extension, overlapping detections, the detection box
inside the mask whatever the margin."""

from __future__ import annotations

import numpy as np

from anonymizer_gui.core.analysis.analyzer import AnalysisSettings, analyze
from anonymizer_gui.core.project.interpolate import masks_at
from tests.clips import MovingBox, make_clip
from tests.core.test_analyze import KnownBoxesDetector


def _inside(box, shape_box) -> bool:
    return (shape_box[0] <= box[0] + 1e-6 and shape_box[1] <= box[1] + 1e-6
            and shape_box[2] >= box[2] - 1e-6 and shape_box[3] >= box[3] - 1e-6)


def test_detect_every_k_masks_a_face_from_where_it_enters_to_where_it_leaves(tmp_path):
    truth = make_clip(tmp_path / "still_face.mp4", frames=80, boxes=[MovingBox(120, 80, 48, 56)])
    visible = range(10, 49)  # 39 frames, seen by the detector only on frame 25 at K = 25
    detector = KnownBoxesDetector(truth, noise=0.0, dropout=0.0, only_boxes={0: visible})
    project = analyze(truth.path, ["face"], AnalysisSettings(classes=("face",), detect_every=25),
                      detectors={"face": detector})
    unmasked = [f for f in visible
                if not any(_inside(truth.boxes[f][0], shape.bbox()) for _, shape, _ in masks_at(project, f))]
    assert unmasked == []


def test_every_detection_lies_inside_the_mask_even_with_a_margin_of_zero():
    from anonymizer_gui.core.project.interpolate import shape_at
    from anonymizer_gui.core.tracking import tracklet_to_track
    from tests.core.test_track_postprocess import FRAME, make_tracklet

    def path(f):
        return np.array([100 + 2.0 * f, 120 + np.sin(f / 4) * 10, 160 + 2.0 * f, 190 + np.sin(f / 4) * 10])

    tracklet = make_tracklet(path, range(0, 60), noise=0.05, seed=3)
    track = tracklet_to_track(tracklet, 80, FRAME)
    for frame, box in zip(tracklet.frames, tracklet.boxes):
        assert _inside(box, shape_at(track, frame).bbox()), frame


def test_overlapping_detections_are_masked_over_their_union():
    from anonymizer_gui.core.detect.base import Detections
    from anonymizer_gui.core.detect.nms import nms

    dets = Detections.create([[100, 100, 160, 170], [92, 104, 158, 176], [300, 300, 340, 340]],
                             [0.9, 0.8, 0.7], None, ("face",))
    out = nms(dets, 0.5)
    assert len(out) == 2
    assert out.boxes[0].tolist() == [92, 100, 160, 176]  # the union of the two overlapping boxes
    assert out.boxes[1].tolist() == [300, 300, 340, 340]
    assert out.scores.tolist() == dets.scores[[0, 2]].tolist()
