"""The blur kernel: block means only, cost independent of the radius, overlapping masks drawn once."""

from __future__ import annotations

import numpy as np

from anonymizer_gui.core.project.model import MaskStyle, Shape
from anonymizer_gui.core.render.masks import grown_outline, render_bgr
from tests.clips import detail, gradient


def _noisy(w=320, h=240, seed=0):
    img = gradient(w, h)
    img[20:220, 20:300] = np.random.default_rng(seed).integers(0, 256, (200, 280, 3), dtype=np.uint8)
    return img


def _opaque(shape: Shape, style: MaskStyle, h: int, w: int) -> np.ndarray:
    """Pixels well inside the grown shape (coverage is 255 there)."""
    import cv2

    inside = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inside, [np.round(grown_outline(shape, style)).astype(np.int32)], 1)
    return cv2.erode(inside, np.ones((5, 5), np.uint8)).astype(bool)


def test_only_block_means_reach_the_blurred_pixels():
    # A 60 px square: cells of 10 px, one of them centred on the square's centre (100, 100), so
    # cell corners at 95 + 10k. Shuffling the pixels inside every cell keeps every block mean, so
    # the opaque part of the blur must not change at all.
    img = _noisy()
    shape, style = Shape("rect", [70, 70, 130, 130]), MaskStyle()
    shuffled = img.copy()
    rng = np.random.default_rng(1)
    for y in range(5, 235, 10):
        for x in range(5, 315, 10):
            block = shuffled[y:y + 10, x:x + 10].reshape(-1, 3)
            shuffled[y:y + 10, x:x + 10] = block[rng.permutation(len(block))].reshape(10, 10, 3)
    a, b = render_bgr(img, [(shape, style)]), render_bgr(shuffled, [(shape, style)])
    opaque = _opaque(shape, style, 240, 320)
    assert opaque.sum() > 3000
    assert np.array_equal(a[opaque], b[opaque])


def test_a_mask_drawn_twice_is_drawn_once():
    # Overlapping blur masks are one union: the same face found twice (two tracks on one face)
    # is not blurred twice, and drawing order does not matter.
    img = _noisy()
    one = Shape("ellipse", [60, 50, 160, 170])
    other = Shape("rect", [120, 80, 230, 190])
    style = MaskStyle(margin=0.15)  # grown so that their union covers the whole box scored below
    assert np.array_equal(render_bgr(img, [(one, style), (one, style)]), render_bgr(img, [(one, style)]))
    ab = render_bgr(img, [(one, style), (other, style)])
    assert np.array_equal(ab, render_bgr(img, [(other, style), (one, style)]))
    assert detail(ab, (70, 60, 220, 180)) < 0.05 * detail(img, (70, 60, 220, 180))


def test_overlapping_masks_blur_at_least_as_coarsely_as_each_alone():
    # The union uses the coarsest cell of its masks: a small face beside a large one is never
    # blurred less than on its own.
    img = _noisy()
    small, large = Shape("rect", [150, 60, 190, 100]), Shape("rect", [40, 40, 170, 200])
    style = MaskStyle()
    alone = render_bgr(img, [(small, style)])
    union = render_bgr(img, [(large, style), (small, style)])
    box = (155, 65, 185, 95)
    assert detail(union, box) <= detail(alone, box) + 1e-6
