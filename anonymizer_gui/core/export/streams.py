"""What goes into an exported file: container, video encoder and pixel format, the fate of every
other stream, and the metadata policy.

Decisions (documented for the user in the audit report and README):
- Container by the output's suffix: .mp4/.m4v -> MP4, .mov -> QuickTime, .mkv -> Matroska,
  .webm -> WebM, .avi -> AVI. Video codec by container unless chosen: libx264 (MP4, MOV, MKV),
  libvpx-vp9 (WebM, CRF with b=0), mpeg4 (AVI: the codec AVI players expect; B-frames off, since
  AVI stores no presentation time stamps). AVI can hold neither a variable frame rate nor a
  display rotation, so such inputs are refused for .avi rather than silently changed.
- Pixel format: the decoded format is kept when the encoder takes it and the renderer can draw
  on it (yuv420p, yuvj420p, yuv422p, yuv444p, 10-bit ...); otherwise every frame is converted
  once, before masks are drawn, to the closest format the encoder takes (notice in the report).
- Audio: copied packet for packet where the container accepts the codec, else re-encoded
  (AAC; Opus for WebM; MP2 for AVI) with a warning; streams with audio ranges are redacted and
  re-encoded in their own codec, and `remove_audio` drops them all (audio_streams.py).
  Subtitles: dropped unless keep_subtitles, then copied where the container accepts them.
  Data streams, attachments, cover art and chapters are dropped: they may carry names, places
  or times.
- Metadata: container and stream tags are stripped unless keep_metadata; audio keeps its
  language, which says nothing about the people filmed. FFmpeg writes its own `encoder` tag;
  the source's `encoder` is never copied, since this file was not made by the source's encoder.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from ..foundation import ExportError
from ..render import is_renderable
from ..media import MediaInfo
from ..media import set_display_rotation
from ..project import ExportSettings
from .audio_streams import AudioEdits, add_audio
from .hardware_encoder import hardware_for, on_the_cpu

FORMAT_BY_SUFFIX = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
                    ".avi": "avi"}
DEFAULT_VIDEO_CODEC = {"mp4": "libx264", "mov": "libx264", "matroska": "libx264", "webm": "libvpx-vp9",
                       "avi": "mpeg4"}
# Muxer-generated descriptors, not facts about the recording: never reported, never copied.
# Compared in lower case: Matroska spells them DURATION, ENCODER.
FORMAT_TAGS = {"major_brand", "minor_version", "compatible_brands", "handler_name", "vendor_id", "duration"}
# The program that wrote the source (a camera's firmware, an editor): always stripped, since
# FFmpeg writes its own; a kept one would claim this file came from the source's encoder.
ENCODER_TAG = "encoder"
# libvpx speed per x264-style preset: "medium" is a sensible quality/time trade-off for VP9.
_VP9_SPEED = {"ultrafast": ("realtime", 8), "superfast": ("realtime", 7), "veryfast": ("good", 5),
              "faster": ("good", 4), "fast": ("good", 3), "medium": ("good", 2), "slow": ("good", 1),
              "slower": ("good", 0), "veryslow": ("best", 0), "placebo": ("best", 0)}
_X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                 "veryslow", "placebo")
FF_QP2LAMBDA = 118


@dataclass
class VideoPlan:
    codec: str
    options: dict[str, str]
    pix_fmt: str  # what the encoder gets
    convert_from: str | None  # decoded format converted per frame, None when kept
    max_b_frames: int | None = None  # None: the encoder's default
    hardware: bool = False  # a GPU's encoder, opened before any frame is read (hardware_encoder.py)


@dataclass
class StreamDecision:
    index: int  # input stream index
    kind: str  # audio | subtitle | data | attachment | video
    codec: str | None
    action: str  # copy | encode | drop
    target_codec: str | None = None
    reason: str = ""

    def to_json(self) -> dict:
        out = {"index": self.index, "kind": self.kind, "codec": self.codec, "action": self.action}
        if self.target_codec:
            out["target_codec"] = self.target_codec
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class OutputPlan:
    format_name: str
    video: VideoPlan
    streams: list[StreamDecision] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def output_format(output: Path) -> str:
    fmt = FORMAT_BY_SUFFIX.get(output.suffix.lower())
    if fmt is None:
        choices = ", ".join(sorted(set(FORMAT_BY_SUFFIX)))
        raise ExportError(f"cannot write '{output.suffix or output.name}' files; name the output with one of "
                          f"{choices}")
    return fmt


def check_encoder_settings(output: Path, settings: ExportSettings):
    """The video encoder for `output`, after refusing its suffix, codec, CRF or preset (ExportError).

    Needs neither the input nor FFmpeg's muxer: the export checks this before any work.
    """
    fmt = output_format(output)
    codec = settings.codec or DEFAULT_VIDEO_CODEC[fmt]
    try:
        encoder = av.Codec(codec, "w")
    except (av.FFmpegError, ValueError):
        raise ExportError(f"the video encoder '{codec}' is not available in this build of FFmpeg") from None
    if encoder.type != "video":
        raise ExportError(f"'{codec}' is not a video encoder")
    if not _container_takes(fmt, codec):
        others = [suffix for suffix, other in FORMAT_BY_SUFFIX.items() if other != fmt and _container_takes(other, codec)]
        instead = f"write a {' or '.join(dict.fromkeys(others))} file, or " if others else ""
        raise ExportError(f"'{output.suffix}' files cannot hold {codec} video; {instead}choose another codec")
    if isinstance(settings.crf, bool) or not isinstance(settings.crf, int) or not 0 <= settings.crf <= 63:
        raise ExportError(f"crf must be between 0 and 63, got {settings.crf}")
    if settings.preset not in _X264_PRESETS:
        raise ExportError(f"unknown preset '{settings.preset}'; use one of {', '.join(_X264_PRESETS)}")
    hardware_for(codec, settings.hardware_encoder)  # "nvenc" where it cannot be had: refused now, not mid-way
    return encoder


@functools.lru_cache(maxsize=64)
def _container_takes(fmt: str, codec: str) -> bool:
    """What FFmpeg's muxer answers when the stream is added (a ValueError there, mid-export, before)."""
    with av.open(io.BytesIO(), "w", format=fmt) as probe_out:
        try:
            probe_out.add_stream(codec)
        except ValueError:
            return False
    return True


def plan_output(info: MediaInfo, output: Path, settings: ExportSettings, hardware: bool = True) -> OutputPlan:
    """What to write. `hardware`: may the GPU's encoder stand in for the CPU's (hardware_encoder.py);
    False once it failed to open for this export."""
    fmt = output_format(output)
    encoder = check_encoder_settings(output, settings)
    codec = settings.codec or DEFAULT_VIDEO_CODEC[fmt]
    if fmt == "avi" and info.vfr:
        raise ExportError("AVI cannot store a variable frame rate; export to .mp4, .mkv or .mov instead")
    if fmt == "avi" and info.rotation:
        raise ExportError("AVI cannot store a display rotation; export to .mp4, .mkv or .mov instead")
    plan = OutputPlan(fmt, VideoPlan(codec, {}, info.pix_fmt, None))
    plan.video.options = _encoder_options(codec, settings)
    if fmt == "avi":
        plan.video.max_b_frames = 0
    _choose_pix_fmt(plan, encoder, info)
    gpu = hardware_for(codec, settings.hardware_encoder) if hardware else None
    if gpu is not None:
        # Only where it takes the very frames the CPU's encoder would get: a conversion of its own
        # (full-range yuvj420p, say) would change the picture's levels against its colour tags.
        takes = [f.name for f in (av.Codec(gpu.name, "w").video_formats or ())]
        if plan.video.pix_fmt in takes:
            plan.video.codec, plan.video.options = gpu.name, gpu.options(settings.crf, settings.preset)
            plan.video.hardware = True
        else:
            plan.notices.append(on_the_cpu(settings.hardware_encoder, codec,
                                           f"{gpu.name} does not take {plan.video.pix_fmt} frames"))
    return plan


def _encoder_options(codec: str, settings: ExportSettings) -> dict[str, str]:
    if codec in ("libx264", "libx265"):
        if settings.preset not in _X264_PRESETS:
            raise ExportError(f"unknown preset '{settings.preset}'; use one of {', '.join(_X264_PRESETS)}")
        return {"crf": str(settings.crf), "preset": settings.preset}
    if codec in ("libvpx-vp9", "libvpx"):
        deadline, speed = _VP9_SPEED.get(settings.preset, _VP9_SPEED["medium"])
        return {"crf": str(settings.crf), "b": "0" if codec == "libvpx-vp9" else "10M", "deadline": deadline,
                "cpu-used": str(speed), "row-mt": "1"}
    if codec in ("mpeg4", "mpeg2video", "mjpeg", "msmpeg4v3"):
        # These take a fixed quantiser; CRF 18 (visually lossless in x264 terms) ~ q 3.
        q = max(1, min(31, round(settings.crf / 6)))
        return {"flags": "+qscale", "global_quality": str(q * FF_QP2LAMBDA)}
    return {"crf": str(settings.crf)} if "crf" in _option_names(codec) else {}


def _option_names(codec: str) -> set[str]:
    try:
        options = av.CodecContext.create(codec, "w").supported_options  # PyAV 18: no Codec.descriptor
        return {o.name for o in (*options.generic, *options.private)}
    except (av.FFmpegError, ValueError, AttributeError):
        return set()


def _choose_pix_fmt(plan: OutputPlan, encoder, info: MediaInfo) -> None:
    src = info.pix_fmt
    supported = [f.name for f in (encoder.video_formats or ())]
    odd = info.coded_width % 2 or info.coded_height % 2
    subsampled = encoder.name in ("libx264", "libx265", "h264_nvenc", "hevc_nvenc")  # 4:2:0 and 4:2:2 need even sizes there

    def usable(name: str) -> bool:
        if supported and name not in supported:
            return False
        return is_renderable(name) and not (odd and subsampled and _is_subsampled(name))

    if usable(src):
        return
    deep = _bits(src) > 8
    candidates = (["yuv420p10le", "yuv444p10le"] if deep else []) + ["yuv420p", "yuv444p", "yuv422p", "gray"]
    target = next((c for c in candidates if usable(c)), None)
    if target is None or (target == "gray" and len(av.VideoFormat(src).components) > 1):
        # Grey pictures from a colour video would lose what nobody asked to lose (and qtrle's grey
        # decodes black): a codec that takes only RGB is refused, since masks are drawn on YUV planes.
        raise ExportError(f"the {encoder.name} encoder takes no colour format that masks can be drawn on "
                          f"({', '.join(supported) or 'none listed'}); choose another codec, e.g. ffv1 (lossless) "
                          f"or libx264")
    plan.video.pix_fmt = target
    plan.video.convert_from = src
    if supported and src not in supported:
        why = f"{encoder.name} does not take {src}"
    elif not is_renderable(src):
        why = f"masks cannot be drawn on {src} directly"
    else:
        why = f"{encoder.name} needs even sizes for {src}, and this video is odd-sized"
    plan.notices.append(f"frames are converted from {src} to {target} before encoding ({why})")


def _bits(pix_fmt: str) -> int:
    try:
        return av.VideoFormat(pix_fmt).components[0].bits
    except (ValueError, av.FFmpegError, IndexError):
        return 8


def _is_subsampled(pix_fmt: str) -> bool:
    comps = av.VideoFormat(pix_fmt, 4, 4).components
    return len(comps) == 3 and (comps[1].width < 4 or comps[1].height < 4)


# -- building the output container -----------------------------------------------------------------
def add_video_stream(out, plan: OutputPlan, info: MediaInfo, in_stream):
    """The encoder stream: coded size and orientation, the input's time base (time stamps are
    passed through unchanged), its colour description, then the display rotation."""
    v = plan.video
    rate = in_stream.average_rate or in_stream.guessed_rate or Fraction(25)
    stream = out.add_stream(v.codec, rate=rate, options=dict(v.options))
    stream.width, stream.height = info.coded_width, info.coded_height
    stream.pix_fmt = v.pix_fmt
    tb = in_stream.time_base or Fraction(1, 1000)
    stream.time_base = tb
    stream.codec_context.time_base = tb
    if v.max_b_frames is not None:
        stream.codec_context.max_b_frames = v.max_b_frames
    src = in_stream.codec_context
    ctx = stream.codec_context
    for attr in ("color_range", "colorspace", "color_primaries", "color_trc"):
        try:
            setattr(ctx, attr, getattr(src, attr))
        except (AttributeError, ValueError, TypeError):
            pass
    if in_stream.sample_aspect_ratio:
        ctx.sample_aspect_ratio = in_stream.sample_aspect_ratio
    set_display_rotation(stream, info.rotation)
    return stream


def add_other_streams(out, inp, plan: OutputPlan, info: MediaInfo, settings: ExportSettings,
                      audio: AudioEdits | None = None) -> dict:
    """Map input stream index -> (action, output stream) for every stream that is kept."""
    kept: dict[int, tuple[str, object]] = {}
    audio = audio or AudioEdits()
    audio_numbers = {s.index: n for n, s in enumerate(inp.streams.audio)}
    for s in inp.streams:
        if s.index == info.video_stream_index:
            continue
        codec = _codec_name(s)
        kind = s.type
        if kind == "video":
            kind = "attachment" if s.disposition & av.stream.Disposition.attached_pic else "video"
        if kind == "audio" and audio.remove_audio:
            why = "the project removes all audio"
            plan.streams.append(StreamDecision(s.index, kind, codec, "drop", reason=why))
            plan.notices.append(f"audio stream #{s.index} ({codec or 'unknown'}) dropped: {why}")
            continue
        if kind == "audio":
            action, ostream, target, detail = add_audio(out, s, audio_numbers[s.index], plan, audio)
            _copy_language(s, ostream)
            if settings.keep_metadata:
                _copy_tags(s.metadata, ostream.metadata)
            plan.streams.append(StreamDecision(s.index, kind, codec, action, target_codec=target, reason=detail))
            kept[s.index] = (action, ostream)
            continue
        if kind == "subtitle" and settings.keep_subtitles:
            try:
                ostream = out.add_stream_from_template(s)
            except (ValueError, av.FFmpegError):
                plan.streams.append(StreamDecision(s.index, kind, codec, "drop",
                                                   reason=f"{plan.format_name} cannot hold {codec} subtitles"))
                plan.warnings.append(f"subtitle stream #{s.index} ({codec}) cannot be copied into "
                                     f"{plan.format_name} and was dropped")
                continue
            _copy_language(s, ostream)
            if settings.keep_metadata:
                _copy_tags(s.metadata, ostream.metadata)
            kept[s.index] = ("copy", ostream)
            plan.streams.append(StreamDecision(s.index, kind, codec, "copy"))
            continue
        reason = {"subtitle": "subtitles may hold names; keep_subtitles keeps them",
                  "data": "data streams may hold locations, times or device data",
                  "attachment": "attachments and cover art may show or name people",
                  "video": "only the main video stream is exported"}.get(kind, "not exported")
        plan.streams.append(StreamDecision(s.index, kind, codec, "drop", reason=reason))
        plan.notices.append(f"{kind} stream #{s.index} ({codec or 'unknown'}) dropped: {reason}")
    return kept


def _codec_name(s) -> str | None:
    try:
        return s.codec_context.name if s.codec_context else s.codec.name
    except (AttributeError, av.FFmpegError):
        return None


def _copy_language(src, dst) -> None:
    lang = src.metadata.get("language")
    if lang and lang != "und":
        dst.metadata["language"] = lang


def _copy_tags(src: dict, dst) -> None:
    for k, v in src.items():
        if k.lower() not in FORMAT_TAGS and k.lower() != ENCODER_TAG:
            dst[k] = v


def apply_metadata(out, inp, info: MediaInfo, settings: ExportSettings, kept_streams: dict,
                   video_out) -> tuple[list[str], list[str]]:
    """Set the output's container and video tags; return (stripped keys, kept keys), keys only.

    Stream keys are named "stream<input index>:<key>", as probe names them. Tags of kept audio
    and subtitle streams were copied (or not) with their stream in add_other_streams.
    """
    stripped, kept = [], []
    for k, v in inp.metadata.items():
        if k.lower() in FORMAT_TAGS:
            continue
        keep = settings.keep_metadata and k.lower() != ENCODER_TAG
        if keep:
            out.metadata[k] = v
        (kept if keep else stripped).append(k)
    for s in inp.streams:
        is_video = s.index == info.video_stream_index
        for k, v in s.metadata.items():
            if k.lower() in FORMAT_TAGS or k.lower() == "language":
                continue
            keep = settings.keep_metadata and k.lower() != ENCODER_TAG and (is_video or s.index in kept_streams)
            if keep and is_video:
                video_out.metadata[k] = v
            (kept if keep else stripped).append(f"stream{s.index}:{k}")
    chapters = inp.chapters()
    if chapters:  # chapter titles are free text, often names and places
        if settings.keep_metadata:
            out.set_chapters(chapters)
        (kept if settings.keep_metadata else stripped).append("chapters")
    return stripped, kept


def container_options(plan: OutputPlan, settings: ExportSettings, inp) -> dict[str, str]:
    if plan.format_name in ("mp4", "mov") and settings.keep_metadata and any("." in k for k in inp.metadata):
        # Keys such as com.apple.quicktime.location.ISO6709 survive only as QuickTime metadata keys.
        return {"movflags": "+use_metadata_tags"}
    return {}
