"""The irreversibility floor, and the measure it is held to.

Floor: blur and pixelate keep only block means on cells that are a share of the object's size
(masks.py). Strength below MIN_STRENGTH would make the cells finer and let features survive, so
the renderer raises every style to the floor whatever the project says (`floored`).

Measure (`detail_correlation`): the correlation between the source's and the output's fine detail
(a band-pass: the grey image minus its Gaussian blur of sigma size/FEATURE_SCALE, which drops the
overall shading). An untouched or plainly transcoded face scores 0.9 or more; the floor's blur
under 0.05 and its pixelation under 0.35 (block edges line up with a face's coarse edges: the
share of detail they carry depends on where the grid falls, measured over shifted grids in
tests/core/test_render_floor.py). LEAK_CORRELATION is where `verify` calls a region a leak. At the
coarser sigma of size/12, pixelation at the floor still scores up to 0.45 though 25 block means
cannot show a face, so that scale is kept for blur's own test only.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ..project import MIN_STRENGTH, MaskStyle

LEAK_CORRELATION = 0.35  # band-pass correlation at or above which the source's detail survives
FLAT_DETAIL = 1.5  # grey levels: a source region with less band-pass detail than this has nothing to leak
FEATURE_SCALE = 24.0  # band-pass sigma = object size / FEATURE_SCALE


def floored(style: MaskStyle) -> MaskStyle:
    """`style` raised to the irreversibility floor (solid fills are always irreversible)."""
    if style.kind == "solid" or style.strength >= MIN_STRENGTH:
        return style
    return dataclasses.replace(style, strength=MIN_STRENGTH)


def band_pass(grey: np.ndarray, size: float) -> np.ndarray:
    grey = np.asarray(grey, np.float32)
    sigma = max(0.8, float(size) / FEATURE_SCALE)
    return grey - cv2.GaussianBlur(grey, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def detail_correlation(source: np.ndarray, output: np.ndarray, size: float,
                       where: np.ndarray | None = None) -> float:
    """Correlation of the fine detail of two grey images of one region (1.0: all detail kept).

    `size` is the object's larger side in pixels; `where` (bool or uint8, same shape) limits the
    comparison to the object's own pixels. 0.0 when the source holds no detail there to leak.
    OpenCV's masked means throughout: verify calls this for every track on every frame.
    """
    a = band_pass(source, size)
    b = band_pass(output, size)
    mask = None if where is None else np.ascontiguousarray(where, dtype=np.uint8)
    if (a.size if mask is None else cv2.countNonZero(mask)) < 4:
        return 0.0
    mean_a, std_a = (float(v[0, 0]) for v in cv2.meanStdDev(a, mask=mask))
    mean_b, std_b = (float(v[0, 0]) for v in cv2.meanStdDev(b, mask=mask))
    if std_a < FLAT_DETAIL or std_b <= 0.0:
        return 0.0
    cross = cv2.mean(cv2.multiply(a, b), mask=mask)[0]
    return float((cross - mean_a * mean_b) / (std_a * std_b))
