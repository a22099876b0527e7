"""Detectors end to end: small generated ONNX graphs through the registry (always), and the real
CenterFace and plate weights (marked `needs_models`: they FAIL when the weights are missing, since CI
fetches them first; deselect offline with `-m "not needs_models"`)."""

from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from anonymizer_gui.core.detect import manifest as models
from anonymizer_gui.core.detect import create_detector
from anonymizer_gui.core.detect.centerface import resized_model_bytes
from anonymizer_gui.core.foundation.errors import ModelError


# --- generated graphs ------------------------------------------------------------------------------

def toy_centerface(path) -> None:
    """CenterFace's interface on four 4x4 stride-4 convolutions: a white 4x4 cell is a face of 8x8.

    Like the real export, it declares a 10x3x32x32 input and lists its weights among the inputs.
    """
    def conv(name, out_ch, weight, bias):
        w = numpy_helper.from_array(np.full((out_ch, 3, 4, 4), weight, np.float32), f"{name}.w")
        b = numpy_helper.from_array(np.asarray(bias, np.float32).reshape(out_ch), f"{name}.b")
        node = helper.make_node("Conv", ["input.1", w.name, b.name], [name], kernel_shape=[4, 4], strides=[4, 4])
        return node, [w, b]

    heat, heat_w = conv("heat_logit", 1, 1 / 48, [-200.0])  # white cell: 255 - 200 > 0
    scale, scale_w = conv("538", 2, 0.0, [np.log(2.0)] * 2)  # exp(log 2) * 4 = 8 px
    offset, offset_w = conv("539", 2, 0.0, [0.0, 0.0])
    marks, marks_w = conv("540", 10, 0.0, [0.5] * 10)
    sigmoid = helper.make_node("Sigmoid", ["heat_logit"], ["537"])
    weights = heat_w + scale_w + offset_w + marks_w
    inputs = [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [10, 3, 32, 32])]
    inputs += [helper.make_tensor_value_info(w.name, TensorProto.FLOAT, list(w.dims)) for w in weights]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [10, c, 8, 8])
               for n, c in (("537", 1), ("538", 2), ("539", 2), ("540", 10))]
    graph = helper.make_graph([heat, sigmoid, scale, offset, marks], "toy_centerface", inputs, outputs, weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
    model.ir_version = 4
    onnx.save(model, str(path))


def toy_yolo(path) -> None:
    """A static 1x3x64x64 YOLOv8 interface whose output is constant: one 'plate' box at (24..40, 12..20)."""
    const = np.zeros((1, 6, 2), np.float32)
    const[0, :, 0] = [32, 16, 16, 8, 0.05, 0.9]  # cx, cy, w, h, person, plate
    const[0, :, 1] = [5, 5, 4, 4, 0.1, 0.0]  # below any threshold
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["candidates", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "toy_yolo", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 6, 2])],
        [numpy_helper.from_array(const, "candidates"), numpy_helper.from_array(np.zeros((), np.float32), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    """A user manifest holding the generated graphs as local entries."""
    toy_centerface(tmp_path / "toy_centerface.onnx")
    toy_yolo(tmp_path / "toy_yolo.onnx")
    sha = {n: hashlib.sha256((tmp_path / f"{n}.onnx").read_bytes()).hexdigest() for n in ("toy_centerface", "toy_yolo")}
    manifest = {"models": [
        {"name": "toy_centerface", "task": "toyface", "family": "centerface", "path": "toy_centerface.onnx",
         "sha256": sha["toy_centerface"], "licence": "MIT", "params": {"input_size": [64, 64]}},
        {"name": "toy_yolo", "task": "toyplate", "family": "yolov8", "path": "toy_yolo.onnx",
         "sha256": sha["toy_yolo"], "licence": "MIT", "labels": ["person", "plate"]},
        {"name": "toy_bad_family", "task": "x", "family": "nope", "path": "toy_yolo.onnx",
         "sha256": sha["toy_yolo"], "licence": "MIT"},
    ]}
    (tmp_path / "models.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("ANONYMIZER_GUI_USER_MANIFEST", str(tmp_path / "models.json"))
    return tmp_path


def test_centerface_graph_is_resized_and_its_weights_leave_the_inputs(user_models):
    data = resized_model_bytes(str(user_models / "toy_centerface.onnx"), 64, 96)
    model = onnx.load_from_string(data)
    assert [i.name for i in model.graph.input] == ["input.1"]
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 3, 96, 64]
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"input.1": np.zeros((2, 3, 96, 64), np.float32)})
    assert [o.shape for o in outputs] == [(2, 1, 24, 16), (2, 2, 24, 16), (2, 2, 24, 16), (2, 10, 24, 16)]


def test_centerface_detector_maps_faces_back_to_frame_pixels(user_models):
    detector = create_detector("toyface", device="cpu", score_threshold=0.5)
    frame = np.zeros((100, 150, 3), np.uint8)
    frame[40:44, 80:84] = 255  # one cell of the stride-4 grid at native scale

    (dets,) = detector.detect([frame])

    assert detector.name == "toy_centerface" and dets.label_names == ("toyface",)
    # coarse pass scales 150x100 by 0.64 and the white block falls between cells; a fine pass at
    # native scale sees it exactly: centre (82, 42), 8 x 8
    assert len(dets) >= 1
    best = dets.boxes[np.argmax(dets.scores)]
    np.testing.assert_allclose(best, [78, 38, 86, 46], atol=1.0)
    assert dets.keypoints.shape[1:] == (5, 2)


def test_yolo_detector_reads_a_static_graph_and_undoes_the_letterbox(user_models):
    detector = create_detector("toy_yolo", device="cpu", min_scale=0.05)
    frame = np.full((64, 128, 3), 80, np.uint8)  # scaled by 0.5 to 64x32, padded below to 64x64

    (dets,) = detector.detect([frame])

    assert detector.work_size == (64, 64) and detector.batch_size == 1
    assert dets.names == ["plate"]
    np.testing.assert_allclose(dets.boxes, [[48, 24, 80, 40]], atol=1e-3)
    assert len(create_detector("toy_yolo", device="cpu", min_scale=0.05, classes=["person"]).detect([frame])[0]) == 0


def test_registry_refuses_unknown_families_settings_and_names(user_models):
    with pytest.raises(ModelError, match="family 'nope'; known families: centerface, retina_plate, yolov8"):
        create_detector("toy_bad_family")
    with pytest.raises(ModelError, match="unknown setting thresh; known: .*score_threshold"):
        create_detector("toy_yolo", thresh=0.3)
    with pytest.raises(ModelError, match="'cat' is neither a model nor a task"):
        create_detector("cat")
    with pytest.raises(ModelError, match="classes dog are not among its labels"):
        create_detector("toy_yolo", classes=["dog"])


# --- the real weights ---------------------------------------------------------------------------------

def real_detector(task, **settings):
    try:
        return create_detector(task, device="cpu", **settings)
    except ModelError as exc:
        problem = str(exc)
    pytest.fail(f"{problem}. CI fetches the models before the tests; offline, deselect these tests with "
                f"-m 'not needs_models'", pytrace=False)


@pytest.fixture(scope="module")
def astronaut():
    import skimage.data  # a dependency of the project; never a reason to skip

    return np.ascontiguousarray(skimage.data.astronaut()[..., ::-1])


def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


ASTRONAUT_FACE = (180, 55, 270, 180)  # drawn by hand on skimage.data.astronaut(), 512x512


@pytest.mark.needs_models
def test_real_centerface_finds_the_astronaut_face(astronaut):
    detector = real_detector("face")
    plain, mirrored = detector.detect([astronaut, np.ascontiguousarray(astronaut[:, ::-1])])

    assert len(plain) == 1 and plain.scores[0] > 0.8
    assert iou(plain.boxes[0], ASTRONAUT_FACE) > 0.7
    eyes_y, nose_y, mouth_y = plain.keypoints[0, :2, 1].mean(), plain.keypoints[0, 2, 1], plain.keypoints[0, 3:, 1].mean()
    assert eyes_y < nose_y < mouth_y
    x1, y1, x2, y2 = plain.boxes[0]
    np.testing.assert_allclose(mirrored.boxes[0], [512 - x2, y1, 512 - x1, y2], atol=4)


@pytest.mark.needs_models
def test_real_centerface_finds_a_small_face_in_a_large_frame_through_the_fine_tiles(astronaut):
    # a small working size keeps the test fast; the planning is the same as 1280x736 on 4K
    detector = real_detector("face", input_size=(640, 384), max_window=(960, 544))
    k = 20 / (ASTRONAUT_FACE[3] - ASTRONAUT_FACE[1])  # a 20 px face: 10 px in the coarse pass (RGB input finds 14 px)
    small = cv2.resize(astronaut, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 40, np.uint8)
    frame[500:500 + small.shape[0], 900:900 + small.shape[1]] = small
    expected = np.array(ASTRONAUT_FACE) * k + [900, 500, 900, 500]
    windows = detector.windows_for(1280, 720)
    assert windows[0].scale == 0.5 and len(windows) == 5 and all(w.scale == 1.0 for w in windows[1:])

    (dets,) = detector.detect([frame])
    (coarse_only,) = real_detector("face", input_size=(640, 384), min_scale=0.05).detect([frame])

    assert len(dets) >= 1 and iou(dets.boxes[0], expected) > 0.5
    assert all(iou(box, expected) < 0.5 for box in coarse_only.boxes)  # what tiling is for


def plate_scene(style):
    import skimage.data

    scene = cv2.resize(np.ascontiguousarray(skimage.data.coffee()[..., ::-1]), (1280, 720))
    plate = np.full((170, 520, 3), 255 if style == "european" else (170, 60, 20), np.uint8)
    ink = (0, 0, 0) if style == "european" else (255, 255, 255)
    cv2.rectangle(plate, (4, 4), (515, 165), ink, 6)
    if style == "european":
        cv2.rectangle(plate, (7, 7), (60, 162), (160, 60, 0), -1)  # the blue band (the model needs it)
    cv2.putText(plate, "AB 123 CD", (70, 115), cv2.FONT_HERSHEY_SIMPLEX, 2.6, ink, 10, cv2.LINE_AA)
    quad = np.float32([[500, 400], [660, 408], [660, 460], [500, 452]])  # 160 px wide, seen at an angle
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [520, 0], [520, 170], [0, 170]]), quad)
    warped = cv2.warpPerspective(plate, matrix, (1280, 720))
    mask = cv2.warpPerspective(np.full((170, 520), 255, np.uint8), matrix, (1280, 720)) > 127
    scene[mask] = warped[mask]
    return scene, quad


@pytest.mark.needs_models
@pytest.mark.parametrize("style", ["european", "chinese"])
def test_real_plate_detector_finds_a_drawn_plate_in_perspective(style):
    detector = real_detector("plate")
    scene, quad = plate_scene(style)

    (dets,) = detector.detect([scene])

    assert len(dets) == 1 and dets.names == ["plate"] and dets.scores[0] > 0.3
    truth = (*quad.min(axis=0), *quad.max(axis=0))
    assert iou(dets.boxes[0], truth) > 0.6
    np.testing.assert_allclose(dets.keypoints[0], quad, atol=20)  # clockwise from the top-left; 1/8 width


@pytest.mark.needs_models
def test_real_plate_detector_stays_quiet_on_a_portrait(astronaut):
    assert len(real_detector("plate").detect([astronaut])[0]) == 0


@pytest.mark.needs_models
def test_real_models_are_verified_in_the_cache():
    states = {s.name: s.state for s in models.list_models()}
    assert states.get("centerface") == states.get("clp_det") == models.VERIFIED, \
        f"{states}: run `anonymizer-gui models fetch`"


def test_detectors_can_be_made_without_the_planned_memory_block_and_find_the_same(user_models):
    frame = np.zeros((100, 150, 3), np.uint8)
    frame[40:44, 80:84] = 255
    planned = create_detector("toyface", device="cpu", score_threshold=0.5)
    unplanned = create_detector("toyface", device="cpu", score_threshold=0.5, planned_memory=False)
    (a,), (b,) = planned.detect([frame]), unplanned.detect([frame])
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert not unplanned._session_for(unplanned.work_size)._session.get_session_options().enable_mem_pattern
