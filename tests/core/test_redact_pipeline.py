"""redact(): analysis and export overlapped write what analysis followed by export writes.

Run on generated clips with the known-boxes detector (test_analyze), so decoding, batching,
tracking, rendering and encoding are all real. Nothing here is timed.
"""

from __future__ import annotations

from dataclasses import replace

import threading

import av
import numpy as np
import pytest

from anonymizer_gui.core.analysis import AnalysisCancelled, AnalysisSettings, analyze, redact
from anonymizer_gui.core.foundation import Cancelled, ModelError
from anonymizer_gui.core.media import iter_frames, probe
from anonymizer_gui.core.project import ExportSettings, MaskStyle
from tests.clips import MovingBox, Tone, detail, make_clip
from tests.core.test_analyze import KnownBoxesDetector

FRAMES = 90
# Short memory, so that tracks end while the video goes on and the two stages overlap.
SETTINGS = AnalysisSettings(classes=("face",), max_lost_s=0.2, extend_s=0.2, batch_size=4)
# Lossless, so that the decoded output is exactly what was drawn (x264's threads may choose
# differently from run to run at CRF 18: two serial runs differ too).
LOSSLESS = ExportSettings(codec="libx264", crf=0, preset="ultrafast")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    boxes = (MovingBox(20, 30, 60, 60, 2, 1, seed=1), MovingBox(200, 120, 70, 80, -2, 0, texture="noise", seed=2),
             MovingBox(120, 40, 50, 50, 1, 1, cell=2, seed=3))
    return make_clip(tmp_path_factory.mktemp("redact") / "clip.mp4", width=320, height=240, frames=FRAMES,
                     boxes=boxes, audio=[Tone(440, channels=2)])


def _detector(clip):
    # Box 0 is seen for the first 30 frames, box 1 for 60, box 2 from frame 50 on: tracks that
    # end while others go on and start late, so the frontier of final frames moves mid-clip.
    return KnownBoxesDetector(clip, only_boxes={0: range(0, 30), 1: range(0, 60), 2: range(50, FRAMES)})


def _frames(path):
    return [img for _, img in iter_frames(path)]


def _audio_packets(path):
    with av.open(str(path)) as c:
        return [(p.pts, bytes(p)) for p in c.demux(c.streams.audio[0]) if p.size]


def test_pipelined_redact_writes_the_same_frames_as_analysis_then_export(clip, tmp_path):
    style = MaskStyle("blur")
    serial_project, serial = redact(clip.path, tmp_path / "serial.mp4", SETTINGS, style=style, export=LOSSLESS,
                                    detectors={"face": _detector(clip)}, pipelined=False)
    project, result = redact(clip.path, tmp_path / "piped.mp4", SETTINGS, style=style, export=LOSSLESS,
                             detectors={"face": _detector(clip)})
    assert [(t.id, [(k.frame, k.shape.points) for k in t.keyframes]) for t in project.tracks] == \
        [(t.id, [(k.frame, k.shape.points) for k in t.keyframes]) for t in serial_project.tracks]
    assert len(project.tracks) == 3
    a, b = _frames(serial.output), _frames(result.output)
    assert len(a) == len(b) == FRAMES == probe(result.output).frame_count
    for i, (x, y) in enumerate(zip(a, b)):
        assert np.array_equal(x, y), f"frame {i} differs"
    # The audio is kept, packet for packet, and the report lists the analysed tracks.
    assert _audio_packets(result.output) == _audio_packets(clip.path)
    assert result.report["settings"]["masks_drawn"] == serial.report["settings"]["masks_drawn"] > 0
    for i in (0, 45):
        for box in clip.boxes[i][1:2]:
            assert detail(b[i], box) < 0.2 * detail(_frames(clip.path)[i], box)


@pytest.mark.parametrize("settings", [SETTINGS, replace(SETTINGS, detect_every=3)], ids=["every frame", "every 3rd"])
def test_frames_are_announced_final_only_before_every_track_that_masks_them(clip, settings):
    # a track masks extend_frames + unseen_frames before its first detection: the frontier must
    # stay behind that, or the pipelined export draws a frame before its mask exists
    events = []
    project = analyze(clip.path, settings=settings, detectors={"face": _detector(clip)},
                      on_tracks=lambda tracks: events.append(("tracks", [t.first_frame for t in tracks])),
                      on_final=lambda before: events.append(("final", before)))
    finals = [f for kind, f in events if kind == "final"]
    assert finals == sorted(finals) and finals[-1] > 0  # the frontier moves before the end
    announced = 0
    for kind, value in events:
        if kind == "final":
            announced = value
        else:
            assert all(first >= announced for first in value), (value, announced)
    assert len(project.tracks) == 3


def test_cancel_stops_both_stages_and_writes_nothing(clip, tmp_path):
    flag = threading.Event()
    seen = []

    def progress(p):
        seen.append(p.done)
        if p.done >= 20:
            flag.set()

    out = tmp_path / "cancelled.mp4"
    with pytest.raises(Cancelled) as info:
        redact(clip.path, out, SETTINGS, detectors={"face": KnownBoxesDetector(clip, delay_s=0.02)},
               progress=progress, cancel=flag.is_set)
    assert isinstance(info.value, AnalysisCancelled)
    assert info.value.partial.analysis["cancelled"] is True
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary video or report left behind
    assert not [t for t in threading.enumerate() if t.name in ("redact-analysis", "export-decode",
                                                               "analysis-decode") and t.is_alive()]


def test_an_analysis_failure_stops_the_export_and_is_raised(clip, tmp_path):
    class Failing(KnownBoxesDetector):
        def detect(self, frames):
            if max(self.seen, default=0) > 30:
                raise ModelError("the model broke")
            return super().detect(frames)

    out = tmp_path / "failed.mp4"
    with pytest.raises(ModelError, match="the model broke"):
        redact(clip.path, out, SETTINGS, detectors={"face": Failing(clip)})
    assert list(tmp_path.iterdir()) == []


def test_detectors_on_a_gpu_get_large_batches(clip):
    from anonymizer_gui.core.analysis.analyzer import GPU_BATCH_SIZE
    from anonymizer_gui.core.detect.runtime import ProviderChoice

    sizes = []

    class OnGpu(KnownBoxesDetector):
        batch_size = 4

        def detect(self, frames):
            sizes.append(len(frames))
            return super().detect(frames)

    det = OnGpu(clip)
    det.provider = ProviderChoice(("CUDAExecutionProvider", "CPUExecutionProvider"), "CUDA: test")
    project = analyze(clip.path, settings=SETTINGS, detectors={"face": det})
    assert max(sizes) == GPU_BATCH_SIZE and det.batch_size == GPU_BATCH_SIZE
    assert sum(sizes) == FRAMES and len(project.tracks) >= 1
    sizes.clear()
    analyze(clip.path, settings=SETTINGS, detectors={"face": OnGpu(clip)})  # the test detector's CPU provider
    assert max(sizes) == SETTINGS.batch_size


def test_an_analysis_that_stops_short_writes_nothing(clip, tmp_path, monkeypatch):
    # export_video refuses a project whose analysis read only part of the video; the pipeline learns
    # of it only at the end, and must refuse too (fail closed), keeping nothing.
    import importlib

    from anonymizer_gui.core.foundation import ExportError

    redact_module = importlib.import_module("anonymizer_gui.core.analysis.redact")

    real = redact_module.analyze

    def short(*args, **kwargs):
        project = real(*args, **kwargs)
        project.analysis["frames_analyzed"] = FRAMES - 10
        return project

    monkeypatch.setattr(redact_module, "analyze", short)
    with pytest.raises(ExportError, match="stopped short"):
        redact(clip.path, tmp_path / "short.mp4", SETTINGS, detectors={"face": _detector(clip)})
    assert list(tmp_path.iterdir()) == []
