"""The check of an exported file's audio against its project (core.audio.check), on real exports of
generated signals: silent where muted, judged window by window so a long range cannot average a
short sound away; no source left where bleeped; not the undisguised source where disguised; and the
audio before the first video frame, which a range from 0 s covers."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest

from anonymizer_gui.core.audio import SILENCE_DBFS, RangeProcessor, check_muted_ranges, iter_blocks, rms_dbfs
from anonymizer_gui.core.audio import check as audio_check
from anonymizer_gui.core.export import export_video
from anonymizer_gui.core.project import AudioRange, Project
from tests.audio_signals import speech_bursts, vowel
from tests.clips import Tone
from tests.core.audio_support import best_lag, decoded, level, peak_frequency, snr_db, span
from tests.core.export_fixtures import media_ref, project_for

RATE = 48000
SECONDS = 3.0
FRAMES = 75  # 3 s at 25 fps
CHIRP, SPEECH = Tone(wave="chirp"), Tone(channels=2, wave="speech", language="fra")
CODEC_MARGIN_DB = 3.0


def project_with(truth, ranges) -> Project:
    project = project_for(truth)
    project.tracks = []
    project.audio_ranges = sorted(ranges, key=lambda r: (r.stream, r.start, r.end))
    return project


def project_of(clip, ranges) -> Project:
    """A project of audio ranges alone, for a clip made here."""
    return Project(media=media_ref(clip), audio_ranges=list(ranges))


def forgot_the_ranges(truth, path: Path, streams: int, seconds: float = SECONDS) -> Path:
    """An export that re-encoded every audio stream but applied none of the project's ranges (a
    10 ms mute at the very end of each stream, away from them): what a leak looks like."""
    ranges = [AudioRange(k, seconds - 0.01, seconds, "mute", "") for k in range(streams)]
    return export_video(project_of(truth, ranges), path).output


@pytest.fixture
def two_streams(clip_factory):
    return clip_factory("talk.mp4", frames=FRAMES, audio=(CHIRP, SPEECH))


# -- bleep and disguise (bug: only mute ranges were checked) ----------------------------------------
BLEEP_AND_DISGUISE = [AudioRange(0, 0.4, 1.2, "bleep", "a chirp bleeped"),
                      AudioRange(0, 1.6, 2.6, "disguise", "a chirp disguised"),
                      AudioRange(1, 0.3, 1.2, "disguise", "speech disguised"),
                      AudioRange(1, 1.4, 2.1, "bleep", "speech bleeped", tone_hz=1500.0, level_dbfs=-6.0)]


def test_bleeped_and_disguised_ranges_that_still_hold_the_source_are_reported(two_streams, tmp_path):
    project = project_with(two_streams, BLEEP_AND_DISGUISE)
    good = export_video(project, tmp_path / "good.mp4").output
    assert check_muted_ranges(good, project) == []

    findings = check_muted_ranges(forgot_the_ranges(two_streams, tmp_path / "leak.mp4", 2), project)
    assert [(f.stream, f.start, f.end, f.action) for f in findings] == \
        [(r.stream, r.start, r.end, r.action) for r in project.audio_ranges]
    assert all(f.level_dbfs > -30 for f in findings)
    bleeped = next(f for f in findings if f.action == "bleep")
    disguised = next(f for f in findings if f.action == "disguise")
    assert "still holds the source's sound in the bleeped range" in bleeped.message
    assert "is the undisguised source in the disguised range" in disguised.message


@pytest.mark.parametrize("name, suffix, rate", [("talk.webm", ".webm", 48000), ("talk.avi", ".avi", 48000),
                                                ("talk.mp4", ".webm", 44100)])
def test_the_bleep_and_disguise_check_holds_in_other_codecs(clip_factory, tmp_path, name, suffix, rate):
    """Opus (WebM) and MP2 (AVI) change the signal in their own ways. AAC at 44.1 kHz written to WebM
    is re-encoded as Opus at 48 kHz and lands 0.5 ms late (WebM counts whole milliseconds)."""
    truth = clip_factory(name, frames=FRAMES, audio=(Tone(wave="speech", sample_rate=rate),
                                                     Tone(wave="chirp", sample_rate=rate)))
    ranges = [AudioRange(0, 0.2, 2.8, "disguise", ""), AudioRange(1, 0.5, 1.5, "bleep", ""),
              AudioRange(1, 1.8, 2.6, "disguise", "")]
    project = project_with(truth, ranges)
    assert check_muted_ranges(export_video(project, tmp_path / f"good{suffix}").output, project) == []
    findings = check_muted_ranges(forgot_the_ranges(truth, tmp_path / f"leak{suffix}", 2), project)
    assert [(f.stream, f.start, f.action) for f in findings] == [(0, 0.2, "disguise"), (1, 0.5, "bleep"),
                                                               (1, 1.8, "disguise")]


def test_the_quiet_tails_opus_leaves_after_a_disguised_vowel_are_not_taken_for_the_source(tmp_path):
    """Opus re-creates the quiet tail it left after each vowel of the source (-57 dBFS), disguised or
    not: there the output lies nearer the source than the disguise, and is not judged."""
    audio = speech_bursts(int(SECONDS * RATE), RATE, on_s=0.35, off_s=0.2, start_s=0.0, amplitude=0.6)[0]
    clip = clip_with_audio(tmp_path / "bursts.webm", audio, video_start_s=0.0, frames=FRAMES)
    project = project_of(clip, [AudioRange(0, 0.2, 2.8, "disguise", "")])
    assert check_muted_ranges(export_video(project, tmp_path / "out.webm").output, project) == []
    findings = check_muted_ranges(forgot_the_ranges(clip, tmp_path / "leak.webm", 1), project)
    assert [(f.start, f.end, f.action) for f in findings] == [(0.2, 2.8, "disguise")]


def test_the_source_left_under_a_bleep_tone_is_reported():
    """What is left once the bleep is taken out must not be the source, even mixed under the tone."""
    source = vowel(RATE, RATE)[None, :].astype(np.float32)  # a voice at -13 dBFS for 1 s
    expected = RangeProcessor([AudioRange(0, 0.0, 1.0, "bleep", "")], RATE).process(source, 0)
    noise = np.random.default_rng(1).normal(0, 10 ** (-50 / 20), source.shape).astype(np.float32)
    assert audio_check.find_leak("bleep", expected + noise, RATE, source, expected) is None  # a codec's error
    leak = audio_check.find_leak("bleep", expected + 0.1 * source, RATE, source, expected)  # the voice 20 dB down
    assert leak is not None and leak.level_dbfs == pytest.approx(rms_dbfs(0.1 * source), abs=1.5)


# -- a short sound in a long muted range (bug: one RMS over the whole range) ------------------------
def test_a_short_sound_in_a_long_muted_range_is_not_averaged_away(clip_factory, tmp_path):
    truth = clip_factory("long.mp4", frames=60, fps=5, audio=(CHIRP,))  # 12 s
    muted = project_with(truth, [AudioRange(0, 0.0, 12.0, "mute", "")])
    assert check_muted_ranges(export_video(muted, tmp_path / "good.mp4").output, muted) == []
    # An output silent but for 0.3 s at -46 dBFS RMS (a tone of peak -43 dBFS) in the middle.
    leaky = project_with(truth, [AudioRange(0, 0.0, 6.0, "mute", ""),
                                 AudioRange(0, 6.0, 6.3, "bleep", "", level_dbfs=-43.0),
                                 AudioRange(0, 6.3, 12.0, "mute", "")])
    out = export_video(leaky, tmp_path / "leaky.mp4").output
    assert level(decoded(out), 0.0, 12.0) < SILENCE_DBFS  # what one RMS over the range hears
    findings = check_muted_ranges(out, muted)
    assert [(f.start, f.end, f.action) for f in findings] == [(0.0, 12.0, "mute")]
    assert findings[0].level_dbfs == pytest.approx(-46.0, abs=1.5)
    assert "not silent in the muted range 0.000-12.000 s" in findings[0].message


def test_the_original_sounding_into_a_range_placed_late_is_reported(two_streams, tmp_path):
    """Near a range's edges a window is judged against the sound outside (a codec smears it in);
    20 ms of the original at the start of a muted range (a range applied late) still stands out."""
    project = project_with(two_streams, [AudioRange(0, 1.0, 2.0, "mute", "")])
    assert check_muted_ranges(export_video(project, tmp_path / "good.mp4").output, project) == []
    late = export_video(project_with(two_streams, [AudioRange(0, 1.02, 2.0, "mute", "")]), tmp_path / "late.mp4")
    findings = check_muted_ranges(late.output, project)
    assert [(f.start, f.end) for f in findings] == [(1.0, 2.0)] and "at 1.000-1.050 s" in findings[0].message


def test_the_loudest_window_is_judged_whatever_the_length_of_the_range():
    rate = 8000
    out = np.zeros((2, 600 * rate), np.float32)  # ten minutes
    t = np.arange(int(0.3 * rate)) / rate
    out[1, 300 * rate:300 * rate + len(t)] = 10 ** (-30 / 20) * np.sqrt(2) * np.sin(2 * np.pi * 440 * t)
    assert rms_dbfs(out) < SILENCE_DBFS
    leak = audio_check.find_leak("mute", out, rate)
    assert leak.level_dbfs == pytest.approx(-30.0, abs=0.5)
    window = audio_check.WINDOW_S * rate
    assert 300 * rate - window <= leak.first < leak.last <= 300.3 * rate + window
    assert audio_check.find_leak("mute", np.zeros((1, rate)), rate) is None


# -- the audio before the first video frame (bug: no range could reach it) --------------------------
PREROLL_S = 0.48  # 12 frames at 25 fps


def clip_with_audio(path: Path, audio: np.ndarray, video_start_s: float = PREROLL_S, frames: int = 40,
                    fps: int = 25) -> SimpleNamespace:
    """A clip whose video starts `video_start_s` after its audio (as camera files and cut files often
    do): audio (n,) float from 0 s; AAC in MP4, Opus in WebM."""
    video_codec, audio_codec = {".mp4": ("libx264", "aac"), ".webm": ("libvpx-vp9", "libopus")}[path.suffix]
    tb = Fraction(1, fps)
    with av.open(str(path), "w") as out:
        vs = out.add_stream(video_codec, rate=fps, options={"deadline": "realtime", "cpu-used": "8"}
                            if video_codec == "libvpx-vp9" else {"preset": "ultrafast"})
        vs.width, vs.height, vs.pix_fmt = 160, 96, "yuv420p"
        vs.codec_context.time_base = tb
        a = out.add_stream(audio_codec, rate=RATE)
        a.layout = "mono"
        first = round(video_start_s * fps)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((96, 160, 3), 40 + 2 * i, np.uint8), format="rgb24")
            frame.pts, frame.time_base = first + i, tb
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        step = a.codec_context.frame_size or 1024
        for k in range(0, len(audio), step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[None, k:k + step], np.float32),
                                               format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = RATE, k, Fraction(1, RATE)
            for packet in a.encode(frame):
                out.mux(packet)
        for packet in a.encode():
            out.mux(packet)
    return SimpleNamespace(path=path)


def own_clock(path) -> np.ndarray:
    """Audio stream 0 with sample 0 at 0 s of the file (here: PREROLL_S before the first frame)."""
    blocks = list(iter_blocks(path, 0, 0.0))
    assert blocks[0][0] == 0
    return np.concatenate([b for _, b in blocks], axis=1)


@pytest.fixture
def voice_before_the_video(tmp_path):
    return clip_with_audio(tmp_path / "preroll.mp4", vowel(int(2.1 * RATE), RATE))


@pytest.mark.parametrize("action", ["mute", "bleep", "disguise"])
def test_a_range_from_the_first_frame_also_covers_the_audio_before_it(voice_before_the_video, tmp_path, action):
    project = project_of(voice_before_the_video, [AudioRange(0, 0.0, 0.3, action, "")])
    out = export_video(project, tmp_path / "out.mp4").output
    src, dst = own_clock(voice_before_the_video.path), own_clock(out)
    assert dst.shape == src.shape
    before, after = (0.02, PREROLL_S + 0.28), (PREROLL_S + 0.4, 1.9)  # the range ends 0.3 s after the first frame
    if action == "mute":
        assert level(dst, 0.0, PREROLL_S + 0.3) <= SILENCE_DBFS
    elif action == "bleep":
        assert peak_frequency(span(dst, *before)) == pytest.approx(1000.0, abs=3)
        assert level(dst, *before) == pytest.approx(-18.0 - 3.01, abs=0.5)
    else:
        assert level(dst, *before) == pytest.approx(level(src, *before), abs=3.0)
        assert snr_db(span(src, *before), span(dst, *before)) < 6
    assert best_lag(span(src, *after), span(dst, *after)) == 0
    assert snr_db(span(src, *after), span(dst, *after)) > 10  # the rest is the source
    assert check_muted_ranges(out, project) == []


def test_a_range_after_the_first_frame_leaves_the_audio_before_it_alone(voice_before_the_video, tmp_path):
    project = project_of(voice_before_the_video, [AudioRange(0, 0.1, 0.3, "mute", "")])
    out = export_video(project, tmp_path / "out.mp4").output
    reference = export_video(project_of(voice_before_the_video, [AudioRange(0, 1.5, 1.6, "mute", "")]),
                             tmp_path / "reference.mp4").output
    src, dst, ref = own_clock(voice_before_the_video.path), own_clock(out), own_clock(reference)
    before = (0.02, PREROLL_S + 0.05)
    assert snr_db(span(src, *before), span(dst, *before)) >= \
        snr_db(span(src, *before), span(ref, *before)) - CODEC_MARGIN_DB
    assert level(dst, PREROLL_S + 0.15, PREROLL_S + 0.29) <= SILENCE_DBFS  # (AAC smears ~20 ms into it)
    assert check_muted_ranges(out, project) == []


@pytest.mark.parametrize("action", ["mute", "bleep", "disguise"])
def test_the_check_hears_the_audio_before_the_first_frame(tmp_path, action):
    """A file loud before its first frame and silent from it on, checked as the output of a project
    with a range from 0 s (for bleep and disguise the file is its own source: nothing was done)."""
    audio = np.concatenate([vowel(int(PREROLL_S * RATE), RATE), np.zeros(int(1.6 * RATE))])
    clip = clip_with_audio(tmp_path / "loud_before.mp4", audio)
    findings = check_muted_ranges(clip.path, project_of(clip, [AudioRange(0, 0.0, 0.4, action, "")]))
    assert [(f.start, f.end, f.action) for f in findings] == [(0.0, 0.4, action)]
    assert "before the first frame" in findings[0].message
    assert check_muted_ranges(clip.path, project_of(clip, [AudioRange(0, 0.1, 0.4, action, "")])) == []
