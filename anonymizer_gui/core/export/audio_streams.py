"""The fate of each audio stream in an export: copied, re-encoded with its redactions, or dropped.

- `remove_audio`: every audio stream is dropped (the report says so).
- A stream with audio ranges is decoded, redacted (core.audio) and re-encoded with the same codec,
  sample rate, channel layout and bit rate, frame time stamps passed through, so it stays in sync
  to the sample. Where this FFmpeg has no encoder for the codec, or the container cannot hold it,
  the container's usual audio codec is used instead, with a warning.
- Every other stream is copied packet for packet (re-encoded only where the container cannot hold it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import av

from ..audio import RangeProcessor, range_processor
from ..project import AudioRange

REENCODE_AUDIO_CODEC = {"mp4": "aac", "mov": "aac", "matroska": "aac", "webm": "libopus", "avi": "mp2"}
# Samples of priming an encoder puts before the audio (FFmpeg's initial_padding, which PyAV does
# not expose). MP4/MOV (edit lists) and Matroska/WebM (CodecDelay) record it; AVI cannot.
ENCODER_PRIMING = {"mp2": 481, "aac": 1024, "libopus": 312}
# Decoder name -> encoders that write the same format, best first.
_ENCODERS = {"opus": ("libopus", "opus"), "vorbis": ("libvorbis", "vorbis"), "mp3": ("libmp3lame",),
             "mp3float": ("libmp3lame",), "aac": ("aac",), "ac3": ("ac3",), "eac3": ("eac3",),
             "mp2": ("mp2",), "mp2float": ("mp2",), "flac": ("flac",), "alac": ("alac",)}


@dataclass
class AudioEdits:
    """What the project asks of the audio: ranges (streams counted from 0) or no audio at all."""

    ranges: list[AudioRange] = field(default_factory=list)
    remove_audio: bool = False
    input_path: str = ""
    origin_s: float = 0.0  # the timeline's zero (first video frame) in the input's seconds
    processors: dict[int, RangeProcessor] = field(default_factory=dict)  # input index -> its redaction


def add_audio(out, s, number: int, plan, edits: AudioEdits) -> tuple[str, object, str | None, str]:
    """(action, output stream, target codec, detail) for input audio stream `s`, the `number`-th
    audio stream of the file (not called when the project removes all audio). Fills
    `edits.processors` for a stream with ranges and adds a warning to `plan` where needed."""
    codec = _codec_name(s)
    mine = [r for r in edits.ranges if r.stream == number]
    if mine:
        ostream, target = _add_redacted(out, s, codec, plan)
        cc = s.codec_context
        processor = range_processor(edits.input_path, number, edits.origin_s, mine, cc.sample_rate,
                                    cc.layout.nb_channels)
        if plan.format_name == "avi":
            processor.encoder_lead = ENCODER_PRIMING.get(target, 0)
        edits.processors[s.index] = processor
        action = "redact"
        detail = f"{len(mine)} audio range{'s' if len(mine) > 1 else ''} applied"
    else:
        try:
            ostream = out.add_stream_from_template(s)
            action, target, detail = "copy", None, ""
        except (ValueError, av.FFmpegError):
            ostream, target = _add_encoder(out, s, REENCODE_AUDIO_CODEC[plan.format_name], plan.format_name)
            action, detail = "encode", ""
            plan.warnings.append(f"audio stream #{s.index} ({codec}) cannot be copied into {plan.format_name}; "
                                 f"re-encoded as {target}")
    return action, ostream, target, detail


def _add_redacted(out, s, codec: str | None, plan):
    supported = out.supported_codecs
    for name in _ENCODERS.get(codec or "", (codec,) if codec else ()):
        try:
            encoder = av.Codec(name, "w")
        except (av.FFmpegError, ValueError):
            continue
        if encoder.type == "audio" and (encoder.name in supported or codec in supported):
            return _add_encoder(out, s, name, plan.format_name, same_codec=True)
    target = REENCODE_AUDIO_CODEC[plan.format_name]
    plan.warnings.append(f"audio stream #{s.index} ({codec}) cannot be re-encoded as {codec} here; its "
                         f"redacted audio is written as {target}")
    return _add_encoder(out, s, target, plan.format_name)


def _add_encoder(out, s, name: str, format_name: str, same_codec: bool = False):
    cc = s.codec_context
    rate = cc.sample_rate or 48000
    if name == "libopus" and (not same_codec or rate not in (8000, 12000, 16000, 24000, 48000)):
        rate = 48000
    ostream = out.add_stream(name, rate=rate)
    try:
        ostream.layout = cc.layout.name if (same_codec or cc.layout.nb_channels <= 2) else "5.1"
    except (AttributeError, ValueError):
        ostream.layout = "stereo"
    bit_rate = cc.bit_rate or s.bit_rate
    if same_codec and bit_rate:
        ostream.bit_rate = bit_rate
    if same_codec and s.time_base:
        ostream.time_base = s.time_base  # the decoded frames' time stamps pass through unchanged
    return ostream, name


def _codec_name(s) -> str | None:
    try:
        return s.codec_context.name if s.codec_context else s.codec.name
    except (AttributeError, av.FFmpegError):
        return None
