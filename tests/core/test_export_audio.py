"""Audio redaction in export_video, on generated signals: muted ranges are silent, bleeps are at
their frequency, everything else matches the source within the codec's error and in sync."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from anonymizer_gui.core.audio import SILENCE_DBFS, check_muted_ranges, iter_blocks
from anonymizer_gui.core.export import export_video
from anonymizer_gui.core.foundation import ProjectFormatError
from anonymizer_gui.core.media import probe
from anonymizer_gui.core.project import AudioRange
from tests.clips import Tone
from tests.core.audio_support import best_lag, decoded, level, peak_frequency, snr_db, span
from tests.core.export_fixtures import audio_summary, project_for

SECONDS = 3.0
FRAMES = 75  # 3 s at 25 fps
CHIRP, SPEECH = Tone(wave="chirp"), Tone(channels=2, wave="speech", language="fra")
EDGE_S = 0.05  # fade (8 ms) plus the codec's transform window on either side of a range
CODEC_SNR_DB = 35.0  # AAC at the source's bit rate keeps a re-encoded chirp 38-63 dB above its error
CODEC_MARGIN_DB = 3.0


def project_with(truth, ranges, remove_audio=False):
    project = project_for(truth)
    project.tracks = []
    project.audio_ranges = list(ranges)
    project.remove_audio = remove_audio
    return project


def untouched(ranges, stream, total=SECONDS):
    """[a, b) stretches of `stream` no range (plus its edge) comes near."""
    cuts = sorted((max(0.0, r.start - EDGE_S), r.end + EDGE_S) for r in ranges if r.stream == stream)
    out, t = [], 0.02
    for a, b in cuts:
        if a - t > 0.1:
            out.append((t, a))
        t = max(t, b)
    if total - 0.05 - t > 0.1:
        out.append((t, total - 0.05))
    return out


@pytest.fixture
def two_streams(clip_factory):
    return clip_factory("talk.mp4", frames=FRAMES, audio=(CHIRP, SPEECH))


def codec_only(truth, tmp_path, streams=(0, 1)):
    """The file re-encoded with nothing audible changed (a 10 ms mute at the very end of each
    stream): how far the codec alone takes the decoded audio from the source."""
    ranges = [AudioRange(k, SECONDS - 0.01, SECONDS, "mute", "") for k in streams]
    return export_video(project_with(truth, ranges), tmp_path / "codec_only.mp4").output


def test_muted_ranges_are_silent_and_the_rest_matches_the_source_in_sync(two_streams, tmp_path):
    ranges = [AudioRange(0, 0.0, 0.4, "mute", "name said at the start"),
              AudioRange(0, 1.0, 1.5, "mute", "first of two overlapping"),
              AudioRange(0, 1.3, 1.8, "mute", "second of two overlapping"),
              AudioRange(0, 2.6, 3.5, "mute", "runs past the end"),
              AudioRange(1, 0.5, 1.2, "mute", "speech on the second stream")]
    project = project_with(two_streams, ranges)
    out = export_video(project, tmp_path / "out.mp4").output
    reference = codec_only(two_streams, tmp_path)

    for stream in (0, 1):
        src, dst, ref = decoded(two_streams.path, stream), decoded(out, stream), decoded(reference, stream)
        assert dst.shape == src.shape  # not a sample more or less
        for r in (r for r in ranges if r.stream == stream):
            assert level(dst, r.start, r.end) <= SILENCE_DBFS, f"{r.reason}: not silent"
            assert level(src, r.start, min(r.end, SECONDS)) > -25  # there was sound to mute
        for a, b in untouched(ranges, stream, SECONDS - 0.06):
            codec = snr_db(span(src, a, b), span(ref, a, b))
            assert snr_db(span(src, a, b), span(dst, a, b)) >= codec - CODEC_MARGIN_DB, f"{stream}: {a:.2f}-{b:.2f}"
            assert best_lag(span(src, a, b), span(dst, a, b)) == 0  # in sync to the sample
            if stream == 0:  # a chirp survives AAC almost exactly
                assert codec >= CODEC_SNR_DB
    assert check_muted_ranges(out, project) == []
    # Overlaps count once; the range past the end counts as drawn.
    assert json.loads(Path(str(out) + ".audit.json").read_text())["audio"]["seconds_redacted"] == \
        {"0": 0.4 + 0.8 + 0.9, "1": 0.7}


def test_the_check_finds_sound_in_a_muted_range(two_streams):
    project = project_with(two_streams, [AudioRange(0, 1.0, 1.5, "mute", "x"), AudioRange(1, 0.0, 0.2, "mute", "y")])
    findings = check_muted_ranges(two_streams.path, project)  # the source: nothing muted
    assert [(f.stream, f.start, f.end) for f in findings] == [(0, 1.0, 1.5)]  # stream 1 is silent until 0.3 s
    assert findings[0].level_dbfs > -20 and "not silent" in findings[0].message


def test_bleep_sounds_at_its_frequency_and_level_and_mute_wins_where_they_overlap(two_streams, tmp_path):
    ranges = [AudioRange(0, 0.5, 1.5, "bleep", "a name"),
              AudioRange(0, 1.2, 1.5, "mute", "inside the bleep"),
              AudioRange(1, 1.0, 2.0, "bleep", "custom tone", tone_hz=1500.0, level_dbfs=-12.0)]
    out = export_video(project_with(two_streams, ranges), tmp_path / "out.mp4").output
    left, right = decoded(out, 0), decoded(out, 1)
    assert peak_frequency(span(left, 0.55, 1.15)) == pytest.approx(1000.0, abs=3)
    # A sine of peak level L dBFS has an RMS of L - 3 dB.
    assert level(left, 0.55, 1.15) == pytest.approx(-18.0 - 3.01, abs=0.5)
    assert level(left, 1.2, 1.5) <= SILENCE_DBFS
    assert peak_frequency(span(right, 1.05, 1.95)) == pytest.approx(1500.0, abs=3)
    assert level(right, 1.05, 1.95) == pytest.approx(-12.0 - 3.01, abs=0.5)


def test_fades_keep_the_edges_from_clicking(two_streams, tmp_path):
    """A click is a step no larger sample-to-sample than the sound itself makes. Measured: with the
    8 ms fades the output's largest step at an edge equals the chirp's own (0.058 vs 0.059 at 1 s);
    a hard cut makes 0.215 there."""
    out = export_video(project_with(two_streams, [AudioRange(0, 1.0, 2.0, "mute", "")]), tmp_path / "o.mp4").output
    src, dst = decoded(two_streams.path, 0)[0], decoded(out, 0)[0]
    for edge in (48000, 96000):
        window = slice(edge - 600, edge + 600)
        assert np.abs(np.diff(dst[window])).max() <= 1.1 * np.abs(np.diff(src[window])).max(), f"click at {edge}"


def test_only_streams_with_ranges_are_re_encoded_with_their_own_format(two_streams, tmp_path):
    project = project_with(two_streams, [AudioRange(0, 0.5, 1.0, "disguise", "voice of a witness")])
    result = export_video(project, tmp_path / "out.mp4")
    before, after = audio_summary(two_streams.path), audio_summary(result.output)
    assert after[1] == before[1]  # stream 1 copied packet for packet
    assert after[0]["payload"] != before[0]["payload"]
    assert (after[0]["codec"], after[0]["channels"], after[0]["rate"]) == ("aac", 1, 48000)
    # The chirp is dense from start to end, so the average bit rate shows the encoder's setting.
    src_rate = probe(two_streams.path).audio[0].bit_rate
    assert probe(result.output).audio[0].bit_rate == pytest.approx(src_rate, rel=0.2)
    decisions = {d["index"]: d for d in result.report["streams"]}
    assert decisions[1]["action"] == "redact" and decisions[2]["action"] == "copy"
    assert decisions[1]["target_codec"] == "aac"
    # The video is untouched by audio work: same frames, same time stamps.
    assert probe(result.output).pts == probe(two_streams.path).pts


def test_the_report_lists_every_range_with_its_action_and_reason(two_streams, tmp_path):
    ranges = [AudioRange(0, 0.2, 0.4, "mute", "surname"), AudioRange(0, 1.0, 1.4, "bleep", "phone number"),
              AudioRange(1, 2.0, 2.5, "disguise", "witness")]
    result = export_video(project_with(two_streams, ranges), tmp_path / "out.mp4")
    report = json.loads(result.report_path.read_text())
    assert report["audio"]["removed"] is False
    assert [(r["stream"], r["start"], r["end"], r["action"], r["reason"]) for r in report["audio"]["ranges"]] == \
        [(0, 0.2, 0.4, "mute", "surname"), (0, 1.0, 1.4, "bleep", "phone number"), (1, 2.0, 2.5, "disguise", "witness")]
    assert report["audio"]["ranges"][1]["tone_hz"] == 1000.0
    assert report["audio"]["seconds_redacted"] == {"0": 0.6, "1": 0.5}


def test_disguise_keeps_loudness_and_timing_but_changes_the_voice(two_streams, tmp_path):
    out = export_video(project_with(two_streams, [AudioRange(1, 0.2, 2.8, "disguise", "")]), tmp_path / "o.mp4").output
    src, dst = decoded(two_streams.path, 1), decoded(out, 1)
    speech = (0.35, 0.85)  # the first vowel burst (tests/audio_signals.speech_bursts)
    assert level(dst, *speech) == pytest.approx(level(src, *speech), abs=3.0)
    assert level(dst, 0.92, 1.35) < -50  # the silence between bursts stays silent
    assert snr_db(span(src, *speech), span(dst, *speech)) < 6  # the waveform is another one
    assert snr_db(span(src, 2.9, 2.98), span(dst, 2.9, 2.98)) >= CODEC_SNR_DB or level(src, 2.9, 2.98) < -60


def test_remove_audio_drops_every_audio_stream(two_streams, tmp_path):
    project = project_with(two_streams, [AudioRange(0, 0.0, 1.0, "mute", "")], remove_audio=True)
    result = export_video(project, tmp_path / "out.mp4")
    assert probe(result.output).audio == ()
    assert result.report["audio"]["removed"] is True and result.report["audio"]["ranges"] == []
    assert [d["action"] for d in result.report["streams"] if d["kind"] == "audio"] == ["drop", "drop"]
    assert check_muted_ranges(result.output, project) == []
    assert check_muted_ranges(two_streams.path, project)[0].action == "remove"


def test_a_file_without_audio(clip_factory, tmp_path):
    truth = clip_factory("silent.mp4", frames=10)
    project = project_with(truth, [AudioRange(0, 0.0, 0.2, "mute", "")])
    with pytest.raises(ProjectFormatError, match=r"audio_ranges\[0\].stream: 0 does not exist; the video has no audio"):
        export_video(project, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
    for remove in (False, True):
        ok = export_video(dataclasses.replace(project, audio_ranges=[], remove_audio=remove), tmp_path / f"{remove}.mp4")
        assert probe(ok.output).audio == () and ok.report["audio"]["streams"] == 0


def test_a_range_on_a_stream_the_file_lacks_is_refused(two_streams, tmp_path):
    project = project_with(two_streams, [AudioRange(2, 0.0, 0.2, "mute", "")])
    with pytest.raises(ProjectFormatError, match=r"stream: 2 does not exist; the video has 2 audio streams \(0-1\)"):
        export_video(project, tmp_path / "out.mp4")


def test_opus_in_webm_is_redacted_as_opus(clip_factory, tmp_path):
    truth = clip_factory("talk.webm", frames=50, audio=(CHIRP,))
    project = project_with(truth, [AudioRange(0, 0.5, 1.0, "mute", "")])
    result = export_video(project, tmp_path / "out.webm")
    assert audio_summary(result.output)[0]["codec"] == "opus" and result.warnings == []
    assert level(decoded(result.output), 0.5, 1.0) <= SILENCE_DBFS
    src, dst = decoded(truth.path), decoded(result.output)
    assert best_lag(span(src, 1.2, 1.8), span(dst, 1.2, 1.8)) == 0


@pytest.mark.parametrize("src_name, out_name", [("in.mkv", "out.mkv"), ("in.mov", "out.mov"), ("in.avi", "out.avi"),
                                                ("in.mp4", "out.mkv")])
def test_other_containers_stay_silent_where_muted_and_in_sync(clip_factory, tmp_path, src_name, out_name):
    """MP4/MOV and Matroska record the encoder's priming; AVI cannot, so its samples are dropped
    before the encoder (MP2: 481). AVI's video clock restarts at 0 in the export: the ranges follow it."""
    truth = clip_factory(src_name, frames=50, audio=(CHIRP,))
    project = project_with(truth, [AudioRange(0, 0.5, 0.8, "mute", "")])
    result = export_video(project, tmp_path / out_name)
    assert result.warnings == []
    assert check_muted_ranges(result.output, project) == []
    src, dst = decoded(truth.path), decoded(result.output)  # both on their audio's own clock
    assert best_lag(span(src, 1.0, 1.8), span(dst, 1.0, 1.8)) == 0
    assert snr_db(span(src, 1.0, 1.8), span(dst, 1.0, 1.8)) >= CODEC_SNR_DB


def test_a_bleep_in_matroska_is_one_unbroken_tone(clip_factory, tmp_path):
    """Matroska counts whole milliseconds, so AAC frames of 1024 samples (21.33 ms) are stamped up to
    0.5 ms off: they are placed one after the other, not by their stamps, or the tone would tear at
    every frame (measured: a 1 kHz bleep whose fitted sine had 0.5 % of its level)."""
    truth = clip_factory("in.mkv", frames=50, audio=(CHIRP,))
    blocks = list(iter_blocks(truth.path, 0, 0.0))
    assert all(a + x.shape[1] == b for (a, x), (b, _) in zip(blocks, blocks[1:]))
    out = export_video(project_with(truth, [AudioRange(0, 0.5, 1.5, "bleep", "")]), tmp_path / "out.mkv").output
    tone = span(decoded(out), 0.55, 1.45)[0]
    t = np.arange(int(0.55 * 48000), int(0.55 * 48000) + len(tone)) / 48000
    basis = np.stack([np.sin(2 * np.pi * 1000 * t), np.cos(2 * np.pi * 1000 * t)], axis=1)
    fit, *_ = np.linalg.lstsq(basis, tone, rcond=None)
    assert np.hypot(*fit) == pytest.approx(10 ** (-18 / 20), rel=0.05)
    assert snr_db(tone[None, :], (basis @ fit)[None, :]) >= 30
    assert check_muted_ranges(out, project_with(truth, [AudioRange(0, 0.5, 1.5, "bleep", "")])) == []
