"""Projects made from generated clips, and what an exported file is compared on.

Shared by tests/core/test_export*.py and tests/e2e/test_cli_export.py.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import av

from anonymizer_gui.core.media import probe
from anonymizer_gui.core.project.model import Keyframe, MaskStyle, MediaRef, Project, Shape, Track
from tests.clips import ClipTruth


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def media_ref(truth: ClipTruth, with_sha: bool = True) -> MediaRef:
    info = probe(truth.path)
    return MediaRef(str(truth.path), size=truth.path.stat().st_size, sha256=sha256(truth.path) if with_sha else "",
                    width=info.width, height=info.height, frame_count=info.frame_count, fps=info.fps,
                    probe=info.to_json())


def box_track(truth: ClipTruth, box: int, track_id: int, every: int = 5, kind: str = "rect",
              source: str = "auto", style: MaskStyle | None = None) -> Track:
    """A track that follows box `box` of the clip, with keyframes every `every` frames.

    The boxes move in straight lines, so interpolation between keyframes follows them except
    near a bounce, which the default margin covers.
    """
    frames = sorted(set(range(0, truth.frames, every)) | {truth.frames - 1})
    keyframes = [Keyframe(i, Shape(kind, list(truth.boxes[i][box]))) for i in frames]
    return Track(track_id, "face", source=source, style=style, keyframes=keyframes,
                 scores={i: 0.9 for i in frames} if source == "auto" else {}, reason=f"box {box} of the test clip")


def project_for(truth: ClipTruth, every: int = 5, with_sha: bool = True) -> Project:
    """Every box of the clip masked in every frame (blur, the default style)."""
    tracks = [box_track(truth, b, b + 1, every) for b in range(len(truth.boxes[0]))]
    return Project(media=media_ref(truth, with_sha), tracks=tracks)


def frame_times(path: Path) -> list[Fraction]:
    """Presentation time of every frame from the first, exactly."""
    info = probe(path)
    return [Fraction(p - info.pts[0]) * info.time_base for p in info.pts]


def audio_summary(path: Path) -> list[dict]:
    """Per audio stream: codec, layout, rate, packet count, duration, start, and a digest of the payload."""
    out = []
    with av.open(str(path)) as c:
        count = len(c.streams.audio)
    for n in range(count):
        with av.open(str(path)) as c:  # one pass per stream: a seek back may skip leading packets
            s = c.streams.audio[n]
            digest, packets, ticks, first = hashlib.sha256(), 0, 0, None
            for p in c.demux(s):
                if not p.size:
                    continue
                digest.update(bytes(p))
                packets += 1
                ticks += p.duration or 0
                if first is None and p.pts is not None:
                    first = p.pts
            tb = s.time_base
            out.append({"codec": s.codec_context.name, "channels": s.codec_context.channels,
                        "rate": s.codec_context.sample_rate, "packets": packets, "duration": float(ticks * tb),
                        "start": float((first or 0) * tb), "payload": digest.hexdigest(),
                        "language": s.metadata.get("language")})
    return out
