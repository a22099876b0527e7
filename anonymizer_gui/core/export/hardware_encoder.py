"""The GPU's video encoder (NVENC) in place of x264/x265, where this machine has one.

PyAV's wheels ship FFmpeg with h264_nvenc and hevc_nvenc; whether they work depends on the
machine: an NVIDIA driver, and a GPU with the encoder block (data-centre GPUs such as the H100
have none). So the choice is made by opening the encoder, not by asking what is installed:

- `ExportSettings.hardware_encoder = "auto"` (the default): when the export would use libx264
  (libx265) and the NVIDIA driver loads, h264_nvenc (hevc_nvenc) is opened for this video's size
  and pixel format; if it opens, it encodes, else the export runs on the CPU as before and the
  report says why. Without an NVIDIA driver nothing is tried and nothing is said.
- `"nvenc"`: the GPU's encoder or an ExportError saying why: asked for explicitly, silently
  running several times slower would be worse than a clear message.
- `"off"`: always the CPU's encoder.

Quality: x264's CRF maps to NVENC's constant-quality target (`cq`, same 0-51 scale, variable bit
rate with no cap) and its preset to NVENC's p1-p7 (medium -> p5). The two encoders' pictures are
not bit-identical; the masks are drawn before encoding either way, and the leak check reads the
written file whatever wrote it. Decoding stays on the CPU: at the sizes this program meets,
FFmpeg's threaded decoder outruns the detectors, and hardware frames would come back as nv12,
which the renderer does not draw on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import av

from ..foundation import ExportError, nvidia_driver_loads

MODES = ("auto", "nvenc", "off")
_NVENC_PRESETS = {"ultrafast": "p1", "superfast": "p1", "veryfast": "p2", "faster": "p3", "fast": "p4",
                  "medium": "p5", "slow": "p6", "slower": "p7", "veryslow": "p7", "placebo": "p7"}


def nvenc_options(crf: int, preset: str) -> dict[str, str]:
    """NVENC options for an x264-style CRF and preset: constant quality, no bit-rate cap (cq 0 would
    mean "no quality target" to NVENC, so CRF 0 asks for its best, 1)."""
    return {"preset": _NVENC_PRESETS.get(preset, "p5"), "tune": "hq", "rc": "vbr",
            "cq": str(min(51, max(1, crf))), "b": "0"}


@dataclass(frozen=True)
class HardwareEncoder:
    name: str  # FFmpeg's encoder
    options: Callable[[int, str], dict[str, str]]  # (crf, preset) -> encoder options


# The CPU encoder each hardware one stands in for.
HARDWARE_ENCODERS = {"libx264": HardwareEncoder("h264_nvenc", nvenc_options),
                     "libx265": HardwareEncoder("hevc_nvenc", nvenc_options)}


class HardwareEncoderUnavailable(Exception):
    """The hardware encoder the plan chose did not open: the export plans again on the CPU."""


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ExportError(f"hardware_encoder must be one of {', '.join(MODES)}, got '{mode}'")


def hardware_for(cpu_codec: str, mode: str) -> HardwareEncoder | None:
    """The hardware encoder to try in place of `cpu_codec`, or None (ExportError when "nvenc" is
    asked for and cannot be had)."""
    check_mode(mode)
    if mode == "off":
        return None
    hardware = HARDWARE_ENCODERS.get(cpu_codec)
    problem = None
    if hardware is None:
        problem = f"no hardware encoder stands in for {cpu_codec}"
    elif not nvidia_driver_loads():
        problem = "no NVIDIA driver was found"
    else:
        try:
            av.Codec(hardware.name, "w")
        except (av.FFmpegError, ValueError):
            problem = f"this build of FFmpeg has no {hardware.name}"
    if problem is None:
        return hardware
    if mode == "nvenc":
        refused(problem)
    return None


def refused(problem: str) -> None:
    """The one error of `hardware_encoder="nvenc"` when the GPU's encoder cannot be had."""
    raise ExportError(f"the GPU's encoder was asked for, but {problem}; use hardware_encoder auto or off")


def on_the_cpu(mode: str, cpu_codec: str, problem: str) -> str:
    """Where a chosen hardware encoder cannot be used: the report's notice ("auto"), or refused ("nvenc")."""
    if mode == "nvenc":
        refused(problem)
    return f"encoded on the CPU with {cpu_codec}: {problem}"


def open_or_explain(stream) -> None:
    """Open an output stream's hardware encoder now, before any frame is read, so that a GPU
    without the encoder block, a busy encoder (consumer cards limit sessions) or a size it cannot
    take is found while the export can still start again on the CPU."""
    try:
        stream.codec_context.open()
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise HardwareEncoderUnavailable(f"{stream.codec_context.name} did not open: "
                                         f"{getattr(exc, 'strerror', None) or exc}") from None

