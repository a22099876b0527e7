"""The "follow" command: track a mask forward from the playhead in a Worker, then one undo step.

The job works on a snapshot of the track; its result is merged into the track as it is when the
job ends (the operator may have edited other frames meanwhile). A cancelled follow keeps what it
had followed, like a cancelled analysis.
"""

from __future__ import annotations

from ...core.project import track_edits as trackops
from ...core.tracking import follow_shape
from ...core.project import shape_at
from ...core.project import Track
from ..document import commands
from ..document.document import ProjectDocument
from .worker import Worker


def follow_start_frame(doc: ProjectDocument, track: Track) -> int:
    """The playhead when the track shows there, else the track's first frame."""
    return doc.frame if shape_at(track, doc.frame) is not None else track.first_frame


def make_follow_worker(doc: ProjectDocument, track_id: int, parent=None) -> Worker:
    """A Worker (not started) that follows track `track_id` from the playhead; on success or cancel
    it pushes commands.replace_tracks with the followed keyframes ("Follow track N")."""
    track = trackops.clone(doc.track(track_id))
    start = follow_start_frame(doc, track)
    path, info = doc.project.media.path, doc.media_info
    project = doc.project  # track ids restart at 1 in every project: the result belongs to this one only

    def job(progress, cancel):
        return follow_shape(path, info, track, start, None, progress, cancel)

    worker = Worker(job, f"Follow track {track_id}", parent)

    def apply(keyframes) -> None:
        if not keyframes or len(keyframes) < 2 or doc.project is not project or not doc.has_track(track_id):
            return
        new = trackops.with_followed(doc.track(track_id), keyframes)
        doc.undo_stack.push(commands.replace_tracks(doc, [new], f"Follow track {track_id}"))

    worker.succeeded.connect(apply)
    worker.cancelled.connect(apply)
    return worker
