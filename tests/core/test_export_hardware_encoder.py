"""The GPU's encoder (NVENC) in place of x264 where it opens, the CPU's where it does not.

No machine of the test suite has NVENC, so the choice is tested with stand-ins: the real
h264_nvenc where the driver check is told a driver is there (it then fails to open, as on a GPU
without the encoder block), and libx264 itself posing as a hardware encoder (it opens: the
success path, end to end).
"""

from __future__ import annotations

import json

import pytest

from anonymizer_gui.cli import HARDWARE_ENCODER_CHOICES
from anonymizer_gui.core.export import hardware_encoder
from anonymizer_gui.core.export.hardware_encoder import HardwareEncoder, nvenc_options
from anonymizer_gui.core.export.video import export_video
from anonymizer_gui.core.foundation.errors import ExportError
from anonymizer_gui.core.media import probe
from anonymizer_gui.core.project import load_project, save_project
from anonymizer_gui.core.project.model import ExportSettings
from tests.clips import Tone
from tests.core.export_fixtures import audio_summary, project_for
from tests.core.test_export import assert_masked_everywhere

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def driver(monkeypatch):
    """This machine reports an NVIDIA driver."""
    monkeypatch.setattr(hardware_encoder, "nvidia_driver_loads", lambda: True)


def _pose(monkeypatch, options):
    """libx264 with `options` stands in as the hardware encoder for libx264."""
    monkeypatch.setattr(hardware_encoder, "HARDWARE_ENCODERS",
                        {"libx264": HardwareEncoder("libx264", lambda crf, preset: dict(options))})


def test_without_a_driver_auto_encodes_on_the_cpu_and_says_nothing(clip_factory, tmp_path, monkeypatch):
    monkeypatch.setattr(hardware_encoder, "nvidia_driver_loads", lambda: False)
    truth = clip_factory("in.mp4", frames=8)
    result = export_video(project_for(truth), tmp_path / "out.mp4", ExportSettings(preset="ultrafast"))
    settings = result.report["settings"]
    assert (settings["codec"], settings["hardware"]) == ("libx264", False)
    assert not any("GPU" in n or "CPU" in n for n in result.notices)
    with pytest.raises(ExportError, match="no NVIDIA driver"):
        export_video(project_for(truth), tmp_path / "gpu.mp4", ExportSettings(preset="ultrafast",
                                                                              hardware_encoder="nvenc"))
    assert not (tmp_path / "gpu.mp4").exists()


def test_a_hardware_encoder_that_opens_encodes_everything(clip_factory, tmp_path, monkeypatch, driver):
    _pose(monkeypatch, {"preset": "ultrafast", "crf": "20"})
    truth = clip_factory("in.mp4", frames=20, audio=(Tone(440),))
    result = export_video(project_for(truth), tmp_path / "out.mp4", ExportSettings(preset="ultrafast"))
    settings = result.report["settings"]
    assert (settings["codec"], settings["hardware"]) == ("libx264", True)
    assert settings["encoder_options"] == {"preset": "ultrafast", "crf": "20"}  # the hardware encoder's own
    assert probe(result.output).frame_count == 20
    assert_masked_everywhere(result.output, truth)
    assert audio_summary(result.output)[0]["payload"] == audio_summary(truth.path)[0]["payload"]


@pytest.mark.parametrize("mode", ["auto", "nvenc"])
def test_a_hardware_encoder_that_does_not_open(clip_factory, tmp_path, monkeypatch, driver, mode):
    """auto: the export starts again on the CPU and the report says why; nvenc: a clear error and
    nothing written."""
    _pose(monkeypatch, {"preset": "no-such-preset"})  # x264 refuses to open, like NVENC on a GPU without it
    truth = clip_factory("in.mp4", frames=12, audio=(Tone(440),))
    out = tmp_path / "out.mp4"
    settings = ExportSettings(preset="ultrafast", hardware_encoder=mode)
    if mode == "nvenc":
        with pytest.raises(ExportError, match="GPU's encoder was asked for, but libx264 did not open"):
            export_video(project_for(truth), out, settings)
        assert not [p.name for p in tmp_path.iterdir() if "out" in p.name]  # no output, no temporary file
        return
    result = export_video(project_for(truth), out, settings)
    report = result.report["settings"]
    assert (report["codec"], report["hardware"]) == ("libx264", False)
    assert report["encoder_options"] == {"crf": "18", "preset": "ultrafast"}  # x264's, not the stand-in's
    assert any(n.startswith("encoded on the CPU with libx264: libx264 did not open") for n in result.notices)
    assert probe(out).frame_count == 12
    assert_masked_everywhere(out, truth)


def test_real_nvenc_without_its_hardware_falls_back(clip_factory, tmp_path, driver):
    """The real h264_nvenc, on a machine where the driver check passes but no encoder answers
    (here: none at all; on an H100: no encoder block)."""
    truth = clip_factory("in.mp4", frames=6)
    result = export_video(project_for(truth), tmp_path / "out.mp4", ExportSettings(preset="ultrafast"))
    settings = result.report["settings"]
    if settings["hardware"]:  # a machine with a working NVENC: then it encoded
        assert settings["codec"] == "h264_nvenc"
    else:
        assert settings["codec"] == "libx264"
        assert any("h264_nvenc did not open" in n for n in result.notices)
    assert probe(result.output).frame_count == 6


def test_nvenc_options_follow_crf_and_preset():
    assert nvenc_options(18, "medium") == {"preset": "p5", "tune": "hq", "rc": "vbr", "cq": "18", "b": "0"}
    assert nvenc_options(60, "ultrafast")["preset"] == "p1"
    assert nvenc_options(60, "ultrafast")["cq"] == "51"
    assert nvenc_options(23, "veryslow")["preset"] == "p7"
    assert nvenc_options(0, "medium")["cq"] == "1"  # NVENC's cq 0 is "no target", not "best"


def test_the_setting_is_checked_saved_and_offered_by_the_cli(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=4)
    project = project_for(truth)
    with pytest.raises(ExportError, match="hardware_encoder must be one of auto, nvenc, off"):
        export_video(project, tmp_path / "out.mp4", ExportSettings(hardware_encoder="cuda"))
    project.export.hardware_encoder = "off"
    save_project(project, tmp_path / "p.json")
    assert json.loads((tmp_path / "p.json").read_text())["export"]["hardware_encoder"] == "off"
    assert load_project(tmp_path / "p.json").export.hardware_encoder == "off"
    assert HARDWARE_ENCODER_CHOICES == hardware_encoder.MODES


def test_only_frames_the_cpu_encoder_would_get_go_to_the_hardware_one(clip_factory, tmp_path, monkeypatch, driver):
    """A hardware encoder that does not take the decoded format is passed over (auto) or refused
    (nvenc): its own conversion would change the picture's levels against its colour tags."""
    monkeypatch.setattr(hardware_encoder, "HARDWARE_ENCODERS",
                        {"libx264": HardwareEncoder("h264_nvenc", nvenc_options)})
    truth = clip_factory("in.mp4", frames=6, pix_fmt="yuv422p")  # x264 takes it, NVENC does not
    result = export_video(project_for(truth), tmp_path / "out.mp4", ExportSettings(preset="ultrafast"))
    assert (result.report["settings"]["codec"], result.report["settings"]["pix_fmt"]) == ("libx264", "yuv422p")
    assert "encoded on the CPU with libx264: h264_nvenc does not take yuv422p frames" in result.notices
    with pytest.raises(ExportError, match="h264_nvenc does not take yuv422p"):
        export_video(project_for(truth), tmp_path / "gpu.mp4", ExportSettings(preset="ultrafast",
                                                                              hardware_encoder="nvenc"))
