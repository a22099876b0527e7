"""Pure track edits: inputs untouched, masks kept (fail closed)."""

import copy

import pytest

from anonymizer_gui.core.project import track_edits as trackops
from anonymizer_gui.core.project.interpolate import shape_at
from anonymizer_gui.core.project.model import Keyframe, Shape, Track


def moving_track():
    return Track(1, "face", keyframes=[Keyframe(0, Shape.rect(0, 0, 10, 10)), Keyframe(20, Shape.rect(40, 0, 50, 10))],
                 scores={f: 0.9 for f in range(21)})


def test_split_keeps_every_frame_masked_and_leaves_input_untouched():
    t = moving_track()
    before = copy.deepcopy(t)
    head, tail = trackops.split(t, 8, new_id=7)
    assert t == before
    assert (head.first_frame, head.last_frame, tail.first_frame, tail.last_frame) == (0, 7, 8, 20)
    assert tail.id == 7
    for f in range(21):
        part = head if f < 8 else tail
        assert shape_at(part, f).points == pytest.approx(shape_at(t, f).points)
    assert max(head.scores) == 7 and min(tail.scores) == 8


def test_split_outside_the_track_is_refused():
    with pytest.raises(ValueError):
        trackops.split(moving_track(), 0, 2)


def test_merge_bridges_the_gap_between_tracks():
    a = Track(1, "face", keyframes=[Keyframe(0, Shape.rect(0, 0, 10, 10)), Keyframe(5, Shape.rect(5, 0, 15, 10))])
    b = Track(2, "face", keyframes=[Keyframe(10, Shape.rect(10, 0, 20, 10)), Keyframe(15, Shape.rect(15, 0, 25, 10))])
    m = trackops.merge(a, b)
    assert m.id == 1
    assert all(shape_at(m, f) is not None for f in range(16))
    assert shape_at(m, 7).points == pytest.approx([7, 0, 17, 10])


def test_with_keyframe_replaces_at_the_same_frame():
    t = trackops.with_keyframe(moving_track(), 20, Shape.rect(1, 1, 2, 2))
    assert len(t.keyframes) == 2 and t.keyframes[-1].shape.points == [1, 1, 2, 2]
    t = trackops.with_keyframe(t, 5, Shape.rect(3, 3, 4, 4))
    assert [k.frame for k in t.keyframes] == [0, 5, 20]


def test_hidden_from_then_without_keyframe_restores():
    t = moving_track()
    hidden = trackops.hidden_from(t, 10)
    assert shape_at(hidden, 12) is None and shape_at(hidden, 9) is not None
    assert trackops.without_keyframe(hidden, 10).keyframes == t.keyframes
