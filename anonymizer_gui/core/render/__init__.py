"""Frame planes + the masks at that frame -> redacted planes: blur, pixelate or solid inside rect,
ellipse and polygon shapes, with margin, feather and the irreversibility floor."""

from .floor import LEAK_DETAIL, floored, retained_detail, retained_detail_max
from .frame_planes import is_renderable, mirror_frame, render_frame
from .masks import Mask, grown_outline, mask_extent, render_bgr, shape_to_coded

__all__ = ["LEAK_DETAIL", "retained_detail", "retained_detail_max", "floored", "is_renderable", "mirror_frame", "render_frame", "Mask", "grown_outline",
           "mask_extent", "render_bgr", "shape_to_coded"]
