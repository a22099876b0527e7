"""The irreversibility floor, and the measure it is held to.

Floor: blur and pixelate keep only block means on cells that are a share of the object's size
(masks.py). Strength below MIN_STRENGTH would make the cells finer and let features survive, so
the renderer raises every style to the floor whatever the project says (`floored`).

Measure (`retained_detail`): how much of the source's fine detail the output still carries: the
regression slope of the output's band-pass on the source's (the grey image minus its Gaussian blur
of sigma size/FEATURE_SCALE, which drops the overall shading), 1.0 when the detail is all there, 0
when none of it is. Measured on the astronaut's face, shifted masks, 16-400 px (tests/core/
test_render_floor.py): untouched or re-encoded with noise 0.99-1.0; the floor's blur under 0.02;
its pixelation under 0.2 (block edges line up with some of the face's edges, more or less as the
grid falls). A plain correlation is a worse judge: a blur of a smooth region keeps a faint copy of
its curvature that correlates well (0.76) at a tenth of the amplitude. LEAK_DETAIL is where
`verify` calls a region a leak; a source region with less band-pass detail than FLAT_DETAIL grey
levels has nothing to leak (0).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ..project import MIN_STRENGTH, MaskStyle

LEAK_DETAIL = 0.35  # share of the source's fine detail at or above which it survives
FLAT_DETAIL = 4.0  # grey levels: a source region with less band-pass detail than this has nothing to leak
FEATURE_SCALE = 24.0  # band-pass sigma = object size / FEATURE_SCALE
SIGMA_CAP_SIDES = 4.0  # band-pass sigma at most this many times the region's longer side


def floored(style: MaskStyle) -> MaskStyle:
    """`style` raised to the irreversibility floor (solid fills are always irreversible)."""
    if style.kind == "solid" or style.strength >= MIN_STRENGTH:
        return style
    return dataclasses.replace(style, strength=MIN_STRENGTH)


def band_pass(grey: np.ndarray, size: float) -> np.ndarray:
    grey = np.asarray(grey, np.float32)
    sigma = max(0.5, float(size) / FEATURE_SCALE)  # below half a pixel a Gaussian hardly blurs
    # Over a region far smaller than the object (a shape many times the picture) the blur is the
    # region's mean either way; OpenCV's kernel grows with sigma (a 1e7 px shape: minutes a call).
    sigma = min(sigma, SIGMA_CAP_SIDES * max(grey.shape[:2]))
    return grey - cv2.GaussianBlur(grey, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def retained_detail(source: np.ndarray, output: np.ndarray, size: float,
                    where: np.ndarray | None = None) -> float:
    """Share of the source's fine detail that the output still carries (1.0: all of it; see above).

    `size` is the object's larger side in pixels; `where` (bool or uint8, same shape) limits the
    comparison to the object's own pixels. OpenCV's masked means throughout: verify calls this for
    every track on every frame.
    """
    return _detail_slope(band_pass(source, size), band_pass(output, size), where)


def retained_detail_max(source: np.ndarray, output: np.ndarray, size: float, parts: list[np.ndarray]) -> float:
    """The largest retained_detail over several parts of one region (masks of its pixels), with one
    band-pass of each image: a third of a shape left sharp is diluted by the rest in the whole."""
    a, b = band_pass(source, size), band_pass(output, size)
    return max(_detail_slope(a, b, part) for part in parts)


def _detail_slope(a: np.ndarray, b: np.ndarray, where: np.ndarray | None) -> float:
    mask = None if where is None else np.ascontiguousarray(where, dtype=np.uint8)
    if (a.size if mask is None else cv2.countNonZero(mask)) < 4:
        return 0.0
    mean_a, std_a = (float(v[0, 0]) for v in cv2.meanStdDev(a, mask=mask))
    mean_b = cv2.mean(b, mask=mask)[0]
    if std_a < FLAT_DETAIL:
        return 0.0
    cross = cv2.mean(cv2.multiply(a, b), mask=mask)[0]
    return float((cross - mean_a * mean_b) / (std_a * std_a))
