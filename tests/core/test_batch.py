"""core.batch without the models: planning, parameters, manifest, resume after an interruption and
error isolation, on the calling thread with the known-boxes test detector."""

from __future__ import annotations

import json
import shutil

import pytest

from anonymizer_gui.core.analysis import AnalysisSettings
from anonymizer_gui.core.batch import (JOURNAL_NAME, MANIFEST_NAME, InlineBackend, RedactParams, plan_batch,
                                       run_batch)
from anonymizer_gui.core.foundation import AnonymizerError, Cancelled
from anonymizer_gui.core.project import ExportSettings, MaskStyle
from tests.clips import make_clip
from tests.core.test_analyze import KnownBoxesDetector

PARAMS = RedactParams(AnalysisSettings(classes=("face",)), MaskStyle("pixelate"), ExportSettings(preset="ultrafast"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch_in")
    clip = make_clip(root / "a.mp4", frames=6)
    (root / "deep" / "er").mkdir(parents=True)
    shutil.copy(clip.path, root / "deep" / "er" / "b.mkv")
    (root / "deep" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"x" * 64)
    (root / "notes.txt").write_text("left alone")
    (root / ".hidden.mp4").write_bytes(b"")
    return root, clip


def test_plan_mirrors_folders_and_leaves_other_files(folder, tmp_path):
    root, _ = folder
    items, ignored = plan_batch(root, tmp_path / "out")
    assert [i.rel for i in items] == ["a.mp4", "deep/broken.mp4", "deep/er/b.mkv"]
    assert items[2].output == (tmp_path / "out" / "deep" / "er" / "b.mkv").resolve()
    assert items[2].report.name == "b.mkv.audit.json"
    assert ignored == ["notes.txt"]
    with pytest.raises(AnonymizerError, match="is the input folder"):
        plan_batch(root, root)
    with pytest.raises(AnonymizerError, match="inside the output folder"):
        plan_batch(root, root.parent)


def test_an_output_folder_inside_the_input_is_not_read_as_input(folder):
    root, _ = folder
    items, _ = plan_batch(root, root / "deep" / "er")
    assert "deep/er/b.mkv" not in [i.rel for i in items]


def test_parameters_round_trip_through_json_and_refuse_unknown_fields():
    data = json.loads(json.dumps(PARAMS.to_json()))
    assert RedactParams.from_json(data) == PARAMS
    data["analysis"]["colour"] = 1
    with pytest.raises(AnonymizerError, match="analysis.colour"):
        RedactParams.from_json(data)
    with pytest.raises(AnonymizerError, match="detect_every"):
        RedactParams.from_json({"analysis": {"detect_every": 0}})


@pytest.mark.parametrize("where, value, message", [
    ("analysis", {"detect_every": "2"}, 'parameters.analysis.detect_every: expected a whole number, got "2"'),
    ("analysis", {"link_tracks": 1}, "parameters.analysis.link_tracks: expected true or false, got 1"),
    ("analysis", {"max_lost_s": "1"}, 'parameters.analysis.max_lost_s: expected a number, got "1"'),
    ("analysis", {"classes": "face"}, 'parameters.analysis.classes: expected a list, got "face"'),
    ("style", {"strength": None}, "parameters.style.strength: expected a number, got null"),
    ("export", {"crf": 18.5}, "parameters.export.crf: expected a whole number, got 18.5"),
])
def test_parameters_of_the_wrong_kind_are_named(where, value, message):
    # A hand-edited manifest: before, "'<' not supported between instances of 'str' and 'int'".
    with pytest.raises(AnonymizerError) as err:
        RedactParams.from_json({where: value})
    assert str(err.value) == message
    assert RedactParams.from_json({"analysis": {"max_lost_s": 2, "input_size": None}}).analysis.max_lost_s == 2


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(input_dir=5), "input_dir must be a folder's path (a text)"),
    (lambda m: None, "not a readable manifest (nested too deeply)"),
])
def test_a_damaged_manifest_is_refused_with_a_clear_error(folder, tmp_path, change, message):
    from anonymizer_gui.core.batch.manifest import new_manifest, read_manifest

    manifest = new_manifest(folder[0], PARAMS, [])
    change(manifest)
    path = tmp_path / MANIFEST_NAME
    path.write_text(json.dumps(manifest) if "deeply" not in message else "[" * 100000 + "]" * 100000)
    with pytest.raises(AnonymizerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_manifest(path)


class Events:
    def __init__(self):
        self.done, self.frames_seen, self.plan = [], [], None

    def planned(self, *args):
        self.plan = args

    def frames(self, done):
        self.frames_seen.append(done)

    def file_done(self, rel, entry):
        self.done.append((rel, entry["status"]))


def test_broken_file_is_isolated_and_a_cancelled_run_resumes(folder, tmp_path):
    root, clip = folder
    out = tmp_path / "out"
    backend = InlineBackend({"face": KnownBoxesDetector(clip, dropout=0.0)})
    finished = []
    events = Events()
    events.file_done = lambda rel, entry: finished.append((rel, entry["status"]))
    # stop once the first video is done: the broken one was refused at planning, b.mkv never started
    with pytest.raises(Cancelled):
        run_batch(root, out, PARAMS, backend=backend, events=events, models=[],
                  cancel=lambda: any(rel == "a.mp4" for rel, _ in finished))
    assert finished == [("deep/broken.mp4", "failed"), ("a.mp4", "done")]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert set(manifest["files"]) == {"a.mp4", "deep/broken.mp4"}
    assert not (out / JOURNAL_NAME).exists()
    first_output = (out / "a.mp4").stat().st_mtime_ns

    events = Events()
    summary = run_batch(root, out, PARAMS, backend=backend, events=events, models=[])
    assert summary.skipped == ["a.mp4"] and summary.done == ["deep/er/b.mkv"]
    assert list(summary.failed) == ["deep/broken.mp4"] and "moov" in summary.failed["deep/broken.mp4"]
    assert (out / "a.mp4").stat().st_mtime_ns == first_output  # not redone
    assert events.plan[:3] == (3, clip.frames, 1) and events.frames_seen[-1] == clip.frames
    entry = json.loads((out / MANIFEST_NAME).read_text())["files"]["deep/er/b.mkv"]
    assert entry["frames"] == clip.frames and entry["frames_masked"] > 0 and entry["masks_drawn"] > 0
    assert entry["output"] == "deep/er/b.mkv" and entry["verify"]["ok"] and entry["tracks"] == {"face": 2}

    (out / "a.mp4.audit.json").write_text("{}")  # an output that no longer matches is redone
    summary = run_batch(root, out, PARAMS, backend=backend, models=[])
    assert summary.done == ["a.mp4"] and summary.skipped == ["deep/er/b.mkv"]
    other = RedactParams(PARAMS.analysis, MaskStyle("solid"), PARAMS.export)
    events = Events()
    summary = run_batch(root, out, other, backend=backend, events=events, models=[])
    assert sorted(summary.done) == ["a.mp4", "deep/er/b.mkv"] and events.plan[4] is False  # other parameters


def test_files_finished_before_a_crash_are_kept_through_the_journal(folder, tmp_path, monkeypatch):
    from anonymizer_gui.core.batch import manifest as manifest_module

    root, clip = folder
    out = tmp_path / "out"
    backend = InlineBackend({"face": KnownBoxesDetector(clip, dropout=0.0)})
    monkeypatch.setattr(manifest_module.ManifestWriter, "write",
                        lambda self, clock=0.0, final=False: None)  # the process dies before any rewrite
    run_batch(root, out, PARAMS, backend=backend, models=[])
    assert (out / JOURNAL_NAME).exists() and not (out / MANIFEST_NAME).exists()
    monkeypatch.undo()
    summary = run_batch(root, out, PARAMS, backend=backend, models=[])
    assert sorted(summary.skipped) == ["a.mp4", "deep/er/b.mkv"] and not summary.done


def test_an_output_that_no_batch_wrote_is_refused_unless_forced(folder, tmp_path):
    root, clip = folder
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.mp4").write_bytes(b"someone else's video")
    backend = InlineBackend({"face": KnownBoxesDetector(clip, dropout=0.0)})
    summary = run_batch(root, out, PARAMS, backend=backend, models=[])
    assert "was not written by a batch" in summary.failed["a.mp4"] and summary.done == ["deep/er/b.mkv"]
    assert (out / "a.mp4").read_bytes() == b"someone else's video"
    other = RedactParams(PARAMS.analysis, MaskStyle("solid"), PARAMS.export)
    summary = run_batch(root, out, other, backend=backend, models=[])  # its own outputs are redone
    assert summary.done == ["deep/er/b.mkv"] and "a.mp4" in summary.failed
    summary = run_batch(root, out, PARAMS, backend=backend, models=[], force=True)
    assert "a.mp4" in summary.done and (out / "a.mp4").read_bytes() != b"someone else's video"
