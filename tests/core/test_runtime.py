"""Execution-provider choice and the CPU fallback of a failing GPU provider (no GPU needed)."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from anonymizer_gui.core.detect import runtime
from anonymizer_gui.core.detect.runtime import (CPU, CUDA, DIRECTML, ModelSession, ProviderFallbackWarning,
                                                choose_providers)
from anonymizer_gui.core.foundation.errors import ModelError

REAL_SESSION = ort.InferenceSession


def plus_one_model() -> bytes:
    """A real one-node graph: Y = X + 1."""
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph([helper.make_node("Add", ["X", "one"], ["Y"])], "plus_one",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 2])], [one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


@pytest.fixture(autouse=True)
def fresh_failures():
    runtime.reset_provider_failures()
    yield
    runtime.reset_provider_failures()


@pytest.fixture
def gpu_machine(monkeypatch):
    """onnxruntime offers CUDA and an NVIDIA driver is present (as far as our checks can tell)."""
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(runtime, "cuda_driver_problem", lambda: None)
    monkeypatch.setattr(runtime, "_preload_gpu_libraries", lambda: None)


class FakeGpuSession:
    """Stands in for a CUDA session: optionally failing at creation or at run; CPU sessions are real."""

    fail_create = False
    fail_run = False
    drop_provider = False
    created: list[tuple[str, ...]] = []

    def __new__(cls, model, sess_options=None, providers=None):
        cls.created.append(tuple(providers))
        if providers[0] == CPU:
            return REAL_SESSION(model, sess_options=sess_options, providers=providers)
        if cls.fail_create:
            raise RuntimeError("CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version")
        return super().__new__(cls)

    def __init__(self, model, sess_options=None, providers=None):
        # (name, options) pairs are reported by name, as onnxruntime does
        self._providers = [CPU] if self.drop_provider else [p[0] if isinstance(p, tuple) else p for p in providers]
        self.options = dict(p for p in providers if isinstance(p, tuple))

    def get_providers(self):
        return self._providers

    def get_inputs(self):
        return REAL_SESSION(plus_one_model(), providers=[CPU]).get_inputs()

    def get_outputs(self):
        return REAL_SESSION(plus_one_model(), providers=[CPU]).get_outputs()

    def run(self, outputs, feeds):
        if self.fail_run:
            raise RuntimeError("CUDA error: out of memory")
        return [feeds["X"] + 1]

    # IO binding, as onnxruntime's CUDA sessions offer it
    runs_bound = 0

    def io_binding(self):
        return FakeBinding()

    def run_with_iobinding(self, binding):
        type(self).runs_bound += 1
        binding.outputs = {name: out for name, out in zip(binding.output_names, self.run(None, binding.inputs))}


class FakeBinding:
    def __init__(self):
        self.inputs, self.output_names, self.outputs = {}, [], {}

    def bind_cpu_input(self, name, array):
        assert array.flags.c_contiguous
        self.inputs[name] = array

    def bind_output(self, name, device_type="cpu", device_id=0):
        assert (device_type, device_id) == ("cuda", 0)
        self.output_names.append(name)

    def copy_outputs_to_cpu(self):
        return [self.outputs[name] for name in self.output_names]


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setattr(runtime.ort, "InferenceSession", FakeGpuSession)
    FakeGpuSession.fail_create = FakeGpuSession.fail_run = FakeGpuSession.drop_provider = False
    FakeGpuSession.created = []
    FakeGpuSession.runs_bound = 0
    return FakeGpuSession


def test_cpu_is_chosen_when_asked():
    choice = choose_providers("cpu")
    assert choice.providers == (CPU,) and choice.device == "cpu" and "requested" in choice.reason


def test_auto_without_gpu_provider_uses_cpu_and_says_why(monkeypatch):
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: [CPU])
    choice = choose_providers("auto")
    assert choice.providers == (CPU,)
    assert "no GPU execution provider" in choice.reason


def test_auto_with_gpu_build_but_no_driver_uses_cpu_without_trying_cuda(monkeypatch):
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: ["TensorrtExecutionProvider", CUDA, CPU])
    monkeypatch.setattr(runtime, "cuda_driver_problem", lambda: "no NVIDIA driver was found")
    choice = choose_providers("auto")
    assert choice.providers == (CPU,)
    assert "no NVIDIA driver" in choice.reason


def test_auto_prefers_cuda_then_directml_and_never_tensorrt(gpu_machine, monkeypatch):
    assert choose_providers("auto").providers == (CUDA, CPU)
    monkeypatch.setattr(runtime.ort, "get_available_providers",
                        lambda: ["TensorrtExecutionProvider", DIRECTML, CPU])
    choice = choose_providers("auto")
    assert choice.providers == (DIRECTML, CPU) and choice.device == "directml"


def test_explicit_cuda_without_the_provider_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: [CPU])
    with pytest.raises(ModelError, match="device 'cuda' was requested.*onnxruntime-gpu"):
        choose_providers("cuda")


def test_explicit_cuda_without_a_driver_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(runtime, "cuda_driver_problem", lambda: "no NVIDIA driver was found")
    with pytest.raises(ModelError, match="no NVIDIA driver"):
        choose_providers("cuda")


def test_unknown_device_is_refused():
    with pytest.raises(ModelError, match="unknown device 'gpu0'"):
        choose_providers("gpu0")


def test_gpu_failing_at_session_creation_falls_back_to_cpu_with_warning(gpu_machine, fake_gpu):
    fake_gpu.fail_create = True
    with pytest.warns(ProviderFallbackWarning, match="CUDA could not start faces.*driver version"):
        session = ModelSession(plus_one_model(), device="auto", label="faces")

    assert session.choice.providers == (CPU,)
    assert session.choice.reason.startswith("CPU: CUDA could not start faces")
    np.testing.assert_allclose(session.run({"X": np.zeros((1, 2), np.float32)})[0], [[1, 1]])
    # the rest of the process does not try CUDA again
    later = choose_providers("auto")
    assert later.providers == (CPU,) and "failed earlier" in later.reason


def test_gpu_provider_silently_dropped_by_onnxruntime_is_reported(gpu_machine, fake_gpu):
    fake_gpu.drop_provider = True  # what onnxruntime-gpu does when libcudnn is missing
    with pytest.warns(ProviderFallbackWarning, match="could not be loaded.*cuDNN"):
        session = ModelSession(plus_one_model(), device="auto")
    assert session.device == "cpu"


def test_gpu_failing_at_first_run_reruns_on_cpu(gpu_machine, fake_gpu):
    fake_gpu.fail_run = True
    session = ModelSession(plus_one_model(), device="cuda")
    assert session.device == "cuda"

    with pytest.warns(ProviderFallbackWarning, match="out of memory"):
        out = session.run({"X": np.full((2, 2), 2, np.float32)})

    np.testing.assert_allclose(out[0], np.full((2, 2), 3))
    assert session.device == "cpu"
    assert fake_gpu.created[-1] == (CPU,)


def test_cpu_session_has_quiet_logs_and_bounded_threads(monkeypatch):
    monkeypatch.setenv("ANONYMIZER_GUI_THREADS", "3")
    options = runtime.session_options(CPU)
    assert options.log_severity_level == 3 and options.intra_op_num_threads == 3
    monkeypatch.delenv("ANONYMIZER_GUI_THREADS")
    assert 1 <= runtime.default_threads() <= 8
    monkeypatch.setenv("ANONYMIZER_GUI_THREADS", "many")
    with pytest.raises(ModelError, match="ANONYMIZER_GUI_THREADS"):
        runtime.default_threads()


def test_cpu_session_runs_a_real_model_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = ModelSession(plus_one_model(), device="cpu")
        out = session.run({"X": np.ones((3, 2), np.float32)})
    np.testing.assert_allclose(out[0], np.full((3, 2), 2))
    assert session.input_names == ["X"] and session.output_names == ["Y"]


def test_a_broken_model_on_cpu_is_a_model_error():
    with pytest.raises(ModelError, match="cannot load broken.onnx"):
        ModelSession(b"not an onnx file", device="cpu", label="broken.onnx")


def test_cuda_runs_through_io_binding_with_the_tuned_provider_options(gpu_machine, fake_gpu):
    session = ModelSession(plus_one_model(), device="cuda")
    assert session.device == "cuda"
    assert fake_gpu.created[-1][0] == (CUDA, runtime.CUDA_OPTIONS)
    batch = np.arange(8, dtype=np.float32).reshape(4, 2)[:, ::-1]  # a strided view: bound as a copy
    out = session.run({"X": batch})
    np.testing.assert_allclose(out[0], batch + 1)
    assert fake_gpu.runs_bound == 1


def test_cuda_failing_under_io_binding_reruns_the_batch_on_cpu(gpu_machine, fake_gpu):
    session = ModelSession(plus_one_model(), device="cuda")
    fake_gpu.fail_run = True
    with pytest.warns(ProviderFallbackWarning, match="out of memory"):
        out = session.run({"X": np.ones((4, 2), np.float32)})
    np.testing.assert_allclose(out[0], np.full((4, 2), 2))
    assert session.device == "cpu" and fake_gpu.created[-1] == (CPU,)


def test_cpu_sessions_do_not_spin_idle_threads():
    options = runtime.session_options(CPU, threads=2)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.enable_cpu_mem_arena and options.inter_op_num_threads == 1


def test_cpu_sessions_share_one_arena_and_still_run():
    # Each session's own arena kept its peak: a 1080p analysis's sessions held 3.2 GB between them.
    options = runtime.session_options(CPU, threads=1)
    assert runtime._shared_cpu_arena()
    assert options.get_session_config_entry("session.use_env_allocators") == "1"
    first, second = ModelSession(plus_one_model(), device="cpu"), ModelSession(plus_one_model(), device="cpu")
    for session in (first, second):
        np.testing.assert_allclose(session.run({"X": np.ones((3, 2), np.float32)})[0], np.full((3, 2), 2))
    # The editor may analyse and check an export at once: two sessions on two threads, one arena.
    import threading

    wrong = []

    def hammer(session, seed):
        rng = np.random.default_rng(seed)
        for _ in range(300):
            x = rng.random((int(rng.integers(1, 5000)), 2), dtype=np.float32)
            if not np.array_equal(session.run({"X": x})[0], x + 1):
                wrong.append(seed)

    threads = [threading.Thread(target=hammer, args=(s, i)) for i, s in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_a_session_can_run_without_the_planned_memory_block():
    # The leak check runs a few large frames: one planned block per run is its largest allocation.
    assert runtime.session_options(CPU).enable_mem_pattern
    session = ModelSession(plus_one_model(), device="cpu", planned_memory=False)
    assert not session._session.get_session_options().enable_mem_pattern
    np.testing.assert_allclose(session.run({"X": np.ones((3, 2), np.float32)})[0], np.full((3, 2), 2))
