"""Edits of tracks as pure functions: each returns new Track objects and leaves its inputs untouched.

The editor's undo commands swap whole tracks (old <-> new), so undo needs no inverse logic.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from .interpolate import shape_at
from .model import REASON_REQUIRED_STATES, REVIEW_STATES, Keyframe, MaskStyle, Project, Shape, Track


def clone(track: Track) -> Track:
    return copy.deepcopy(track)


def with_keyframe(track: Track, frame: int, shape: Shape, outside: bool = False) -> Track:
    """Set (insert or replace) the keyframe at `frame`."""
    new = clone(track)
    kf = Keyframe(frame, shape.copy(), outside)
    i = new.keyframe_index(frame)
    if i is None:
        new.keyframes.append(kf)
        new.sort_keyframes()
    else:
        new.keyframes[i] = kf
    return new


def without_keyframe(track: Track, frame: int) -> Track:
    new = clone(track)
    i = new.keyframe_index(frame)
    if i is None:
        raise KeyError(f"track {track.id} has no keyframe at frame {frame}")
    del new.keyframes[i]
    return new


def hidden_from(track: Track, frame: int) -> Track:
    """Mark the track `outside` from `frame` until its next keyframe (CVAT's outside keyframe)."""
    shape = shape_at(track, frame) or _nearest_shape(track, frame)
    return with_keyframe(track, frame, shape, outside=True)


def ended_at(track: Track, frame: int) -> Track:
    """Keep the track up to and including `frame`, dropping everything after it."""
    new = clone(track)
    last_shape = shape_at(track, frame)
    new.keyframes = [k for k in new.keyframes if k.frame <= frame]
    if last_shape is not None and (not new.keyframes or new.keyframes[-1].frame != frame):
        new.keyframes.append(Keyframe(frame, last_shape))
    new.scores = {f: s for f, s in new.scores.items() if f <= frame}
    new.blind_frames = 0  # which of them remain is not recorded: count none (the review errs to flag)
    return new


def split(track: Track, frame: int, new_id: int) -> tuple[Track, Track]:
    """Split at `frame`: the first part ends at frame-1, the second starts at `frame` with id `new_id`."""
    if not track.first_frame < frame <= track.last_frame:
        raise ValueError(f"cannot split track {track.id} at frame {frame}: outside {track.first_frame + 1}-"
                         f"{track.last_frame}")
    head = ended_at(track, frame - 1)
    tail = clone(track)
    tail.id = new_id
    start_shape = shape_at(track, frame)
    tail.keyframes = [k for k in tail.keyframes if k.frame >= frame]
    if tail.keyframes[0].frame != frame:
        if start_shape is not None:
            tail.keyframes.insert(0, Keyframe(frame, start_shape))
        else:  # the split point lies in an outside stretch: the tail starts hidden
            tail.keyframes.insert(0, Keyframe(frame, _nearest_shape(track, frame), outside=True))
    tail.scores = {f: s for f, s in tail.scores.items() if f >= frame}
    tail.blind_frames = 0
    return head, tail


def merge(a: Track, b: Track) -> Track:
    """One track with both tracks' keyframes and scores; where both have a keyframe, `a` wins.

    The gap between them (if any) is interpolated, so the merged track masks it: fail closed.
    """
    merged = clone(a)
    frames = {k.frame for k in merged.keyframes}
    merged.keyframes += [copy.deepcopy(k) for k in b.keyframes if k.frame not in frames]
    merged.sort_keyframes()
    for f, s in b.scores.items():
        merged.scores.setdefault(f, s)
    merged.blind_frames = a.blind_frames + b.blind_frames
    if merged.source != b.source:
        merged.source = "manual"
    return merged


def reviewed(track: Track, state: str, by: str, at: str, reason_code: str = "",
             project: Project | None = None) -> Track:
    """The track with a review decision: who (`by`) decided `state` when (`at`, ISO 8601).

    `rejected` and `visible` unmask the track and need a reason code (from `project`'s reason list
    when given); `unreviewed` clears the record (the track is masked again, fail closed).
    """
    if state not in REVIEW_STATES:
        raise ValueError(f"unknown review state {state!r}; expected one of {', '.join(REVIEW_STATES)}")
    if state in REASON_REQUIRED_STATES and not reason_code:
        raise ValueError(f"a track marked {state} needs a reason")
    if reason_code and project is not None and project.reason(reason_code) is None:
        raise ValueError(f"{reason_code!r} is not in the project's reason list")
    new = clone(track)
    new.review = state
    if state == "unreviewed":
        new.review_by = new.review_at = new.reason_code = ""
    else:
        new.review_by, new.review_at = by, at
        new.reason_code = reason_code if state in REASON_REQUIRED_STATES or reason_code else ""
    return new


def grouped(track: Track, group: int | None) -> Track:
    return replace(clone(track), group=group)


def new_manual_track(track_id: int, label: str, keyframes: list[Keyframe], by: str, at: str) -> Track:
    """A track the operator drew: it starts accepted (the operator's own decision to mask)."""
    return Track(id=track_id, label=label, source="manual", keyframes=keyframes,
                 review="accepted", review_by=by, review_at=at)


def keyframe_moved(track: Track, frame: int, to: int) -> Track:
    """The keyframe at `frame` moved in time to `to` (a drag on the timeline)."""
    i = track.keyframe_index(frame)
    if i is None:
        raise KeyError(f"track {track.id} has no keyframe at frame {frame}")
    if to != frame and track.keyframe_index(to) is not None:
        raise ValueError(f"track {track.id} already has a keyframe at frame {to}")
    new = clone(track)
    new.keyframes[i].frame = to
    new.sort_keyframes()
    return new


def with_span(track: Track, start: int, end: int) -> Track:
    """Trim or extend the track to frames `start`..`end`: an extension holds the first or last
    shape (fail closed: the mask covers the new frames); a trim cuts keyframes and scores."""
    if start > end:
        raise ValueError(f"a track cannot start ({start}) after it ends ({end})")
    new = clone(track)
    if start > track.first_frame:
        first_shape = shape_at(track, start)
        new.keyframes = [k for k in new.keyframes if k.frame >= start]
        if not new.keyframes or new.keyframes[0].frame != start:
            new.keyframes.insert(0, Keyframe(start, first_shape or _nearest_shape(track, start),
                                             outside=first_shape is None))
    elif start < track.first_frame:
        k0 = new.keyframes[0]
        new.keyframes.insert(0, Keyframe(start, k0.shape.copy(), k0.outside))
    if end < track.last_frame:
        new = ended_at(new, end)
        if new.keyframes[-1].frame != end:  # the end lies in an outside stretch
            new.keyframes.append(Keyframe(end, _nearest_shape(track, end), outside=True))
    elif end > track.last_frame:
        last = next((k for k in reversed(new.keyframes) if not k.outside), None)
        if new.keyframes[-1].outside:
            new.keyframes[-1] = Keyframe(new.keyframes[-1].frame, (last or new.keyframes[-1]).shape.copy())
        new.keyframes.append(Keyframe(end, new.keyframes[-1].shape.copy()))
    new.scores = {f: s for f, s in new.scores.items() if start <= f <= end}
    if start > track.first_frame or end < track.last_frame:
        new.blind_frames = 0
    return new


def without_keyframes_in(track: Track, start: int, end: int) -> Track:
    """Keyframes in `start`..`end` removed; the span between the neighbours is interpolated (and
    masked: fail closed). At least one keyframe must remain."""
    new = clone(track)
    new.keyframes = [k for k in new.keyframes if not start <= k.frame <= end]
    if not new.keyframes:
        raise ValueError(f"every keyframe of track {track.id} lies in {start}-{end}; delete the track instead")
    return new


def full_frame_track(track_id: int, start: int, end: int, width: int, height: int, by: str, at: str) -> Track:
    """A manual track that masks the whole frame from `start` to `end` (accepted: the operator's own)."""
    shape = Shape.rect(0, 0, width, height)
    keyframes = [Keyframe(start, shape)] + ([Keyframe(end, shape.copy())] if end > start else [])
    return new_manual_track(track_id, "frame", keyframes, by, at)


def restyled(track: Track, style: MaskStyle | None) -> Track:
    return replace(clone(track), style=copy.deepcopy(style))


def with_followed(track: Track, followed: list[tuple[int, Shape]]) -> Track:
    """The track with its keyframes in the followed stretch replaced by the followed ones.

    Keyframes before and after the stretch stay. A track that was holding one shape to its end
    (a freshly drawn manual mask) keeps holding, but from where the target was last followed:
    its end keyframe takes the last followed shape, so the mask does not slide back to where it
    was drawn.
    """
    first, last = followed[0][0], followed[-1][0]
    start_shape = shape_at(track, first)
    later = [k for k in track.keyframes if k.frame > last]
    after_start = [k for k in track.keyframes if k.frame > first]
    holding = (len(after_start) == 1 and after_start[0].frame > last and not after_start[0].outside
               and after_start[0].shape == start_shape)
    new = clone(track)
    new.keyframes = [k for k in new.keyframes if k.frame < first]
    new.keyframes += [Keyframe(f, s.copy()) for f, s in followed]
    if holding:
        new.keyframes.append(Keyframe(later[0].frame, followed[-1][1].copy()))
    else:
        new.keyframes += [Keyframe(k.frame, k.shape.copy(), k.outside) for k in later]
    new.sort_keyframes()
    return new


def _nearest_shape(track: Track, frame: int) -> Shape:
    k = min(track.keyframes, key=lambda k: abs(k.frame - frame))
    return k.shape.copy()
