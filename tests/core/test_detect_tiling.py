"""Windows (coarse pass + fine tiles) and their merge, with a weightless detector of white blobs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from anonymizer_gui.core.detect.base import Detections
from anonymizer_gui.core.detect.runtime import ProviderChoice
from anonymizer_gui.core.detect.tiling import WindowedDetector, merge_detections, plan_windows


class WhiteBlobDetector(WindowedDetector):
    """Finds white rectangles, but only those at least `smallest` model pixels tall, like a real model."""

    family, tasks = "test", ("blob",)
    name, task, label_names, score_threshold = "blobs", "blob", ("blob",), 0.5
    provider = ProviderChoice(("CPUExecutionProvider",), "test")

    def __init__(self, work_size, min_scale=1.0, max_window=(160, 128), smallest=6):
        self.work_size, self.min_scale, self.max_window, self.smallest = work_size, min_scale, max_window, smallest
        self.min_object = 16.0
        self.nms_iou = 0.4
        self.calls: list[tuple[int, ...]] = []

    def input_shape_for(self, model_size):
        return tuple(-(-v // 32) * 32 for v in model_size)

    def _infer(self, batch):
        self.calls.append(batch.shape)
        out = []
        for image in batch:
            mask = (image[..., 0] > 127).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:count] if h >= self.smallest]
            out.append(Detections.create(boxes, [0.9] * len(boxes), None, self.label_names))
        return out


def frame_with(rects, width=400, height=300):
    frame = np.zeros((height, width, 3), np.uint8)
    for x1, y1, x2, y2 in rects:
        frame[y1:y2, x1:x2] = 255
    return frame


def test_a_frame_within_the_working_size_gets_one_native_pass():
    windows = plan_windows(1280, 720, (1280, 736), min_scale=1.0)
    assert [(w.x0, w.y0, w.x1, w.y1, w.scale) for w in windows] == [(0, 0, 1280, 720, 1.0)]


@pytest.mark.parametrize("frame", [(1920, 1080), (3840, 2160), (1000, 700)])
def test_fine_tiles_cover_the_frame_within_the_window_limit(frame):
    width, height = frame
    windows = plan_windows(width, height, (640, 384), min_scale=1.0, max_window=(960, 544))
    coarse, tiles = windows[0], windows[1:]
    assert (coarse.x0, coarse.y0, coarse.x1, coarse.y1) == (0, 0, width, height) and coarse.scale < 1
    assert tiles and all(w.scale == 1.0 for w in tiles)
    assert all(w.model_size[0] <= 960 and w.model_size[1] <= 544 for w in tiles)
    covered = np.zeros((height, width), bool)
    for w in tiles:
        covered[w.y0:w.y1, w.x0:w.x1] = True
    assert covered.all()
    # neighbours overlap by at least the size above which the coarse pass finds objects
    xs = sorted({w.x0 for w in tiles})
    tile_w = tiles[0].x1 - tiles[0].x0
    if len(xs) > 1:
        assert min(tile_w - (b - a) for a, b in zip(xs, xs[1:])) >= 32 / coarse.scale - 1


def test_small_object_missed_by_the_coarse_pass_is_found_by_tiles_in_frame_pixels():
    detector = WhiteBlobDetector(work_size=(128, 96))
    frame = frame_with([(300, 200, 310, 210)])  # 10 px: 3 px in the coarse pass, below `smallest`

    coarse_only = WhiteBlobDetector(work_size=(128, 96), min_scale=0.1).detect([frame])[0]
    dets = detector.detect([frame])[0]

    assert len(coarse_only) == 0
    np.testing.assert_allclose(dets.boxes, [[300, 200, 310, 210]], atol=1.0)


def test_object_in_a_tile_overlap_is_reported_once():
    detector = WhiteBlobDetector(work_size=(128, 96))
    windows = detector.windows_for(400, 300)
    overlap_x = (windows[2].x0, windows[1].x1)  # the first row's two tiles share these columns
    x = (overlap_x[0] + overlap_x[1]) // 2 - 4
    dets = detector.detect([frame_with([(x, 40, x + 8, 48)])])[0]
    np.testing.assert_allclose(dets.boxes, [[x, 40, x + 8, 48]], atol=1.0)


def test_large_object_cut_by_tile_borders_keeps_its_whole_box():
    detector = WhiteBlobDetector(work_size=(128, 96))
    frame = frame_with([(100, 60, 300, 240)])  # spans every tile; only the coarse pass sees it whole

    dets = detector.detect([frame])[0]

    assert len(dets) == 1
    np.testing.assert_allclose(dets.boxes[0], [100, 60, 300, 240], atol=3.0)


def test_batches_group_windows_of_the_same_input_shape_across_frames():
    detector = WhiteBlobDetector(work_size=(128, 96))
    detector.batch_size = 16
    frames = [frame_with([(10 * i, 10, 10 * i + 20, 30)]) for i in range(3)]
    results = detector.detect(frames)
    assert [len(r) for r in results] == [1, 1, 1]
    np.testing.assert_allclose(results[2].boxes, [[20, 10, 40, 30]], atol=1.5)
    tiles = len(detector.windows_for(400, 300)) - 1
    # the three coarse windows share one batch; the tiles fill batches of 16
    assert [shape[0] for shape in detector.calls] == [3] + [16] * (3 * tiles // 16) + \
        ([3 * tiles % 16] if 3 * tiles % 16 else [])


def test_merge_drops_a_cut_part_inside_a_whole_box_but_keeps_a_whole_small_box():
    whole = Detections.create([[0, 0, 100, 100]], [0.4], None, ("face",))
    parts = Detections.create([[50, 0, 100, 100], [10, 10, 30, 30]], [0.9, 0.8], None, ("face",))
    merged = merge_detections([whole, parts], iou_threshold=0.3, containment=0.7,
                              cut=[np.array([False]), np.array([True, False])])
    # the cut half is gone and its score moved to the whole box; the whole small box stays
    np.testing.assert_allclose(merged.boxes, [[0, 0, 100, 100], [10, 10, 30, 30]])
    np.testing.assert_allclose(merged.scores, [0.9, 0.8])


def test_merge_without_cut_information_is_plain_nms():
    a = Detections.create([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.5, 0.9, 0.3], None, ("x",))
    merged = merge_detections([a], iou_threshold=0.5)
    np.testing.assert_allclose(merged.boxes, [[1, 1, 11, 11], [50, 50, 60, 60]])


def test_on_the_cpu_a_run_holds_only_as_many_windows_as_fit_the_pixel_budget(monkeypatch):
    # A CPU gains little from batching and its buffers grow with the batch: large windows run
    # one by one, small ones still share a run; a GPU keeps its batches.
    from anonymizer_gui.core.detect import tiling

    monkeypatch.setattr(tiling, "CPU_BATCH_PIXELS", 128 * 96 * 2)
    detector = WhiteBlobDetector(work_size=(128, 96))
    detector.batch_size = 16
    frames = [frame_with([(10 * i, 10, 10 * i + 20, 30)]) for i in range(3)]
    on_cpu = detector.detect(frames)
    assert [shape[0] for shape in detector.calls][:2] == [2, 1]  # three 128x96 coarse windows
    assert max(shape[0] * shape[1] * shape[2] for shape in detector.calls) <= 128 * 96 * 2
    detector.calls.clear()
    detector.provider = ProviderChoice(("CUDAExecutionProvider", "CPUExecutionProvider"), "test")
    on_gpu = detector.detect(frames)
    assert detector.calls[0][0] == 3
    for a, b in zip(on_cpu, on_gpu):
        np.testing.assert_array_equal(a.boxes, b.boxes)
