"""Issue 11: the review queue's risk order and person groups (appearance + motion, union-find)."""

from __future__ import annotations

import numpy as np

from anonymizer_gui.core.project import Keyframe, MediaRef, Project, Shape, Track
from anonymizer_gui.core.review import best_frame, link_groups, risk_order, signatures

W, H = 320, 240


def _track(tid, first, last, box, scores=0.9, source="auto", label="face", step=(0, 0), group=None):
    x1, y1, x2, y2 = box
    dx, dy = step
    n = last - first
    kfs = [Keyframe(first, Shape.rect(x1, y1, x2, y2)),
           Keyframe(last, Shape.rect(x1 + dx * n, y1 + dy * n, x2 + dx * n, y2 + dy * n))] if last > first \
        else [Keyframe(first, Shape.rect(x1, y1, x2, y2))]
    return Track(tid, label, source=source, keyframes=kfs, group=group,
                 scores={f: scores for f in range(first, last + 1)} if source == "auto" else {})


def test_best_frame_is_the_strongest_detection():
    t = _track(1, 0, 9, (10, 10, 40, 40))
    t.scores[6] = 0.99
    assert best_frame(t) == 6
    assert best_frame(_track(2, 4, 10, (10, 10, 40, 40), source="manual")) == 7


def test_risk_order_weak_short_large_edge_then_manual():
    good = _track(1, 0, 99, (100, 100, 130, 130))
    weak = _track(2, 0, 99, (100, 100, 130, 130), scores=0.3)
    short = _track(3, 10, 12, (100, 100, 130, 130))
    edge = _track(4, 0, 99, (0, 100, 30, 130))
    large = _track(5, 0, 99, (60, 40, 200, 200))
    manual = _track(6, 0, 3, (0, 0, 300, 200), source="manual")
    p = Project(MediaRef("a.mp4", width=W, height=H), [manual, good, weak, short, edge, large])
    order = [r.track_id for r in risk_order(p)]
    assert set(order[:2]) == {2, 3} and order[-2:] == [1, 6]
    assert set(order[2:4]) == {4, 5}
    risks = {r.track_id: r for r in risk_order(p)}
    assert "weak" in risks[2].signs and "short" in risks[3].signs and "edge" in risks[4].signs
    assert "large" in risks[5].signs
    p.tracks[2].review = "accepted"
    assert 2 not in [r.track_id for r in risk_order(p, only_unreviewed=True)]


def test_first_appearance_of_a_group_goes_first():
    a = _track(1, 0, 50, (100, 100, 130, 130), group=1)
    b = _track(2, 60, 110, (100, 100, 130, 130), group=1)
    c = _track(3, 0, 50, (150, 100, 180, 130), group=2)
    p = Project(MediaRef("a.mp4", width=W, height=H), [b, a, c])
    order = [r.track_id for r in risk_order(p)]
    assert order.index(1) < order.index(2) and order.index(3) < order.index(2)


def _frames(people, count):
    """Frames in which each (track, colour) paints its box in its colour on a grey background."""
    from anonymizer_gui.core.project import shape_at
    for f in range(count):
        img = np.full((H, W, 3), 128, np.uint8)
        for t, colour in people:
            s = shape_at(t, f)
            if s is not None:
                x1, y1, x2, y2 = map(int, s.bbox())
                img[y1:y2, x1:x2] = colour
        yield f, img


def test_tracks_of_one_person_are_grouped_and_people_seen_together_are_not():
    red, blue = (40, 40, 220), (220, 60, 30)
    a1 = _track(1, 0, 20, (20, 50, 60, 90), step=(2, 0))
    a2 = _track(2, 24, 50, (100, 50, 140, 90), step=(2, 0))  # same person after a short occlusion
    a3 = _track(3, 90, 110, (200, 150, 240, 190))  # same colours, much later, elsewhere
    b1 = _track(4, 0, 50, (200, 20, 240, 60))  # another person, seen with a1 and a2
    b2 = _track(5, 60, 80, (200, 20, 240, 60))
    tiny = _track(6, 60, 80, (10, 200, 18, 208))  # red too, but far smaller
    people = [(a1, red), (a2, red), (a3, red), (b1, blue), (b2, blue), (tiny, red)]
    tracks = [t for t, _ in people]
    sigs = signatures(tracks, _frames(people, 120))
    groups = link_groups(tracks, sigs)
    assert groups[1] == groups[2] == groups[3]
    assert groups[4] == groups[5] != groups[1]
    assert groups[6] not in (groups[1], groups[4])


def test_overlapping_tracks_never_share_a_group_even_through_a_chain():
    red = (40, 40, 220)
    a = _track(1, 0, 30, (20, 50, 60, 90))
    b = _track(2, 20, 50, (150, 50, 190, 90))  # overlaps a in time: another person in the same clothes
    c = _track(3, 60, 80, (20, 50, 60, 90))
    people = [(a, red), (b, red), (c, red)]
    groups = link_groups([a, b, c], signatures([a, b, c], _frames(people, 90)))
    assert groups[1] != groups[2]
    assert groups[3] in (groups[1], groups[2])


def test_operator_groups_stand_and_new_tracks_join_them():
    red, blue = (40, 40, 220), (220, 60, 30)
    a = _track(1, 0, 20, (20, 50, 60, 90))
    b = _track(2, 30, 50, (20, 50, 60, 90))  # looks like a, but the operator split it off
    c = _track(3, 60, 80, (20, 50, 60, 90))  # new: joins one of them
    d = _track(4, 0, 20, (200, 20, 240, 60))
    people = [(a, red), (b, red), (c, red), (d, blue)]
    tracks = [a, b, c, d]
    groups = link_groups(tracks, signatures(tracks, _frames(people, 90)), fixed={1: 7, 2: 9})
    assert groups[1] == 7 and groups[2] == 9 and groups[3] in (7, 9)
    assert groups[4] not in (7, 9) and groups[4] > 9
