"""The mask schedule (export and leak check) gives what masks_at gives, frame by frame, in the same
order; and the switched-off tracks' shapes with enabled=False."""

from __future__ import annotations

import numpy as np

from anonymizer_gui.core.project import (Keyframe, MaskSchedule, MaskStyle, MediaRef, Project, Shape, Track, masks_at,
                                         shape_at)


def _project(seed: int = 0, frames: int = 300) -> Project:
    rng = np.random.default_rng(seed)
    tracks = []
    for i in range(60):
        start = int(rng.integers(0, frames - 5))
        keys = sorted(set(int(k) for k in rng.integers(start, min(frames, start + 80), 4)) | {start})
        kfs = []
        for j, k in enumerate(keys):
            x, y = rng.uniform(0, 200, 2)
            kfs.append(Keyframe(k, Shape("rect", [x, y, x + 20, y + 30]), outside=bool(j and rng.random() < 0.2)))
        tracks.append(Track(i + 1, "face", enabled=bool(rng.random() > 0.1), keyframes=kfs,
                            style=MaskStyle("pixelate") if i % 7 == 0 else None))
    rng.shuffle(tracks)  # the project's order is not the order of first frames
    return Project(media=MediaRef("clip.mp4", frame_count=frames), tracks=tracks)


def test_the_schedule_equals_masks_at_on_every_frame():
    project = _project()
    schedule = MaskSchedule(project)
    for i in range(project.media.frame_count):
        want = [(t.id, shape.points, style) for t, shape, style in masks_at(project, i)]
        got = [(t.id, shape.points, style) for t, shape, style in schedule(i)]
        assert got == want, f"frame {i}"
    # Asked out of order, it starts again rather than answering wrongly.
    assert [(s.points, st) for _, s, st in schedule(10)] == [(s.points, st) for _, s, st in masks_at(project, 10)]


def test_switched_off_tracks_on_sampled_frames():
    """enabled=False: the shapes of the tracks the operator switched off, asked on every 7th frame
    (as the leak check asks on the frames it detects on)."""
    project = _project(seed=1)
    assert any(not t.enabled for t in project.tracks)
    schedule = MaskSchedule(project, enabled=False)
    for i in range(0, project.media.frame_count, 7):
        want = [(t.id, s.points) for t in project.tracks if not t.enabled for s in [shape_at(t, i)] if s is not None]
        assert [(t.id, s.points) for t, s, _ in schedule(i)] == want, f"frame {i}"
