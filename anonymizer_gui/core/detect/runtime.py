"""onnxruntime sessions: execution-provider choice, CPU fallback, quiet logs, thread count.

Provider order for `device="auto"`: CUDA (only where an NVIDIA driver is present), DirectML, CoreML, CPU.
TensorRT is never picked automatically: it compiles an engine per input shape, minutes on first use.

Decisions (documented for the CLI and the report, which show `ModelSession.choice.reason`):
- `device="cpu"` always works.
- `device="cuda"` (or "directml"/"coreml") when this onnxruntime build has no such provider, or CUDA
  has no NVIDIA driver, raises ModelError: the user asked for a GPU explicitly, and silently running
  10x slower on a batch job would be worse than a clear message.
- A GPU provider that is present but fails (libraries missing, session creation error, error at run
  time such as out of memory) falls back to the CPU with a `ProviderFallbackWarning`, in every mode;
  the reason is kept on the session, and later sessions of the process skip that provider.
"""

from __future__ import annotations

import functools
import os
import threading
import warnings
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
import onnxruntime as ort

from ..foundation import ModelError, nvidia_driver_loads

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
DIRECTML = "DmlExecutionProvider"
COREML = "CoreMLExecutionProvider"
DEVICE_PROVIDERS = {"cuda": CUDA, "directml": DIRECTML, "coreml": COREML, "cpu": CPU}
AUTO_ORDER = ("cuda", "directml", "coreml")
DEVICES = ("auto", *DEVICE_PROVIDERS)

# ort's own load-time chatter (unused initializers, provider probing) is noise for our users.
ort.set_default_logger_severity(3)

_broken_providers: dict[str, str] = {}  # provider -> why it failed earlier in this process
_broken_lock = threading.Lock()


class ProviderFallbackWarning(RuntimeWarning):
    """A GPU execution provider failed and the work continues on the CPU."""


class ProviderChoice(NamedTuple):
    providers: tuple[str, ...]  # in priority order, CPU last
    reason: str  # one human sentence: why this device

    @property
    def device(self) -> str:
        return next(dev for dev, prov in DEVICE_PROVIDERS.items() if prov == self.providers[0])


def available_providers() -> list[str]:
    return list(ort.get_available_providers())


def choose_providers(device: str = "auto") -> ProviderChoice:
    device = (device or "auto").lower()
    if device not in DEVICES:
        raise ModelError(f"unknown device '{device}'; choose one of {', '.join(DEVICES)}")
    if device == "cpu":
        return ProviderChoice((CPU,), "CPU, as requested")
    available = available_providers()
    if device != "auto":
        provider = DEVICE_PROVIDERS[device]
        if provider not in available:
            hint = " (install onnxruntime-gpu and the [cuda] extra)" if device == "cuda" else ""
            raise ModelError(f"device '{device}' was requested but this onnxruntime has no {provider}{hint}; "
                             f"it has {', '.join(available)}; use --device auto or cpu")
        problem = cuda_driver_problem() if device == "cuda" else None
        if problem:
            raise ModelError(f"device 'cuda' was requested but {problem}; use --device auto or cpu")
        return ProviderChoice((provider, CPU), f"{device.upper()}, as requested")
    skipped: list[str] = []
    for dev in AUTO_ORDER:
        provider = DEVICE_PROVIDERS[dev]
        if provider not in available:
            continue
        with _broken_lock:
            broken = _broken_providers.get(provider)
        problem = broken and f"{dev.upper()} failed earlier: {broken}"
        if not problem and dev == "cuda":
            problem = cuda_driver_problem()
        if problem:
            skipped.append(problem)
            continue
        return ProviderChoice((provider, CPU), f"{dev.upper()}: onnxruntime offers {provider}")
    why = "; ".join(skipped) if skipped else "this onnxruntime has no GPU execution provider"
    return ProviderChoice((CPU,), f"CPU: {why}")


def cuda_driver_problem() -> str | None:
    """None where the NVIDIA driver library loads; else why CUDA cannot work on this machine."""
    if nvidia_driver_loads():
        return None
    return "no NVIDIA driver was found (onnxruntime-gpu is installed but there is no GPU to use)"


def default_threads() -> int:
    """Intra-op threads: $ANONYMIZER_GUI_THREADS, else the usable cores, at most 8 (little gain beyond)."""
    env = os.environ.get("ANONYMIZER_GUI_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ModelError(f"ANONYMIZER_GUI_THREADS must be a whole number, not '{env}'") from None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def session_options(provider: str, threads: int | None = None, planned_memory: bool = True) -> ort.SessionOptions:
    """planned_memory=False: buffers taken and given back one by one instead of one block planned
    for the whole run (for very large inputs, whose block is the process's largest allocation)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    # The memory arena and pattern stay on (the default; the pattern off where planned_memory is
    # False): the same few input shapes run thousands of times, so every run reuses the first
    # run's buffers (on the CPU from one shared arena).
    options.enable_cpu_mem_arena = True
    # Idle intra-op threads sleep instead of spinning: in `redact` the decoder, the renderer and
    # x264 share the cores with onnxruntime, and a spinning worker takes their time.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if provider == CPU and _shared_cpu_arena():
        options.add_session_config_entry("session.use_env_allocators", "1")
    if provider == DIRECTML or not planned_memory:  # DirectML requires the pattern off
        options.enable_mem_pattern = False
    return options


@functools.lru_cache(maxsize=1)
def _shared_cpu_arena() -> bool:
    """One CPU memory arena for every session of the process, growing only by what is asked for.

    Each session's own arena keeps its peak for good, and an analysis holds a session per input
    size (the full pass, the reduced pass, every close-look size, the plate model): at 1080p they
    held 3.2 GB between them. Shared, the process holds the largest single run's buffers, not
    their sum. False (each session keeps its own arena) where onnxruntime cannot register one.
    """
    try:
        where = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
        ort.create_and_register_allocator(where, ort.OrtArenaCfg({"arena_extend_strategy": 1}))  # kSameAsRequested
    except Exception:  # noqa: BLE001 - an older onnxruntime, or one registered already by the host
        return False
    return True


# CUDA: cuDNN picks its convolution algorithms once per input shape (a handful per analysis), and
# the arena grows only by what is asked for, so a second model still fits beside the first.
CUDA_OPTIONS = {"cudnn_conv_algo_search": "EXHAUSTIVE", "arena_extend_strategy": "kSameAsRequested",
                "do_copy_in_default_stream": "1"}


class ModelSession:
    """An InferenceSession that falls back to the CPU when its GPU provider fails, at creation or run."""

    def __init__(self, model: bytes | str | Path, device: str = "auto", threads: int | None = None,
                 label: str = "model", planned_memory: bool = True):
        self._model = model if isinstance(model, bytes) else str(model)
        self._threads = threads
        self._planned_memory = planned_memory
        self.label = label
        self.choice = choose_providers(device)
        self._session = self._create(self.choice)

    @property
    def device(self) -> str:
        return self.choice.device

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self._session.get_inputs()]

    @property
    def input_shapes(self) -> list[list]:
        return [list(i.shape) for i in self._session.get_inputs()]

    @property
    def output_names(self) -> list[str]:
        return [o.name for o in self._session.get_outputs()]

    def run(self, feeds: dict[str, np.ndarray], outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        try:
            if self.choice.providers[0] == CUDA:
                return self._run_bound(feeds, outputs)
            return self._session.run(list(outputs) if outputs else None, feeds)
        except Exception as exc:  # noqa: BLE001 - any GPU failure (OOM, kernel, driver) falls back
            if self.choice.providers[0] == CPU:
                raise
            self._fall_back(f"{self.choice.device.upper()} failed while running {self.label}: {_short(exc)}")
            return self._session.run(list(outputs) if outputs else None, feeds)

    def _run_bound(self, feeds: dict[str, np.ndarray], outputs: Sequence[str] | None) -> list[np.ndarray]:
        """CUDA with IO binding: each input batch is copied to the GPU once, straight from the
        contiguous host array, and the outputs stay on the GPU until one copy back after the run,
        instead of onnxruntime's per-run staging of every input and output."""
        binding = self._session.io_binding()
        for name, array in feeds.items():
            binding.bind_cpu_input(name, np.ascontiguousarray(array))
        for name in (list(outputs) if outputs else self.output_names):
            binding.bind_output(name, "cuda", 0)
        self._session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()

    def _create(self, choice: ProviderChoice) -> ort.InferenceSession:
        primary = choice.providers[0]
        try:
            session = self._new_session(choice.providers)
        except Exception as exc:  # noqa: BLE001 - provider libraries raise many kinds
            if primary == CPU:
                raise ModelError(f"cannot load {self.label}: {_short(exc)}") from exc
            return self._fall_back(f"{choice.device.upper()} could not start {self.label}: {_short(exc)}",
                                   create=True)
        if session.get_providers()[0] != primary:
            # onnxruntime drops a provider whose libraries fail to load, logging instead of raising.
            hint = " (are the CUDA and cuDNN libraries installed? see the [cuda] extra)" if primary == CUDA else ""
            return self._fall_back(f"{choice.device.upper()} provider could not be loaded{hint}", create=True,
                                   session=session)
        return session

    def _new_session(self, providers: Sequence[str]) -> ort.InferenceSession:
        options = session_options(providers[0], self._threads, self._planned_memory)
        gpu = providers[0] != CPU
        if gpu:
            _preload_gpu_libraries()
            ort.set_default_logger_severity(4)  # our warning explains a failed GPU load better than ort's
        chosen = [(p, CUDA_OPTIONS) if p == CUDA else p for p in providers]
        try:
            return ort.InferenceSession(self._model, sess_options=options, providers=chosen)
        finally:
            if gpu:
                ort.set_default_logger_severity(3)

    def _fall_back(self, why: str, create: bool = False,
                   session: ort.InferenceSession | None = None) -> ort.InferenceSession:
        failed = self.choice.providers[0]
        with _broken_lock:
            _broken_providers[failed] = why
        warnings.warn(f"{why}; running on the CPU instead", ProviderFallbackWarning, stacklevel=3)
        self.choice = ProviderChoice((CPU,), f"CPU: {why}")
        if session is None or session.get_providers()[0] != CPU:
            try:
                session = self._new_session((CPU,))
            except Exception as exc:  # noqa: BLE001
                raise ModelError(f"cannot load {self.label}: {_short(exc)}") from exc
        if not create:
            self._session = session
        return session


@functools.lru_cache(maxsize=1)
def _preload_gpu_libraries() -> None:
    # onnxruntime >= 1.21 can load CUDA/cuDNN from the nvidia-* wheels of the [cuda] extra.
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        try:
            preload()
        except Exception:  # noqa: BLE001 - missing wheels show up as a provider failure right after
            pass


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def create_session(model: bytes | str | Path, device: str = "auto", threads: int | None = None,
                   label: str = "model") -> ModelSession:
    return ModelSession(model, device=device, threads=threads, label=label)


def reset_provider_failures() -> None:
    """Forget GPU failures of this process (tests; a GUI 'retry GPU' action)."""
    with _broken_lock:
        _broken_providers.clear()
