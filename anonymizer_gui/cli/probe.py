"""`anonymizer-gui probe FILE [--json] [--frames]`: the facts of a video or image file."""

from __future__ import annotations

import argparse
import json

from ..core.media import MediaInfo, probe


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "probe", help="show the facts of a video or image file",
        description="Show container, codec, displayed size, rotation, frame count and rate, "
                    "time stamps, audio/subtitle/data streams and metadata tags of a file.")
    parser.add_argument("file", metavar="FILE", help="video (mp4, mov, mkv, webm, avi...) or image (jpg, png)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.add_argument("--frames", action="store_true",
                        help="also list every frame's time stamp (seconds from the first frame) and pts")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    info = probe(args.file)
    if args.json:
        print(json.dumps(info.to_json(frames=args.frames), indent=2, ensure_ascii=False))
    else:
        print(summary(info, frames=args.frames))
    return 0


def summary(info: MediaInfo, frames: bool = False) -> str:
    """A few readable lines; the same facts as the JSON form."""
    size = f"{info.width}x{info.height}"
    if info.rotation:
        size += f" (coded {info.coded_width}x{info.coded_height}, rotated {info.rotation}° clockwise)"
    rate = f"{info.fps:.3f} fps" + (" variable" if info.vfr else "")
    lines = [
        f"File:       {info.path}",
        f"Container:  {info.container}" + ("  (still image)" if info.is_still else ""),
        f"Video:      #{info.video_stream_index} {info.video_codec} {info.pix_fmt}, {size}, {rate}",
        f"Frames:     {info.frame_count} over {info.duration:.3f} s "
        f"(time base {info.time_base.numerator}/{info.time_base.denominator})",
    ]
    audio = [f"#{a.index} {a.codec} {a.channels} ch {a.sample_rate} Hz"
             + (f" [{a.language}]" if a.language else "") for a in info.audio]
    lines.append("Audio:      " + ("; ".join(audio) if audio else "none"))
    for title, streams in (("Subtitles:", info.subtitles), ("Data:", info.data)):
        items = [f"#{s.index} {s.kind} {s.codec or '?'}" + (f" [{s.language}]" if s.language else "")
                 for s in streams]
        lines.append(f"{title:<12}" + ("; ".join(items) if items else "none"))
    if info.tags:
        lines.append("Tags:")
        lines += [f"  {k} = {v}" for k, v in sorted(info.tags.items())]
    else:
        lines.append("Tags:       none")
    if frames:
        lines.append("Frames (index, seconds, pts):")
        lines += [f"  {i:6d}  {info.timestamp(i):10.6f}  {p}" for i, p in enumerate(info.pts)]
    return "\n".join(lines)
