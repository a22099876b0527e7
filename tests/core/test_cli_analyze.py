"""`anonymizer-gui analyze` / `redact` wiring, run in-process with the known-boxes test detector (no models)."""

from __future__ import annotations

import os
import signal

import pytest

import anonymizer_gui.cli.analyze as cli_analyze
from anonymizer_gui.cli import main
from anonymizer_gui.cli.analyze import parse_classes, parse_thresholds
from anonymizer_gui.core.foundation.errors import AnonymizerError
from anonymizer_gui.core.project.model import Project
from tests.clips import make_clip
from tests.core.test_analyze import KnownBoxesDetector
from anonymizer_gui.core.project import load_project


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("cli_analyze") / "clip.mp4", frames=40)


@pytest.fixture
def fake_models(monkeypatch, clip):
    """Replace the manifest's detectors by the known-boxes detector; returns the detectors made."""
    made = []

    def load(classes, settings=None):
        made.append({label: KnownBoxesDetector(clip) for label in classes})
        return made[-1]

    monkeypatch.setattr(cli_analyze, "load_detectors", load)
    return made


def test_threshold_and_class_parsing():
    assert parse_classes("face, plate,face") == ("face", "plate")
    assert parse_thresholds("0.4", ("face", "plate")) == {"face": 0.4, "plate": 0.4}
    assert parse_thresholds("plate=0.5", ("face", "plate")) == {"plate": 0.5}
    assert parse_thresholds(None, ("face",)) == {}
    for bad in ("1.5", "face=x", "car=0.3", "face"):
        with pytest.raises(AnonymizerError):
            parse_thresholds(bad, ("face", "plate"))
    with pytest.raises(AnonymizerError):
        parse_classes(" , ")


def test_analyze_writes_the_project_and_prints_the_device(clip, tmp_path, fake_models, capsys):
    out = tmp_path / "p.json"
    assert main(["analyze", str(clip.path), "-o", str(out), "--classes", "face", "--threshold", "0.5",
                 "--detect-every", "2", "--quiet"]) == 0
    project = load_project(out)
    assert len(project.tracks) == 2 and project.analysis["settings"]["detect_every"] == 2
    assert project.analysis["thresholds"] == {"face": 0.5}
    captured = capsys.readouterr()
    assert "face: known-boxes on CPU: test detector" in captured.err
    assert "found 2 faces" in captured.out


def test_ctrl_c_stops_analysis_and_keeps_the_tracks_found(clip, tmp_path, monkeypatch, capsys):
    calls = []

    class InterruptedDetector(KnownBoxesDetector):
        def detect(self, frames):
            calls.append(len(frames))
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C during the third batch
            return super().detect(frames)

    monkeypatch.setattr(cli_analyze, "load_detectors", lambda classes, settings=None:
                        {label: InterruptedDetector(clip) for label in classes})
    out = tmp_path / "partial.json"
    assert main(["analyze", str(clip.path), "-o", str(out), "--classes", "face", "--quiet"]) == 1
    assert len(calls) <= 4  # stopped within a batch of the request
    partial = load_project(out)
    assert partial.analysis["cancelled"] is True and len(partial.tracks) == 2
    assert "cancelled after" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_user_errors_exit_1_with_one_line(clip, tmp_path, fake_models, capsys):
    assert main(["analyze", str(clip.path), "-o", str(tmp_path / "no" / "p.json")]) == 1
    assert capsys.readouterr().err == f"error: the project folder {tmp_path / 'no'} does not exist\n"
    assert main(["analyze", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "p.json"), "--quiet"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error:")
    existing = tmp_path / "exists.json"
    existing.write_text("{}")
    assert main(["redact", str(clip.path), "-o", str(tmp_path / "o.mp4"), "--project", str(existing)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_redact_runs_analysis_then_export_with_the_chosen_style(clip, tmp_path, fake_models, capsys):
    from anonymizer_gui.core.media import iter_frames, probe
    from tests.clips import detail

    out, project_file = tmp_path / "out.mp4", tmp_path / "p.json"
    assert main(["redact", str(clip.path), "-o", str(out), "--classes", "face", "--style", "solid",
                 "--project", str(project_file), "--quiet"]) == 0
    assert probe(out).frame_count == clip.frames
    project = load_project(project_file)
    assert len(project.tracks) == 2
    for i, frame in iter_frames(out):
        for box in clip.boxes[i]:
            assert detail(frame, box) < 0.5, f"frame {i}: box {box} still shows its texture"
    assert "wrote" in capsys.readouterr().out
