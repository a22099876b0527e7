"""The Project: the one source of truth an editor session and an export work from.

Plain dataclasses, serialised to versioned JSON (no pickle). Tracks follow CVAT:
a track is a list of keyframes; between keyframes the shape is interpolated
(see interpolate.py; JSON in json_io.py) and `outside` hides the track until its next keyframe.
Coordinates are pixels of the displayed frame; frames are presentation indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..foundation import ProjectFormatError

SCHEMA_VERSION = 2  # 2: review state per track, case details, reasons (json_io migrates 1 -> 2)

ShapeKind = Literal["rect", "ellipse", "polygon"]
StyleKind = Literal["blur", "pixelate", "solid"]
ReviewState = Literal["unreviewed", "accepted", "rejected", "visible"]
SHAPE_KINDS = ("rect", "ellipse", "polygon")
STYLE_KINDS = ("blur", "pixelate", "solid")
SOURCES = ("auto", "manual")
AUDIO_ACTIONS = ("mute", "bleep", "disguise")
DEFAULT_TONE_HZ = 1000.0
DEFAULT_LEVEL_DBFS = -18.0  # peak level of the bleep tone: clearly heard, never clipping

# Review: every track is decided by the operator. Unreviewed tracks stay masked (fail closed);
# a rejected track was a false detection, a visible one a real person kept visible on purpose.
REVIEW_STATES = ("unreviewed", "accepted", "rejected", "visible")
MASKED_STATES = ("unreviewed", "accepted")
REASON_REQUIRED_STATES = ("rejected", "visible")

# A track is flagged for review when it is this short or its detections are this weak.
REVIEW_MIN_FRAMES = 8
REVIEW_MIN_MEAN_SCORE = 0.5

# The irreversibility floor: blur and pixelate never get finer than strength 1.0 (about five cells
# across the object for pixelate, six blurred blobs for blur; render/floor.py). Weaker values in a
# project file are raised to it on loading, and the renderer raises them again whatever it is given.
MIN_STRENGTH = 1.0


@dataclass
class Shape:
    kind: ShapeKind
    points: list[float]  # rect/ellipse: [x1, y1, x2, y2]; polygon: [x1, y1, x2, y2, ...]

    def bbox(self) -> tuple[float, float, float, float]:
        xs, ys = self.points[0::2], self.points[1::2]
        return min(xs), min(ys), max(xs), max(ys)

    def translated(self, dx: float, dy: float) -> "Shape":
        pts = [v + (dx if i % 2 == 0 else dy) for i, v in enumerate(self.points)]
        return Shape(self.kind, pts)

    def copy(self) -> "Shape":
        return Shape(self.kind, list(self.points))

    @staticmethod
    def rect(x1: float, y1: float, x2: float, y2: float, kind: ShapeKind = "rect") -> "Shape":
        return Shape(kind, [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])


@dataclass
class Keyframe:
    frame: int
    shape: Shape
    outside: bool = False


@dataclass
class MaskStyle:
    kind: StyleKind = "blur"
    strength: float = 1.0  # multiplies the size-scaled cell; MIN_STRENGTH (the irreversible floor) and up
    color: tuple[int, int, int] = (0, 0, 0)  # RGB, for solid
    # Defaults measured on the output pixels (benchmarks/README.md, issue 10): automatic shapes
    # already hold every detection, so no margin; a narrow soft edge outside the shape still
    # catches the rim a detector's box misses on tiny and partly hidden faces.
    margin: float = 0.0  # grow the shape by this share of its size on each side
    feather: float = 0.04  # soft edge width (outside the shape) as a share of the shape size


@dataclass
class Track:
    id: int
    label: str
    source: Literal["auto", "manual"] = "auto"
    style: MaskStyle | None = None  # None: the project's default style
    keyframes: list[Keyframe] = field(default_factory=list)  # sorted by frame, one per frame
    scores: dict[int, float] = field(default_factory=dict)  # detector score per frame (auto tracks)
    # frames between the first and last detection on which only a pass too coarse to see this
    # object ran (multi-rate detection): the review counts them as seen; they have no score
    blind_frames: int = 0
    reason: str = ""  # the operator's own words for the audit report (the reason code's note)
    review: ReviewState = "unreviewed"
    review_by: str = ""  # operator name of the last review decision
    review_at: str = ""  # when, ISO 8601 UTC
    reason_code: str = ""  # a Reason.code of the project's reason list
    group: int | None = None  # person group: tracks of one person share it

    @property
    def enabled(self) -> bool:
        """Whether the track masks: derived from the review state, the one source of truth."""
        return self.review in MASKED_STATES

    @enabled.setter
    def enabled(self, on: bool) -> None:
        # The schema-1 switch, kept for callers that still speak it: on = accepted, off = rejected
        # as a false detection. Editor commands record who and when (track_edits.reviewed).
        if bool(on) != self.enabled:
            self.review = "accepted" if on else "rejected"
            self.reason_code = "" if on else (self.reason_code or "false_detection")

    @property
    def reviewed(self) -> bool:
        return self.review != "unreviewed"

    @property
    def first_frame(self) -> int:
        return self.keyframes[0].frame if self.keyframes else 0

    @property
    def last_frame(self) -> int:
        return self.keyframes[-1].frame if self.keyframes else -1

    @property
    def mean_score(self) -> float | None:
        return sum(self.scores.values()) / len(self.scores) if self.scores else None

    @property
    def seen_frames(self) -> int:
        """Frames the detector saw it on, or could not have (blind_frames); for a track without
        scores its span. Detections, not keyframe span: extension and bridging make every track
        look longer."""
        if not self.scores:
            return self.last_frame - self.first_frame + 1
        return len(self.scores) + self.blind_frames

    @property
    def seen_span(self) -> tuple[int, int]:
        """First and last frame the detector saw it on (its keyframe span without scores): the
        mask runs on past them (extension), which says nothing of where the object was seen."""
        if self.scores:
            return min(self.scores), max(self.scores)
        return self.first_frame, self.last_frame

    @property
    def needs_review(self) -> bool:
        if self.source != "auto":
            return False
        short = self.seen_frames < REVIEW_MIN_FRAMES
        mean = self.mean_score
        return short or (mean is not None and mean < REVIEW_MIN_MEAN_SCORE)

    def keyframe_index(self, frame: int) -> int | None:
        for i, kf in enumerate(self.keyframes):
            if kf.frame == frame:
                return i
        return None

    def sort_keyframes(self) -> None:
        self.keyframes.sort(key=lambda k: k.frame)


@dataclass
class AudioRange:
    """An audio redaction: [start, end) seconds from the first video frame on one audio stream
    (`stream` counts the file's audio streams from 0). Bleep ranges carry their tone."""

    stream: int
    start: float
    end: float
    action: Literal["mute", "bleep", "disguise"] = "mute"
    reason: str = ""
    tone_hz: float = DEFAULT_TONE_HZ  # bleep only
    level_dbfs: float = DEFAULT_LEVEL_DBFS  # bleep only: the tone's peak level

    @property
    def duration(self) -> float:
        return self.end - self.start


_track_init = Track.__init__


def _track_init_with_enabled(self, *args, enabled: bool | None = None, **kwargs) -> None:
    """Track(..., enabled=False) as schema 1 wrote it: sets the review state (see Track.enabled)."""
    _track_init(self, *args, **kwargs)
    if enabled is not None:
        self.enabled = enabled


Track.__init__ = _track_init_with_enabled


@dataclass
class MediaRef:
    path: str
    size: int = 0
    sha256: str = ""
    width: int = 0  # displayed
    height: int = 0
    frame_count: int = 0
    fps: float = 0.0
    probe: dict = field(default_factory=dict)  # MediaInfo.to_json() at the time of analysis


@dataclass
class ExportSettings:
    codec: str | None = None  # None: by container (libx264 for mp4/mov/mkv/avi, libvpx-vp9 for webm)
    crf: int = 18
    preset: str = "medium"
    keep_metadata: bool = False
    keep_subtitles: bool = False
    require_review: bool = False  # refuse to export while any track is unreviewed
    # "auto": the GPU's encoder (NVENC) in place of x264/x265 where it opens on this machine, else the
    # CPU's; "nvenc": the GPU's or an error; "off": always the CPU's (export/hardware_encoder.py).
    hardware_encoder: str = "auto"


@dataclass
class Reason:
    """One entry of the reason list: a stable code stored per track, its text and legal basis."""
    code: str
    text: str
    legal_basis: str = ""


DEFAULT_REASONS = (
    Reason("third_party", "Third party", "Personal data of a third party (GDPR Art. 15(4))"),
    Reason("minor", "Minor", "Child's personal data, special protection (GDPR Recital 38)"),
    Reason("bystander", "Bystander", "Uninvolved person; data minimisation (GDPR Art. 5(1)(c))"),
    Reason("requester", "Requester kept visible", "Data subject of the access request (GDPR Art. 15)"),
    Reason("not_personal", "Not personal data", "Not personal data (GDPR Art. 4(1))"),
    Reason("false_detection", "False detection", ""),
    Reason("public_official", "Public official on duty", "Acting in an official public capacity"),
)


@dataclass
class CaseDetails:
    reference: str = ""  # reference or case number
    requester: str = ""
    operator: str = ""
    notes: str = ""


@dataclass
class Project:
    media: MediaRef
    tracks: list[Track] = field(default_factory=list)
    default_style: MaskStyle = field(default_factory=MaskStyle)
    export: ExportSettings = field(default_factory=ExportSettings)
    analysis: dict = field(default_factory=dict)  # models, settings and provider used by the analysis
    audio_ranges: list[AudioRange] = field(default_factory=list)  # sorted by (stream, start)
    remove_audio: bool = False  # export drops every audio stream (a subject-access habit)
    case: CaseDetails = field(default_factory=CaseDetails)
    reasons: list[Reason] = field(default_factory=lambda: [Reason(r.code, r.text, r.legal_basis)
                                                         for r in DEFAULT_REASONS])
    schema_version: int = SCHEMA_VERSION

    def track(self, track_id: int) -> Track:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"no track with id {track_id}")

    def reason(self, code: str) -> Reason | None:
        return next((r for r in self.reasons if r.code == code), None)

    def review_counts(self) -> dict[str, int]:
        """{"total", "reviewed", "unreviewed", "accepted", "rejected", "visible"} over all tracks."""
        counts = {state: 0 for state in REVIEW_STATES}
        for t in self.tracks:
            counts[t.review] += 1
        return {"total": len(self.tracks), "reviewed": len(self.tracks) - counts["unreviewed"], **counts}

    def next_track_id(self) -> int:
        return max((t.id for t in self.tracks), default=0) + 1

    def style_of(self, track: Track) -> MaskStyle:
        return track.style if track.style is not None else self.default_style

    def check_frames(self) -> None:
        """Raise ProjectFormatError when a keyframe lies outside the video."""
        n = self.media.frame_count
        if n <= 0:
            return
        for t in self.tracks:
            for kf in t.keyframes:
                if not 0 <= kf.frame < n:
                    raise ProjectFormatError(
                        f"track {t.id} ({t.label}) has a keyframe at frame {kf.frame}, but the video "
                        f"has {n} frames (0-{n - 1}); the project does not belong to this video")
