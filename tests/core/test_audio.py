"""core.audio on generated signals: range effects and fades, the McAdams disguise, speech found by
the VAD, waveform peaks and their cache; core.project's audio ranges in JSON and as pure edits."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from anonymizer_gui.core import audio
from anonymizer_gui.core.audio import (FADE_S, RangeProcessor, disguise_voice, load_overviews,
                                       mcadams_frequency, rms_dbfs)
from anonymizer_gui.core.audio.disguise import lpc
from anonymizer_gui.core.audio.vad import SpeechDetector, smooth
from anonymizer_gui.core.foundation import ProjectFormatError
from anonymizer_gui.core.project import (AudioRange, MediaRef, Project, audio_edits, project_from_dict,
                                         project_to_dict)
from tests.audio_signals import VOICE_A, chirp, speech_bursts, vowel
from tests.clips import Tone

RATE = 48000


# -- effects ------------------------------------------------------------------------------------
def run_blocks(processor: RangeProcessor, x: np.ndarray, block: int) -> np.ndarray:
    return np.concatenate([processor.process(x[:, i:i + block], i) for i in range(0, x.shape[1], block)], axis=1)


def test_the_result_does_not_depend_on_how_the_stream_is_cut_into_blocks():
    x = chirp(RATE * 2, RATE)[None, :].astype(np.float32)
    ranges = [AudioRange(0, 0.3, 0.7, "bleep", ""), AudioRange(0, 0.5, 0.9, "mute", ""),
              AudioRange(0, 1.2, 1.6, "mute", "")]
    whole = RangeProcessor(ranges, RATE).process(x, 0)
    for block in (1024, 960, 333):
        np.testing.assert_allclose(run_blocks(RangeProcessor(ranges, RATE), x, block), whole, atol=1e-6)


def test_a_mute_is_exact_silence_inside_and_fades_outside():
    x = np.full((2, RATE), 0.5, np.float32)
    y = RangeProcessor([AudioRange(0, 0.25, 0.5, "mute", "")], RATE).process(x, 0)
    a, b, fade = int(0.25 * RATE), int(0.5 * RATE), int(FADE_S * RATE)
    assert not y[:, a:b].any()
    np.testing.assert_array_equal(y[:, :a - fade], x[:, :a - fade])
    np.testing.assert_array_equal(y[:, b + fade:], x[:, b + fade:])
    ramp = y[0, a - fade:a]
    assert np.all(np.diff(ramp) <= 0) and np.abs(np.diff(y[0])).max() <= 0.5 / fade + 1e-6  # no click


def test_bleep_replaces_the_sound_with_its_tone_and_mute_beats_bleep_beats_disguise():
    x = chirp(RATE, RATE)[None, :].astype(np.float32)
    ranges = [AudioRange(0, 0.1, 0.6, "bleep", "", tone_hz=800.0, level_dbfs=-6.0),
              AudioRange(0, 0.4, 0.5, "mute", ""), AudioRange(0, 0.2, 0.3, "disguise", "")]
    y = RangeProcessor(ranges, RATE).process(x, 0)
    tone = y[0, int(0.11 * RATE):int(0.19 * RATE)]
    t = np.arange(int(0.11 * RATE), int(0.19 * RATE)) / RATE
    np.testing.assert_allclose(tone, 10 ** (-6 / 20) * np.sin(2 * np.pi * 800 * t), atol=1e-5)
    assert not y[0, int(0.4 * RATE):int(0.5 * RATE)].any()
    assert rms_dbfs(y[:, int(0.21 * RATE):int(0.29 * RATE)]) == pytest.approx(-9.03, abs=0.1)  # still the tone


def test_ranges_at_the_very_start_and_past_the_end_apply_to_what_exists():
    x = np.full((1, RATE), 0.5, np.float32)
    y = RangeProcessor([AudioRange(0, 0.0, 0.1, "mute", ""), AudioRange(0, 0.9, 5.0, "mute", "")], RATE).process(x, 0)
    assert not y[:, :int(0.1 * RATE)].any() and not y[:, int(0.9 * RATE):].any()
    assert y[0, RATE // 2] == 0.5


# -- disguise -------------------------------------------------------------------------------------
def formants(x: np.ndarray, rate: int, count: int = 3) -> list[float]:
    """The lowest resonances of a steady vowel: sharp poles of an order-18 LPC at 16 kHz."""
    from scipy.signal import resample_poly

    x = resample_poly(x, 16000, rate) if rate != 16000 else x
    rate = 16000
    frame = x[len(x) // 4:len(x) // 4 + int(0.05 * rate)] * np.hanning(int(0.05 * rate))
    roots = np.roots(lpc(frame, 18))
    roots = roots[(np.imag(roots) > 0) & (np.abs(roots) > 0.85)]
    freqs = sorted(np.angle(roots) * rate / (2 * np.pi))
    return [f for f in freqs if f > 300][:count]


def pitch(x: np.ndarray, rate: int) -> float:
    seg = x[len(x) // 4:len(x) // 4 + int(0.1 * rate)]
    ac = np.correlate(seg, seg, "full")[len(seg) - 1:]
    lo, hi = int(rate / 400), int(rate / 60)
    return rate / (lo + int(np.argmax(ac[lo:hi])))


def test_mcadams_warp_moves_low_formants_up_and_leaves_high_ones():
    assert mcadams_frequency(730.0) == pytest.approx(937, abs=2)
    assert mcadams_frequency(1090.0) == pytest.approx(1292, abs=2)
    assert mcadams_frequency(2546.5) == pytest.approx(2546.5, abs=1)  # the fixed point: theta = 1 rad
    assert mcadams_frequency(3500.0) < 3500.0


@pytest.mark.parametrize("rate", [16000, 48000])
def test_disguise_shifts_the_formants_keeps_the_pitch_and_is_deterministic(rate):
    x = vowel(rate, rate, VOICE_A)
    y = disguise_voice(x, rate)
    np.testing.assert_array_equal(y, disguise_voice(x, rate))
    before, after = formants(x, rate), formants(y, rate)
    assert before[0] == pytest.approx(730, abs=40) and before[1] == pytest.approx(1090, abs=60)
    assert after[0] - before[0] > 120  # F1 up by ~190 Hz
    assert after[1] - before[1] > 120  # F2 up by ~200 Hz
    assert pitch(y, rate) == pytest.approx(pitch(x, rate), rel=0.03)
    assert rms_dbfs(y[None]) == pytest.approx(rms_dbfs(x[None]), abs=2.0)


def test_disguise_of_silence_is_silence():
    assert not disguise_voice(np.zeros((2, 4800), np.float32), RATE).any()


# -- speech --------------------------------------------------------------------------------------
def test_vad_finds_the_vowel_bursts_and_nothing_in_silence():
    x, bursts = speech_bursts(16000 * 4, 16000)
    noise = np.random.default_rng(0).normal(0, 1e-4, len(x))
    det = SpeechDetector()
    det.feed(((x + noise) * 32767).astype(np.int16))
    found = det.segments(4.0)
    assert len(found) == len(bursts)
    for (a, b), (ta, tb) in zip(found, bursts):
        assert a <= ta + 0.1 and b >= tb - 0.1  # covers the burst (padded, fail closed) ...
        assert a >= ta - 0.3 and b <= tb + 0.3  # ... and not much more
    silent = SpeechDetector()
    silent.feed(np.zeros(16000 * 2, np.int16))
    assert silent.segments() == []


def test_smoothing_bridges_short_gaps_and_drops_blips():
    flags = [True] * 10 + [False] * 5 + [True] * 10 + [False] * 30 + [True] * 2 + [False] * 10
    assert smooth(flags, 0.03) == [(0.0, 0.85)]  # 0.15 s gap bridged, 0.06 s blip dropped, 0.1 s pads


# -- overviews and the cache -------------------------------------------------------------------------
def test_overviews_hold_peaks_and_speech_per_stream_and_are_cached(clip_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("ANONYMIZER_GUI_CACHE_DIR", str(tmp_path / "cache"))
    truth = clip_factory("talk.mp4", frames=75, audio=(Tone(wave="chirp"), Tone(channels=2, wave="speech")))
    first = load_overviews(truth.path, 0.0, 3.0)
    assert [o.stream for o in first] == [0, 1] and [o.channels for o in first] == [1, 2]
    chirp_o, speech_o = first
    assert len(chirp_o.mins) == pytest.approx(300, abs=3)
    assert chirp_o.maxs[10:290].min() > 0.25 and chirp_o.mins[10:290].max() < -0.25
    assert np.abs(speech_o.maxs[:25]).max() < 0.01  # silence before the first burst at 0.3 s
    assert speech_o.speech and speech_o.speech[0][0] == pytest.approx(0.2, abs=0.12)
    assert list((tmp_path / "cache" / "waveforms").glob("*.npz"))

    monkeypatch.setattr(audio.overview, "compute_overviews", lambda *a, **k: pytest.fail("not cached"))
    again = load_overviews(truth.path, 0.0, 3.0)
    np.testing.assert_array_equal(again[1].maxs, speech_o.maxs)
    assert again[1].speech == speech_o.speech
    os.utime(truth.path, ns=(1, 1))  # the file changed: decoded again
    with pytest.raises(pytest.fail.Exception):
        load_overviews(truth.path, 0.0, 3.0)


def test_a_file_without_audio_has_no_overviews(clip_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("ANONYMIZER_GUI_CACHE_DIR", str(tmp_path / "cache"))
    assert load_overviews(clip_factory("v.mp4", frames=5).path, 0.0) == []


# -- the project ----------------------------------------------------------------------------------
def base_dict() -> dict:
    return project_to_dict(Project(media=MediaRef("v.mp4")))


def test_audio_ranges_round_trip_and_are_optional():
    data = base_dict()
    assert "audio_ranges" not in data and "remove_audio" not in data
    assert project_from_dict(data).audio_ranges == [] and project_from_dict(data).remove_audio is False
    data["audio_ranges"] = [{"stream": 1, "start": 2, "end": 3.5, "action": "bleep", "reason": "phone number",
                             "tone_hz": 800, "level_dbfs": -12},
                            {"stream": 0, "start": 1.5, "end": 2.75, "action": "mute", "reason": "..."}]
    data["remove_audio"] = True
    project = project_from_dict(json.loads(json.dumps(data)))
    assert project.audio_ranges == [AudioRange(0, 1.5, 2.75, "mute", "..."),
                                    AudioRange(1, 2.0, 3.5, "bleep", "phone number", 800.0, -12.0)]
    assert project.remove_audio is True
    again = project_to_dict(project)
    assert again["audio_ranges"][0] == {"stream": 0, "start": 1.5, "end": 2.75, "action": "mute", "reason": "..."}
    assert project_from_dict(again).audio_ranges == project.audio_ranges


@pytest.mark.parametrize("entry, message", [
    ({"stream": -1, "start": 0, "end": 1, "action": "mute"}, r"audio_ranges\[0\].stream: must not be negative"),
    ({"stream": 0.5, "start": 0, "end": 1, "action": "mute"}, r"audio_ranges\[0\].stream: expected an integer, got a number"),
    ({"stream": 0, "start": 2, "end": 1, "action": "mute"}, r"audio_ranges\[0\].end: must be greater than start \(2.0\), got 1.0"),
    ({"stream": 0, "start": 1, "end": 1, "action": "mute"}, r"audio_ranges\[0\].end: must be greater than start"),
    ({"stream": 0, "start": -1, "end": 1, "action": "mute"}, r"audio_ranges\[0\].start: must not be negative"),
    ({"stream": 0, "start": 0, "end": 1, "action": "silence"},
     r"audio_ranges\[0\].action: expected one of mute, bleep, disguise, got 'silence'"),
    ({"stream": 0, "start": 0, "end": 1}, r"audio_ranges\[0\].action: missing"),
    ({"stream": 0, "start": 0, "end": "1", "action": "mute"}, r"audio_ranges\[0\].end: expected an integer or a number, got a string"),
    ({"stream": 0, "start": 0, "end": 1, "action": "bleep", "tone_hz": 5}, r"audio_ranges\[0\].tone_hz: must lie between 20 and 20000"),
    ({"stream": 0, "start": 0, "end": 1, "action": "bleep", "level_dbfs": 3}, r"audio_ranges\[0\].level_dbfs: must lie between -60 and 0"),
    ({"stream": 0, "start": 0, "end": 1, "action": "mute", "reason": 7}, r"audio_ranges\[0\].reason: expected a string"),
    ("mute", r"audio_ranges\[0\]: expected an object, got a string"),
])
def test_bad_audio_ranges_name_the_field(entry, message):
    data = base_dict()
    data["audio_ranges"] = [entry]
    with pytest.raises(ProjectFormatError, match=message):
        project_from_dict(data)


def test_bad_remove_audio_and_range_list():
    data = base_dict()
    data["remove_audio"] = "yes"
    with pytest.raises(ProjectFormatError, match="remove_audio: expected true or false, got a string"):
        project_from_dict(data)
    data = base_dict()
    data["audio_ranges"] = {"stream": 0}
    with pytest.raises(ProjectFormatError, match="audio_ranges: expected a list, got an object"):
        project_from_dict(data)


def test_range_edits_are_pure_and_keep_the_list_sorted():
    a, b = AudioRange(0, 2.0, 3.0, "mute", "a"), AudioRange(1, 0.5, 1.0, "bleep", "b")
    ranges = [a, b]
    added = audio_edits.with_range(ranges, AudioRange(0, 1.5, 0.5, "disguise", "dragged leftwards"))
    assert ranges == [a, b]
    assert [(r.stream, r.start, r.end) for r in added] == [(0, 0.5, 1.5), (0, 2.0, 3.0), (1, 0.5, 1.0)]
    changed = audio_edits.replaced(added, 1, action="bleep", reason="new")
    assert changed[1].action == "bleep" and changed[1].reason == "new" and added[1].action == "mute"
    assert audio_edits.without_range(changed, 0) == changed[1:]
    assert audio_edits.index_at(added, 0, 2.5) == 1 and audio_edits.index_at(added, 1, 2.5) is None
    with pytest.raises(ProjectFormatError, match="needs a length"):
        audio_edits.with_range(ranges, AudioRange(0, 1.0, 1.0, "mute", ""))
    with pytest.raises(ProjectFormatError, match="unknown audio action 'loud'"):
        audio_edits.with_range(ranges, AudioRange(0, 1.0, 2.0, "loud", ""))
