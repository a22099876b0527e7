"""Frame planes + the masks at that frame -> redacted planes: blur, pixelate or solid inside rect,
ellipse and polygon shapes, with margin, feather and the irreversibility floor."""

from .frame_planes import is_renderable, render_frame
from .masks import Mask, render_bgr, shape_to_coded

__all__ = ["is_renderable", "render_frame", "Mask", "render_bgr", "shape_to_coded"]
