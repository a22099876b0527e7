"""`anonymizer-gui export` with a project's audio ranges, and --remove-audio, end to end."""

from __future__ import annotations

import json

from anonymizer_gui.cli import main
from anonymizer_gui.core.audio import SILENCE_DBFS, check_muted_ranges
from anonymizer_gui.core.media import probe
from anonymizer_gui.core.project import load_project, project_to_dict
from tests.clips import Tone
from tests.core.audio_support import decoded, level, peak_frequency, span
from tests.core.export_fixtures import project_for


def write_project(truth, path, audio_ranges, **extra):
    data = project_to_dict(project_for(truth))
    data["audio_ranges"] = audio_ranges
    data.update(extra)
    path.write_text(json.dumps(data))
    return path


def test_export_applies_the_audio_ranges_of_the_project_file(clip_factory, tmp_path, capsys):
    truth = clip_factory("talk.mp4", frames=50, audio=(Tone(wave="speech"), Tone(660, channels=2)))
    project = write_project(truth, tmp_path / "p.json", [
        {"stream": 0, "start": 0.3, "end": 0.9, "action": "mute", "reason": "a surname"},
        {"stream": 1, "start": 1.0, "end": 1.8, "action": "bleep", "reason": "a phone number"}])
    out = tmp_path / "out.mp4"
    assert main(["export", str(project), "-o", str(out), "--quiet"]) == 0
    assert "audio: 2 ranges muted, bleeped or disguised" in capsys.readouterr().out
    assert level(decoded(out, 0), 0.3, 0.9) <= SILENCE_DBFS
    assert peak_frequency(span(decoded(out, 1), 1.05, 1.75)) == 1000.0
    report = json.loads((tmp_path / "out.mp4.audit.json").read_text())
    assert [(r["action"], r["reason"]) for r in report["audio"]["ranges"]] == \
        [("mute", "a surname"), ("bleep", "a phone number")]
    assert check_muted_ranges(out, load_project(project)) == []


def test_export_remove_audio_drops_it_all(clip_factory, tmp_path, capsys):
    truth = clip_factory("talk.mp4", frames=25, audio=(Tone(), Tone(660)))
    project = write_project(truth, tmp_path / "p.json", [])
    out = tmp_path / "out.mkv"
    assert main(["export", str(project), "-o", str(out), "--quiet", "--remove-audio"]) == 0
    assert "audio: every audio stream removed" in capsys.readouterr().out
    assert probe(out).audio == () and probe(out).frame_count == 25
    assert json.loads((tmp_path / "out.mkv.audit.json").read_text())["audio"]["removed"] is True


def test_a_bad_audio_range_is_a_one_line_error(clip_factory, tmp_path, capsys):
    truth = clip_factory("talk.mp4", frames=10, audio=(Tone(),))
    project = write_project(truth, tmp_path / "p.json",
                            [{"stream": 0, "start": 1.0, "end": 0.5, "action": "mute", "reason": ""}])
    assert main(["export", str(project), "-o", str(tmp_path / "o.mp4"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: audio_ranges[0].end: must be greater than start (1.0), got 0.5"
    project = write_project(truth, tmp_path / "p.json",
                            [{"stream": 1, "start": 0.0, "end": 0.5, "action": "mute", "reason": ""}])
    assert main(["export", str(project), "-o", str(tmp_path / "o.mp4"), "--quiet"]) == 1
    assert "audio_ranges[0].stream: 1 does not exist; the video has 1 audio stream (0-0)" in capsys.readouterr().err
    assert not (tmp_path / "o.mp4").exists()


def test_verify_hears_sound_in_a_muted_range(clip_factory, tmp_path, capsys):
    truth = clip_factory("talk.mp4", frames=50, audio=(Tone(wave="speech"),))
    plain = write_project(truth, tmp_path / "plain.json", [])
    unmuted = tmp_path / "unmuted.mp4"
    assert main(["export", str(plain), "-o", str(unmuted), "--quiet", "--no-verify"]) == 0
    muted = write_project(truth, tmp_path / "muted.json",
                          [{"stream": 0, "start": 0.3, "end": 0.9, "action": "mute", "reason": "a surname"}])
    good = tmp_path / "good.mp4"
    assert main(["export", str(muted), "-o", str(good), "--quiet", "--no-verify"]) == 0
    capsys.readouterr()

    assert main(["verify", str(muted), str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["audio_leaks"] == []
    assert main(["verify", str(muted), str(unmuted), "--json"]) == 3
    found = json.loads(capsys.readouterr().out)["audio_leaks"]
    assert [(f["stream"], f["start"], f["end"], f["action"]) for f in found] == [(0, 0.3, 0.9, "mute")]


def test_verify_hears_the_source_in_bleeped_and_disguised_ranges(clip_factory, tmp_path, capsys):
    truth = clip_factory("talk.mp4", frames=50, audio=(Tone(wave="speech"),))
    plain = write_project(truth, tmp_path / "plain.json", [])
    unredacted = tmp_path / "unredacted.mp4"
    assert main(["export", str(plain), "-o", str(unredacted), "--quiet", "--no-verify"]) == 0
    redacted = write_project(truth, tmp_path / "redacted.json", [
        {"stream": 0, "start": 0.3, "end": 0.9, "action": "bleep", "reason": "a phone number"},
        {"stream": 0, "start": 1.4, "end": 1.9, "action": "disguise", "reason": "a witness"}])
    good = tmp_path / "good.mp4"
    assert main(["export", str(redacted), "-o", str(good), "--quiet", "--no-verify"]) == 0
    capsys.readouterr()

    assert main(["verify", str(redacted), str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["audio_leaks"] == []
    assert main(["verify", str(redacted), str(unredacted), "--json"]) == 3
    found = json.loads(capsys.readouterr().out)["audio_leaks"]
    assert [(f["stream"], f["start"], f["end"], f["action"]) for f in found] == \
        [(0, 0.3, 0.9, "bleep"), (0, 1.4, 1.9, "disguise")]
