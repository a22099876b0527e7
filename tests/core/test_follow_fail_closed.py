"""Follow keeps its first keyframe widened, so interpolation never cuts into the object (issue 9, point 9)."""

from __future__ import annotations

import numpy as np

from anonymizer_gui.core.project.interpolate import shape_at
from anonymizer_gui.core.project.model import Keyframe, Shape, Track
from anonymizer_gui.core.tracking.follow import _to_keyframes


def test_followed_keyframes_contain_the_followed_box_on_every_frame():
    rng = np.random.default_rng(9)
    worst = 0.0
    for _ in range(200):
        n = int(rng.integers(5, 40))
        start = np.array([100.0, 100.0, 140.0, 150.0])
        velocity = rng.normal(0, 3, 2)
        steps = np.cumsum(rng.normal(0, 1.5, (n, 2)) + velocity, axis=0)
        steps[0] = 0
        path = [(f, start + np.r_[d, d]) for f, d in enumerate(steps)]
        keys = _to_keyframes(path, Shape.rect(*start), reduce=True, frame_size=None)
        track = Track(1, "face", source="manual", keyframes=[Keyframe(f, s) for f, s in keys])
        for f, box in path:
            x1, y1, x2, y2 = shape_at(track, f).bbox()
            worst = max(worst, x1 - box[0], y1 - box[1], box[2] - x2, box[3] - y2)
    assert worst <= 1e-6
