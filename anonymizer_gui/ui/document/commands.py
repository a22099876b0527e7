"""Every user edit as a QUndoCommand.

All track edits are one mechanism: `TracksEdit` swaps a set of whole tracks (old -> new) by id,
with the new tracks built by the pure functions in core/project/track_edits.py. Undo swaps them back, and
the document's signals redraw the views, so no command needs view code.
"""

from __future__ import annotations

import copy
import dataclasses

from PySide6.QtGui import QUndoCommand

from ...core.project import audio_edits
from ...core.project import track_edits as trackops
from ...core.project import AudioRange, ExportSettings, MaskStyle, Shape, Track
from .document import ProjectDocument


class TracksEdit(QUndoCommand):
    """Replace `old` tracks by `new` ones: same id = changed, id only in old = deleted, only in new = added."""

    def __init__(self, doc: ProjectDocument, old: list[Track], new: list[Track], text: str,
                 insert_at: int | None = None):
        super().__init__(text)
        self.doc = doc
        self.old = list(old)
        self.new = list(new)
        self._index = {t.id: doc.track_index(t.id) for t in old}
        default = len(doc.project.tracks) if insert_at is None else insert_at
        for offset, t in enumerate(x for x in new if x.id not in self._index):
            self._index[t.id] = default + offset

    def _swap(self, remove: list[Track], put: list[Track]) -> None:
        keep = {t.id for t in put}
        for t in remove:
            if t.id not in keep:
                self.doc._remove_track(t.id)
        for t in sorted(put, key=lambda t: self._index[t.id]):
            if self.doc.has_track(t.id):
                self.doc._replace_track(t)
            else:
                self.doc._insert_track(self._index[t.id], t)

    def redo(self) -> None:
        self._swap(self.old, self.new)

    def undo(self) -> None:
        self._swap(self.new, self.old)


# -- named edits: each builds its new tracks with core.project.track_edits ---------------------------------
def set_keyframe(doc: ProjectDocument, track_id: int, frame: int, shape: Shape,
                 text: str = "Move mask") -> TracksEdit:
    old = doc.track(track_id)
    return TracksEdit(doc, [old], [trackops.with_keyframe(old, frame, shape)], f"{text} (track {track_id}, frame {frame})")


def delete_keyframe(doc: ProjectDocument, track_id: int, frame: int) -> TracksEdit:
    old = doc.track(track_id)
    return TracksEdit(doc, [old], [trackops.without_keyframe(old, frame)],
                      f"Delete keyframe (track {track_id}, frame {frame})")


def hide_from(doc: ProjectDocument, track_id: int, frame: int) -> TracksEdit:
    old = doc.track(track_id)
    return TracksEdit(doc, [old], [trackops.hidden_from(old, frame)],
                      f"Hide track {track_id} from frame {frame}")


def split_track(doc: ProjectDocument, track_id: int, frame: int) -> TracksEdit:
    old = doc.track(track_id)
    head, tail = trackops.split(old, frame, doc.project.next_track_id())
    return TracksEdit(doc, [old], [head, tail], f"Split track {track_id} at frame {frame}",
                      insert_at=doc.track_index(track_id) + 1)


def merge_tracks(doc: ProjectDocument, keep_id: int, other_id: int) -> TracksEdit:
    a, b = doc.track(keep_id), doc.track(other_id)
    return TracksEdit(doc, [a, b], [trackops.merge(a, b)], f"Merge track {other_id} into {keep_id}")


def delete_tracks(doc: ProjectDocument, ids: list[int]) -> TracksEdit:
    old = [doc.track(i) for i in ids]
    return TracksEdit(doc, old, [], f"Delete {_tracks_text(ids)}")


def add_track(doc: ProjectDocument, track: Track, text: str | None = None) -> TracksEdit:
    return TracksEdit(doc, [], [track], text or f"Add {track.label} track {track.id}")


def add_tracks(doc: ProjectDocument, tracks: list[Track], text: str) -> TracksEdit:
    return TracksEdit(doc, [], tracks, text)


def set_enabled(doc: ProjectDocument, ids: list[int], enabled: bool) -> TracksEdit:
    """The on/off switch as a review decision: on = accepted; off = rejected as a false detection
    (to keep a real person visible, use set_review 'visible', which asks for a reason)."""
    if enabled:
        command = set_review(doc, ids, "accepted")
    else:
        command = set_review(doc, ids, "rejected", "false_detection")
    command.setText(f"{'Enable' if enabled else 'Disable'} {_tracks_text(ids)}")
    return command


REVIEW_VERBS = {"accepted": "Accept", "rejected": "Reject", "visible": "Keep visible", "unreviewed": "Unreview"}


def set_review(doc: ProjectDocument, ids: list[int], state: str, reason_code: str = "",
               note: str | None = None) -> TracksEdit:
    """A review decision on one or more tracks in one undo step, recording doc.operator and the time.
    `note` (when given) replaces the tracks' free-text reason."""
    old = [doc.track(i) for i in ids]
    by, at = doc.operator, doc.clock()
    new = []
    for t in old:
        r = trackops.reviewed(t, state, by, at, reason_code, doc.project)
        if note is not None:
            r.reason = note
        new.append(r)
    why = doc.project.reason(reason_code) if reason_code else None
    return TracksEdit(doc, old, new, f"{REVIEW_VERBS[state]} {_tracks_text(ids)}"
                      + (f" ({why.text})" if why else ""))


def set_groups(doc: ProjectDocument, groups: dict[int, int | None], text: str) -> TracksEdit:
    """Person groups by track id (merge, split, regroup), one undo step."""
    old = [doc.track(i) for i in groups if doc.track(i).group != groups[i]]
    return TracksEdit(doc, old, [trackops.grouped(t, groups[t.id]) for t in old], text)


def move_keyframe(doc: ProjectDocument, track_id: int, frame: int, to: int) -> TracksEdit:
    old = doc.track(track_id)
    return TracksEdit(doc, [old], [trackops.keyframe_moved(old, frame, to)],
                      f"Move keyframe of track {track_id} to frame {to}")


def set_span(doc: ProjectDocument, track_id: int, start: int, end: int) -> TracksEdit:
    old = doc.track(track_id)
    return TracksEdit(doc, [old], [trackops.with_span(old, start, end)],
                      f"Trim track {track_id} to {start}\u2013{end}")


def mask_whole_frame(doc: ProjectDocument, start: int, end: int) -> TracksEdit:
    m = doc.project.media
    width, height = (doc.media_info.width, doc.media_info.height) if doc.media_info is not None else (m.width, m.height)
    track = trackops.full_frame_track(doc.project.next_track_id(), start, end, width, height, doc.operator, doc.clock())
    return TracksEdit(doc, [], [track], f"Mask whole frame {start}\u2013{end}")


def delete_keyframes_in(doc: ProjectDocument, ids: list[int], start: int, end: int) -> TracksEdit:
    old = [doc.track(i) for i in ids if any(start <= k.frame <= end for k in doc.track(i).keyframes)]
    return TracksEdit(doc, old, [trackops.without_keyframes_in(t, start, end) for t in old],
                      f"Delete keyframes {start}\u2013{end} of {_tracks_text([t.id for t in old] or ids)}")


def split_at_marks(doc: ProjectDocument, ids: list[int], start: int, end: int) -> TracksEdit:
    """Cut each track at the in mark and after the out mark: the range becomes a track of its own."""
    old, new = [], []
    next_id = doc.project.next_track_id()
    for i in ids:
        t = doc.track(i)
        parts = [t]
        for cut in (start, end + 1):
            last = parts[-1]
            if last.first_frame < cut <= last.last_frame:
                head, tail = trackops.split(last, cut, next_id)
                next_id += 1
                parts[-1:] = [head, tail]
        if len(parts) > 1:
            old.append(t)
            new += parts
    return TracksEdit(doc, old, new, f"Split {_tracks_text([t.id for t in old] or ids)} at {start} and {end + 1}")


def set_track_fields(doc: ProjectDocument, ids: list[int], text: str, **fields) -> TracksEdit:
    """Change plain fields (label, reason, style, enabled) of one or more tracks in one undo step."""
    old = [doc.track(i) for i in ids]
    return TracksEdit(doc, old, [_changed(t, **fields) for t in old], text)


def replace_tracks(doc: ProjectDocument, new: list[Track], text: str) -> TracksEdit:
    """Swap in edited copies of existing tracks (e.g. keyframes written by 'follow')."""
    return TracksEdit(doc, [doc.track(t.id) for t in new], new, text)


class SetDefaultStyle(QUndoCommand):
    def __init__(self, doc: ProjectDocument, style: MaskStyle):
        super().__init__("Change default style")
        self.doc = doc
        self.old = copy.deepcopy(doc.project.default_style)
        self.new = copy.deepcopy(style)

    def redo(self) -> None:
        self.doc._set_default_style(copy.deepcopy(self.new))

    def undo(self) -> None:
        self.doc._set_default_style(copy.deepcopy(self.old))


def _changed(track: Track, **fields) -> Track:
    new = trackops.clone(track)
    for key, value in fields.items():
        if not hasattr(new, key):
            raise AttributeError(f"Track has no field {key!r}")
        setattr(new, key, copy.deepcopy(value))
    return new


def _tracks_text(ids: list[int]) -> str:
    return f"track {ids[0]}" if len(ids) == 1 else f"{len(ids)} tracks"


class SetProjectField(QUndoCommand):
    """One project-level field (export settings, analysis facts) old -> new, with the document's signal."""

    def __init__(self, doc: ProjectDocument, name: str, value, text: str):
        super().__init__(text)
        self.doc, self.name = doc, name
        self.old = copy.deepcopy(getattr(doc.project, name))
        self.new = copy.deepcopy(value)

    def redo(self) -> None:
        self.doc._set_field(self.name, copy.deepcopy(self.new))

    def undo(self) -> None:
        self.doc._set_field(self.name, copy.deepcopy(self.old))


def set_case(doc: ProjectDocument, case) -> SetProjectField:
    return SetProjectField(doc, "case", case, "Change case details")


def set_analysis(doc: ProjectDocument, analysis: dict) -> SetProjectField:
    return SetProjectField(doc, "analysis", analysis, "Change analysis settings")


def set_export_settings(doc: ProjectDocument, settings: ExportSettings) -> SetProjectField:
    """The project's export settings (codec, quality, metadata and subtitle policy) as one undo step."""
    return SetProjectField(doc, "export", settings, "Change export settings")


class AnalysisTracks(TracksEdit):
    """Tracks found by one analysis run (plus the project's analysis facts), mergeable within the run."""

    MERGE_ID = 0x414E4C59  # "ANLY"

    def __init__(self, doc: ProjectDocument, new: list[Track], run_id: int, analysis: dict | None = None,
                 replace: list[Track] | None = None):
        super().__init__(doc, list(replace or []), new, "Analyse")
        self.run_id = run_id
        self.old_analysis = copy.deepcopy(doc.project.analysis)
        self.new_analysis = copy.deepcopy(analysis) if analysis is not None else self.old_analysis

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other) -> bool:
        if not isinstance(other, AnalysisTracks) or other.run_id != self.run_id:
            return False
        mine = {t.id: i for i, t in enumerate(self.new)}
        if any(t.id not in mine for t in other.old):  # it changes tracks this run did not add
            return False
        for t in other.new:  # a later batch, or this run's tracks updated (their person groups)
            if t.id in mine:
                self.new[mine[t.id]] = t
            else:
                self.new.append(t)
        self._index.update({k: v for k, v in other._index.items() if k not in self._index})
        if other.new_analysis != other.old_analysis:
            self.new_analysis = other.new_analysis
        return True

    def redo(self) -> None:
        super().redo()
        self.doc._set_field("analysis", copy.deepcopy(self.new_analysis))

    def undo(self) -> None:
        super().undo()
        self.doc._set_field("analysis", copy.deepcopy(self.old_analysis))


# -- audio: every edit swaps the whole (small) list of ranges, built by core.project.audio_edits ------
class SetAudioRanges(SetProjectField):
    """project.audio_ranges old -> new; selects `select` (an index into the new list) after redo."""

    def __init__(self, doc: ProjectDocument, ranges: list[AudioRange], text: str, select: int | None = None):
        super().__init__(doc, "audio_ranges", ranges, text)
        self.select_new = select
        self.select_old = doc.audio_selected

    def redo(self) -> None:
        super().redo()
        self.doc.select_audio_range(self.select_new)

    def undo(self) -> None:
        super().undo()
        self.doc.select_audio_range(self.select_old)


def add_audio_range(doc: ProjectDocument, new: AudioRange) -> SetAudioRanges:
    ranges = audio_edits.with_range(doc.project.audio_ranges, new)
    added = audio_edits.normalized(new)
    index = next(i for i, r in enumerate(ranges) if r == added)
    return SetAudioRanges(doc, ranges, f"Add {added.action} range ({_seconds(added)})", select=index)


def delete_audio_range(doc: ProjectDocument, index: int) -> SetAudioRanges:
    old = doc.project.audio_ranges[index]
    return SetAudioRanges(doc, audio_edits.without_range(doc.project.audio_ranges, index),
                          f"Delete {old.action} range ({_seconds(old)})")


def set_audio_range_fields(doc: ProjectDocument, index: int, text: str, **fields) -> SetAudioRanges:
    """Change action, reason, start/end or tone of one range in one undo step."""
    ranges = audio_edits.replaced(doc.project.audio_ranges, index, **fields)
    changed = audio_edits.normalized(dataclasses.replace(doc.project.audio_ranges[index], **fields))
    return SetAudioRanges(doc, ranges, text, select=next(i for i, r in enumerate(ranges) if r == changed))


def set_remove_audio(doc: ProjectDocument, remove: bool) -> SetProjectField:
    return SetProjectField(doc, "remove_audio", bool(remove), "Remove all audio" if remove else "Keep the audio")


def _seconds(r: AudioRange) -> str:
    return f"stream {r.stream}, {r.start:.2f}-{r.end:.2f} s"
