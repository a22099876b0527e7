"""The follow command: a Worker tracks a manual mask forward; its result is one undo step."""

from __future__ import annotations

from anonymizer_gui.core.project.interpolate import shape_at
from anonymizer_gui.core.project.model import Keyframe, Shape, Track
from anonymizer_gui.core.project.track_edits import with_followed
from anonymizer_gui.ui.jobs.follow_job import make_follow_worker
from tests.clips import MovingBox
from tests.ui.views_support import open_editor


def drawn_box(clip, frame: int = 0) -> Track:
    """A manual mask as the viewer draws it: the box at `frame`, held to the clip's end."""
    shape = Shape.rect(*clip.boxes[frame][0])
    return Track(1, "manual", "manual", keyframes=[Keyframe(frame, shape), Keyframe(clip.frames - 1, shape.copy())])


def run(worker, qtbot) -> None:
    with qtbot.waitSignal(worker.finished, timeout=20000):
        worker.start()


def test_follow_writes_keyframes_on_the_target_and_undo_restores(tmp_path, qtbot):
    ed = open_editor(tmp_path / "box.mp4", qtbot, tracks=lambda clip: [drawn_box(clip, 4)], width=200,
                     height=150, frames=24,
                     boxes=[MovingBox(x=40, y=50, w=36, h=32, vx=4, vy=1, texture="noise", seed=5)])
    try:
        doc, clip = ed.doc, ed.clip
        doc.set_frame(4)
        before = [k.frame for k in doc.track(1).keyframes]
        run(make_follow_worker(doc, 1), qtbot)
        assert doc.undo_stack.count() == 1 and doc.undo_stack.text(0) == "Follow track 1"
        track = doc.track(1)
        assert track.first_frame == 4 and track.last_frame == 23
        for f in range(4, 24):
            err = max(abs(a - b) for a, b in zip(shape_at(track, f).bbox(), clip.boxes[f][0]))
            assert err <= 3.0, (f, err)
        doc.undo_stack.undo()
        assert [k.frame for k in doc.track(1).keyframes] == before
    finally:
        ed.frames.close()


def test_a_lost_target_holds_where_it_was_last_seen(tmp_path, qtbot):
    # default clip: the checked box goes behind the noise box at about frame 16
    ed = open_editor(tmp_path / "cross.mp4", qtbot, tracks=lambda clip: [drawn_box(clip)], width=320,
                     height=240, frames=30)
    try:
        doc = ed.doc
        run(make_follow_worker(doc, 1), qtbot)
        track = doc.track(1)
        followed_to = track.keyframes[-2].frame
        assert 10 <= followed_to < 22
        assert track.last_frame == 29  # still masks to the end (fail closed) ...
        assert track.keyframes[-1].shape == track.keyframes[-2].shape  # ... at the last followed place
    finally:
        ed.frames.close()


def test_keyframes_after_the_followed_stretch_stay():
    a, b, c = Shape.rect(0, 0, 10, 10), Shape.rect(50, 50, 60, 60), Shape.rect(5, 5, 15, 15)
    track = Track(7, "face", "auto", keyframes=[Keyframe(0, a), Keyframe(5, a), Keyframe(20, b)])
    new = with_followed(track, [(5, a), (8, c)])
    assert [(k.frame, k.shape) for k in new.keyframes] == [(0, a), (5, a), (8, c), (20, b)]
    assert track.keyframes[-1].frame == 20 and len(track.keyframes) == 3  # the input is untouched


def test_a_follow_cancelled_after_another_project_was_opened_writes_nothing(tmp_path, qtbot):
    import copy

    ed = open_editor(tmp_path / "box.mp4", qtbot, tracks=lambda clip: [drawn_box(clip, 0)], width=200,
                     height=150, frames=24,
                     boxes=[MovingBox(x=40, y=50, w=36, h=32, vx=4, vy=1, texture="noise", seed=5)])
    try:
        doc = ed.doc
        worker = make_follow_worker(doc, 1)
        other = copy.deepcopy(doc.project)  # another project: its track 1 has the same id
        doc.set_project(other, doc.media_info)
        before = copy.deepcopy(other.tracks)
        worker.cancel()  # the follow stops at once and reports what it had (the start keyframes)
        worker.cancelled.emit([(0, Shape.rect(0, 0, 10, 10)), (5, Shape.rect(5, 5, 15, 15))])
        assert doc.project.tracks == before and doc.undo_stack.count() == 0
    finally:
        ed.frames.close()
